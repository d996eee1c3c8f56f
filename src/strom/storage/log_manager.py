"""All partition logs of a broker under log.dirs, in Kafka's directory layout.

Each log dir holds `<topic>-<partition>/` directories, `meta.properties`, and the checkpoint files
Kafka writes (recovery-point-offset-checkpoint, log-start-offset-checkpoint,
replication-offset-checkpoint), so an operator recognises it. Directories that are not partition logs
are left untouched.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from strom.portability import O_BINARY, lock_exclusive
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.types import TP
from strom.storage.cleaner import LogCleaner
from strom.storage.clock import Clock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog, parse_dir_name
from strom.storage.log_dir_failure import LogDirFailureChannel

log = logging.getLogger("kafka.log.LogManager")

RECOVERY_CHECKPOINT = "recovery-point-offset-checkpoint"
LOG_START_CHECKPOINT = "log-start-offset-checkpoint"
HW_CHECKPOINT = "replication-offset-checkpoint"
CLEANER_CHECKPOINT = "cleaner-offset-checkpoint"


def read_checkpoint(path: Path) -> dict[TP, int]:
    try:
        lines = path.read_text().split("\n")
        count = int(lines[1])
        out = {}
        for line in lines[2 : 2 + count]:
            topic, part, offset = line.rsplit(" ", 2)
            out[(topic, int(part))] = int(offset)
        return out
    except (FileNotFoundError, IndexError, ValueError):
        return {}


_CHECKPOINT_LOCKS: dict[Path, threading.Lock] = {}
_CHECKPOINT_LOCKS_LOCK = threading.Lock()


def write_checkpoint(path: Path, values: dict[TP, int]) -> None:
    """Through `<name>.tmp` and a rename, one writer at a time per file (Kafka's CheckpointFile holds a lock
    too): the broker's checkpoint tick and the replica manager's high-watermark loop both write
    replication-offset-checkpoint from executor threads, and two writers of one .tmp lose a rename (ENOENT,
    which would take the log dir offline)."""
    body = f"0\n{len(values)}\n" + "".join(f"{t} {p} {o}\n" for (t, p), o in sorted(values.items()))
    with _CHECKPOINT_LOCKS_LOCK:
        lock = _CHECKPOINT_LOCKS.setdefault(path, threading.Lock())
    with lock:
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


LOCK_FILE = ".lock"
_NOT_THE_DISK = {errno.EMFILE, errno.ENFILE, errno.ENAMETOOLONG}


class LogDirLockedError(OSError):
    """Another process holds a log dir's lock: a configuration error, fatal at start-up (not a disk failure)."""


def _lock_log_dir(d: Path) -> int:
    """Kafka's per-log-dir `.lock`: an exclusive lock held while this broker runs, so a second broker (or a
    second LogManager) on the same log.dirs refuses to start instead of writing beside the first. An I/O
    error opening the file is the dir's failure (OSError); a lock held elsewhere is LogDirLockedError."""
    fd = os.open(d / LOCK_FILE, os.O_RDWR | os.O_CREAT | O_BINARY, 0o644)
    try:
        lock_exclusive(fd)
    except OSError:
        os.close(fd)
        raise LogDirLockedError(
            f"Failed to acquire lock on file {LOCK_FILE} in {d}. A Kafka instance in another process or thread is using this directory."
        ) from None
    return fd


