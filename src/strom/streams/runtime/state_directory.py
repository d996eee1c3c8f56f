"""StateDirectory: `<state.dir>/<application.id>/`, one sub-directory per task (`0_1`), as Java lays it out.

The application directory is locked by one KafkaStreams instance (a second one on the same state.dir fails at
construction, as Java's), and keeps the process id (`kafka-streams-process-metadata`), so a restarted instance
is the same client to the assignor and gets its tasks back. Each task directory holds the stores and the
`.checkpoint` file (state/offset_checkpoint.py: Java's OffsetCheckpoint text format).
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path
from typing import IO

from strom.protocol.types import TP
from strom.streams.errors import StreamsException
from strom.streams.processor.api import TaskId
from strom.streams.state.offset_checkpoint import CHECKPOINT_FILE_NAME, OffsetCheckpoint

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: msvcrt below
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("org.apache.kafka.streams.processor.internals.StateDirectory")

PROCESS_FILE_NAME = "kafka-streams-process-metadata"
LOCK_FILE_NAME = ".lock"


def read_checkpoint(path: Path) -> dict[TP, int]:
    """The task's `.checkpoint`; an unreadable one counts as none (the stores restore from the changelog)."""
    try:
        return {tp: o for tp, o in OffsetCheckpoint(path).read().items() if o >= 0}
    except (OSError, ValueError, EOFError) as exc:
        log.warning("Ignoring the unreadable checkpoint file %s: %s", path, exc)
        return {}


def write_checkpoint(path: Path, offsets: dict[TP, int]) -> None:
    OffsetCheckpoint(path).write(offsets)


class StateDirectory:
    def __init__(self, state_dir: str, application_id: str, stateful: bool = True) -> None:
        self.root = Path(state_dir)
        self.app_dir = self.root / application_id
        self._lock_file: IO[str] | None = None
        self.app_dir.mkdir(parents=True, exist_ok=True)
        if stateful:
            self._lock()
        self.process_id = self._process_id()

    def _lock(self) -> None:
        f = open(self.app_dir / LOCK_FILE_NAME, "a+", encoding="utf-8")
        try:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise StreamsException(
                f"Unable to initialize state, this can happen if multiple instances of Kafka Streams are running in the same state "
                f"directory (current state directory is [{self.app_dir}]"
            ) from None
        self._lock_file = f

    def _process_id(self) -> str:
        path = self.app_dir / PROCESS_FILE_NAME
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["processId"])
        except (OSError, ValueError, KeyError):
            pid = str(uuid.uuid4())
            path.write_text(json.dumps({"processId": pid}), encoding="utf-8")
            return pid

    def task_dir(self, task_id: TaskId) -> Path:
        d = self.app_dir / str(task_id)
        d.mkdir(parents=True, exist_ok=True)
        return d

    def checkpoint_path(self, task_id: TaskId) -> Path:
        return self.task_dir(task_id) / CHECKPOINT_FILE_NAME

    def task_offset_sums(self) -> dict[TaskId, int]:
        """Tasks with state here: the sum of their checkpointed changelog offsets (what the assignor ranks by)."""
        out: dict[TaskId, int] = {}
        if not self.app_dir.exists():
            return out
        for d in self.app_dir.iterdir():
            if not d.is_dir():
                continue
            try:
                task = TaskId.parse(d.name)
                offsets = read_checkpoint(d / CHECKPOINT_FILE_NAME)
            except (StreamsException, ValueError):
                continue
            if offsets:
                out[task] = sum(offsets.values())
        return out

    def wipe_task(self, task_id: TaskId) -> None:
        """A task's state that cannot be trusted (exactly-once after an unclean stop) goes; the changelog rebuilds it."""
        d = self.app_dir / str(task_id)
        if d.exists():
            shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True, exist_ok=True)

    def clean(self) -> None:
        """KafkaStreams.cleanup(): every task directory of the application (the lock and process id stay)."""
        for d in self.app_dir.iterdir() if self.app_dir.exists() else []:
            if d.is_dir():
                log.info("Deleting state directory %s", d)
                shutil.rmtree(d, ignore_errors=True)

    def close(self) -> None:
        if self._lock_file is not None:
            try:
                if fcntl is not None:
                    fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            finally:
                self._lock_file.close()
                self._lock_file = None