class LogManager:
    def __init__(self, log_dirs: list[Path], clock: Clock, broker_id: int = 0, cluster_id: str | None = None) -> None:
        if not log_dirs:
            raise ValueError("log.dirs is empty")
        self.log_dirs = [Path(d) for d in log_dirs]
        self.clock = clock
        self.logs: dict[TP, PartitionLog] = {}
        self.cleaner = LogCleaner()
        # an I/O error in a log dir takes it offline until restart: its logs are closed and listed here
        self.failure_channel = LogDirFailureChannel()
        self.offline_logs: dict[TP, Path] = {}
        self._locks: list[int] = []
        try:
            for d in self.log_dirs:
                self._open_log_dir(d, broker_id, cluster_id)
        except BaseException:
            self._unlock()
            raise
        if not self.live_log_dirs:
            self._unlock()
            raise OSError(f"None of the specified log dirs from {', '.join(map(str, self.log_dirs))} can be created")

    def _open_log_dir(self, d: Path, broker_id: int, cluster_id: str | None) -> None:
        """Create, validate and lock one log dir (Kafka's createAndValidateLogDirs and lockLogDirs). One that
        fails is offline from the start and the broker serves the others, as Kafka does; only a lock held by
        another process is fatal."""
        try:
            d.mkdir(parents=True, exist_ok=True)
            if not d.is_dir() or not os.access(d, os.R_OK | os.W_OK | os.X_OK):
                raise OSError(errno.EACCES, f"{d} is not a readable and writable log directory")
            self._locks.append(_lock_log_dir(d))
            self._ensure_meta(d, broker_id, cluster_id)
        except LogDirLockedError:
            raise
        except OSError as exc:
            self.failure_channel.maybe_add_offline_log_dir(d, f"Failed to create or validate data directory {d}", exc)

    @staticmethod
    def _ensure_meta(d: Path, broker_id: int, cluster_id: str | None) -> None:
        meta = d / "meta.properties"
        if meta.exists():
            return
        cid = cluster_id or uuid.uuid4().hex[:22]
        meta.write_text(f"#\nversion=0\nbroker.id={broker_id}\ncluster.id={cid}\n")

    @property
    def live_log_dirs(self) -> list[Path]:
        offline = self.failure_channel.offline_dirs
        return [d for d in self.log_dirs if d not in offline] if offline else self.log_dirs

    def _dir_for_new(self) -> Path:
        """The online log dir with the fewest partitions (counted per call only when there is a choice:
        creating 1000 partitions must not cost 1000 scans of every log)."""
        live = self.live_log_dirs
        if not live:
            raise KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, "every log directory is offline")
        if len(live) == 1:
            return live[0]
        counts = {str(d): 0 for d in live}
        for lg in self.logs.values():
            parent = os.path.dirname(lg.directory)
            counts[parent] = counts.get(parent, 0) + 1
        return min(live, key=lambda d: counts.get(str(d), 0))

    def _adopt(self, key: TP, lg: PartitionLog) -> PartitionLog:
        lg.failure_channel = self.failure_channel
        self.logs[key] = lg
        return lg

    def handle_log_dir_failure(self, log_dir: Path) -> list[TP]:
        """Closes every log in a failed log dir without writing more to it (Kafka's
        LogManager.handleLogDirFailure); returns their partitions, offline until a restart."""
        gone = sorted(k for k, lg in self.logs.items() if lg.directory.parent == log_dir)
        for key in gone:
            self.logs.pop(key).close_handlers()
            self.offline_logs[key] = log_dir
        log.warning("Logs for partitions %s are offline due to failure on log directory %s", ",".join(f"{t}-{p}" for t, p in gone), log_dir)
        return gone

    def load_all(self, configs_for: Callable[[str], LogConfig]) -> None:
        for d in self.live_log_dirs:
            try:
                self._load_dir(d, configs_for)
            except OSError as exc:
                # as Kafka's loadLogs: an I/O error takes the whole dir offline, its logs loaded so far with it
                self.failure_channel.maybe_add_offline_log_dir(d, f"Error while loading log dir {d}", exc)
                for key in [k for k, lg in self.logs.items() if lg.directory.parent == d]:
                    self.logs.pop(key).close_handlers()
        if not self.live_log_dirs:
            raise OSError(f"Every log dir of {', '.join(map(str, self.log_dirs))} failed while loading")
        log.info("Loaded %d partition logs from %s", len(self.logs), ", ".join(map(str, self.live_log_dirs)))

    def _load_dir(self, d: Path, configs_for: Callable[[str], LogConfig]) -> None:
        recovery = read_checkpoint(d / RECOVERY_CHECKPOINT)
        starts = read_checkpoint(d / LOG_START_CHECKPOINT)
        cleaned = read_checkpoint(d / CLEANER_CHECKPOINT)
        for child in sorted(d.iterdir()):
            if not child.is_dir():
                continue
            if child.name.endswith("-delete"):
                shutil.rmtree(child, ignore_errors=True)
                continue
            parsed = parse_dir_name(child.name)
            if parsed is None:
                continue
            lg = PartitionLog.open(child, configs_for(parsed[0]), self.clock, recovery.get(parsed, 0), starts.get(parsed))
            lg.first_dirty_offset = min(max(cleaned.get(parsed, 0), lg.log_start_offset), lg.log_end_offset)
            self._adopt(parsed, lg)

    def get(self, topic: str, partition: int) -> PartitionLog | None:
        return self.logs.get((topic, partition))

    def get_or_create(self, topic: str, partition: int, config: LogConfig, is_new: bool = True) -> PartitionLog:
        """The partition's log, created in the emptiest live dir if this broker has none. A partition that is
        not new (it existed before, maybe here) is not created while a log dir is offline: its log may be
        there, and an empty one elsewhere would serve it as if its records had never been (Kafka's rule)."""
        lg = self.logs.get((topic, partition))
        if lg is None:
            if (topic, partition) in self.offline_logs:
                raise KafkaError(
                    ErrorCode.KAFKA_STORAGE_ERROR,
                    f"the log of {topic}-{partition} is in offline log dir {self.offline_logs[(topic, partition)]}",
                )
            offline = self.failure_channel.offline_dirs
            if not is_new and offline:
                raise KafkaError(
                    ErrorCode.KAFKA_STORAGE_ERROR,
                    f"Can not create log for {topic}-{partition} because log directories {','.join(map(str, sorted(offline)))} are offline",
                )
            directory = self._dir_for_new() / f"{topic}-{partition}"
            try:
                lg = PartitionLog.open(directory, config, self.clock)
            except OSError as exc:
                # the disk failing takes the dir offline; running out of file descriptors (a topic of tens of
                # thousands of partitions) is not the disk's fault: that partition fails, the dir stays
                if exc.errno not in _NOT_THE_DISK:
                    self.failure_channel.maybe_add_offline_log_dir(
                        directory.parent, f"Error while creating log for {topic}-{partition} in dir {directory.parent}", exc
                    )
                raise KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, f"creating the log of {topic}-{partition} failed: {exc}") from None
            self._adopt((topic, partition), lg)
        return lg

    def delete(self, topic: str, partition: int) -> None:
        lg = self.logs.pop((topic, partition), None)
        if lg is None:
            return
        for seg in lg.segments:
            seg.close()
        lg.close_retired()
        target = lg.directory.with_name(f"{lg.directory.name}.{uuid.uuid4().hex}-delete")
        try:
            os.rename(lg.directory, target)
        except OSError:
            target = lg.directory
        shutil.rmtree(target, ignore_errors=True)

    def all_logs(self) -> list[PartitionLog]:
        return list(self.logs.values())

    def flush_dirty(self) -> int:
        """Flushes the logs due by log.flush.interval.*; a log whose fsync fails is offline (and its dir reported)."""
        now = self.clock.monotonic_ms()
        flushed = 0
        for lg in list(self.logs.values()):
            if lg.needs_flush(now) and not lg.offline:
                with suppress(KafkaError):
                    lg.flush()
                    flushed += 1
        return flushed

    def run_retention(self) -> int:
        now = self.clock.now_ms()
        deleted = 0
        for lg in list(self.logs.values()):
            deleted += lg.enforce_retention(now)
            lg.close_retired(self.clock.monotonic_ms())
        return deleted

    def run_cleaner(self) -> int:
        """One compaction pass over every compacted log that is dirty enough (a worker thread calls this);
        returns how many logs were cleaned. Also closes segments swapped out longer than file.delete.delay.ms."""
        cleaned = 0
        for lg in list(self.logs.values()):
            lg.close_retired(self.clock.monotonic_ms())
            if "compact" not in lg.config.cleanup_policy:
                continue
            try:
                if self.cleaner.clean(lg, self.clock.now_ms()) is not None:
                    cleaned += 1
            except (OSError, ValueError) as exc:  # a segment deleted under the pass, or damaged records
                log.warning("Cleaning of %s failed, will retry: %s", lg, exc)
        if cleaned:
            self._write_cleaner_checkpoints()
        return cleaned

    def _write_cleaner_checkpoints(self) -> None:
        for d in self.live_log_dirs:
            mine = {k: lg for k, lg in self.logs.items() if lg.directory.parent == d and "compact" in lg.config.cleanup_policy}
            self.write_dir_checkpoint(d, CLEANER_CHECKPOINT, {k: lg.first_dirty_offset for k, lg in mine.items()})

    def checkpoint(self) -> None:
        """The checkpoint files of every online log dir; a dir that cannot write them goes offline."""
        for d in self.live_log_dirs:
            mine = {k: lg for k, lg in self.logs.items() if lg.directory.parent == d}
            self.write_dir_checkpoint(d, RECOVERY_CHECKPOINT, {k: lg.recovery_point for k, lg in mine.items()})
            self.write_dir_checkpoint(d, LOG_START_CHECKPOINT, {k: lg.log_start_offset for k, lg in mine.items()})
            self.write_dir_checkpoint(d, HW_CHECKPOINT, {k: lg.high_watermark for k, lg in mine.items()})
        self._write_cleaner_checkpoints()

    def write_dir_checkpoint(self, d: Path, name: str, values: dict[TP, int]) -> None:
        """One checkpoint file of one dir; a dir that cannot take it goes offline, as in Kafka."""
        if self.failure_channel.is_offline(d):
            return
        try:
            write_checkpoint(d / name, values)
        except OSError as exc:
            self.failure_channel.maybe_add_offline_log_dir(d, f"Disk error while writing {name} in dir {d}", exc)

    def close(self) -> None:
        for lg in self.logs.values():
            with suppress(KafkaError):  # an fsync that fails now takes the dir offline: its checkpoints stay old
                lg.flush()
            lg.close()
        self.checkpoint()
        self.logs.clear()
        self._unlock()

    def _unlock(self) -> None:
        """Releases the log dirs' locks (closing the file releases its flock)."""
        for fd in self._locks:
            os.close(fd)
        self._locks = []
