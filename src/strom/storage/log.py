"""PartitionLog: one partition's segmented log -- append whole batches, read file slices, roll, retain.

Offsets are assigned by rewriting each batch's 8-byte base offset (outside the CRC); records are never
decoded on append or read. The log knows its log start offset, log end offset (LEO) and the high
watermark its caller sets (the leader advances it once the ISR has the data; a single broker sets it to
the LEO after each append).
"""

from __future__ import annotations

import bisect
import logging
import shutil
import struct
import threading
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

from strom.checksum import crc32c
from strom.protocol.errors import CorruptMessage, ErrorCode, KafkaError, RecordValidationError
from strom.protocol.records import (
    BATCH_HEADER_SIZE,
    BATCH_HEADER_STRUCT,
    CRC_START,
    LOG_OVERHEAD,
    MAGIC_V2,
    TIMESTAMP_TYPE_MASK,
    BatchHeader,
    read_batch_header,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
    split_batches_strict,
)
from strom.protocol.types import TP
from strom.storage.clock import Clock
from strom.storage.config import LogConfig
from strom.storage.epoch_cache import LeaderEpochCache
from strom.storage.log_dir_failure import LogDirFailureChannel
from strom.storage.producer_state import ProducerStateManager
from strom.storage.segment import Buffer, FileSlice, Segment, segment_name
from strom.storage.txn_index import TxnIndex, control_type

_log = logging.getLogger("kafka.log.Log")

# the first 16 bytes of a batch, the part an append rewrites: base offset, batch length, partition leader epoch
_REWRITTEN = struct.Struct(">qii")
_I32 = struct.Struct(">i")
_HEADER = BATCH_HEADER_STRUCT
# pwritev takes at most IOV_MAX (1024) pieces; a record set of more batches than this is copied instead
_MAX_PIECES = 256


class AppendResult(NamedTuple):
    """What an append did (a NamedTuple: one is built per produced partition, and it is cheap to build)."""

    first_offset: int
    last_offset: int
    log_append_time: int  # -1 for CreateTime
    log_start_offset: int
    record_count: int
    duplicate: bool = False


_new_result = tuple.__new__  # AppendResult(...) without the NamedTuple's keyword handling: 0.1 us less per append


def parse_dir_name(name: str) -> TP | None:
    """`<topic>-<partition>` -> (topic, partition); None for anything else (left untouched)."""
    topic, sep, part = name.rpartition("-")
    if not sep or not topic or not part.isdigit():
        return None
    return topic, int(part)


class PartitionLog:
    def __init__(self, directory: Path, config: LogConfig, clock: Clock) -> None:
        self.directory = directory
        parsed = parse_dir_name(directory.name)
        if parsed is None:
            raise ValueError(f"{directory} is not a <topic>-<partition> log directory")
        self.topic, self.partition = parsed
        self.config = config  # also sets _fast_max (the property below)
        self.clock = clock
        self.segments: list[Segment] = []
        self.log_start_offset = 0
        self.recovery_point = 0
        self._high_watermark = 0
        self.leader_epoch_cache = LeaderEpochCache(directory / "leader-epoch-checkpoint")
        self.producer_state = ProducerStateManager()
        self.txn_index = TxnIndex(directory)  # aborted transactions (.txnindex files)
        self.unflushed_messages = 0
        self.last_flush_ms = clock.monotonic_ms()
        # the cleaner thread swaps segments while the event loop appends and reads: both take this lock
        # for changes to `segments`; readers take a snapshot of the list (it is replaced, not mutated, on swap)
        self.lock = threading.RLock()
        # compaction: offsets below this are clean (Kafka's cleaner-offset-checkpoint)
        self.first_dirty_offset = 0
        # segments swapped out by the cleaner: files gone, fds kept for in-flight fetches until the delay passes
        self.retired: list[tuple[int, Segment]] = []
        # after an I/O error the log takes no more writes until it is opened again (a restart), as Kafka's
        # UnifiedLog behind an offline log dir; the channel (set by the LogManager) takes the dir offline
        self.offline = False
        self.failure_channel: LogDirFailureChannel | None = None

    # ---- open / recover -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        config: LogConfig,
        clock: Clock,
        recovery_point: int = 0,
        log_start_offset: int | None = None,
    ) -> PartitionLog:
        try:
            directory.mkdir(parents=True)
            fresh = True  # a new partition: nothing on disk to scan (creating 1000 of them must be cheap)
        except FileExistsError:
            fresh = False
        log = cls(directory, config, clock)
        now = clock.now_ms()
        if fresh:
            log.segments.append(Segment(directory, log_start_offset or 0, config.index_interval_bytes, now))
            log.log_start_offset = log_start_offset or 0
            log.recovery_point = log._high_watermark = log.log_end_offset
            return log
        try:
            log._load(recovery_point, log_start_offset, now)
        except BaseException:
            log.close_handlers()  # an I/O error while loading: the segments opened so far keep no descriptors
            raise
        return log

    def _load(self, recovery_point: int, log_start_offset: int | None, now: int) -> None:
        from strom.storage.cleaner import complete_interrupted_swap

        directory, config = self.directory, self.config
        rebuild = complete_interrupted_swap(directory)
        bases = sorted(int(p.name[:20]) for p in directory.glob("*.log") if p.name[:20].isdigit())
        compacted = "compact" in config.cleanup_policy
        for base in bases:
            seg = Segment(directory, base, config.index_interval_bytes, now)
            self.segments.append(seg)
        self._recover_segments(recovery_point, rebuild, compacted)
        if not self.segments:
            self.segments.append(Segment(directory, log_start_offset or 0, config.index_interval_bytes, now))
        self.log_start_offset = max(log_start_offset or 0, self.segments[0].base_offset)
        self.recovery_point = self.log_end_offset
        self._high_watermark = self.log_end_offset
        self.leader_epoch_cache.truncate_from_end(self.log_end_offset)
        self.txn_index = TxnIndex.load(directory)
        self.producer_state.load(directory, self)

    def _recover_segments(self, recovery_point: int, rebuild: set[int], compacted: bool) -> None:
        """Kafka's LogLoader: segments past the recovery point (and the last one) are scanned batch by batch
        and truncated at the first invalid one; a clean segment whose indexes do not hold up is rescanned.
        Corruption in an unflushed segment also deletes every segment after it (their offsets would no
        longer follow on), so the log stays one contiguous run of valid batches. Each repair is logged."""
        prefix = f"[Log partition={self.topic}-{self.partition}, dir={self.directory.parent}]"
        for i, seg in enumerate(self.segments):
            is_last = i == len(self.segments) - 1
            next_base = self.segments[i + 1].base_offset if not is_last else None
            needs_recovery = is_last or (next_base is not None and next_base > recovery_point) or seg.base_offset in rebuild
            if not needs_recovery:
                if seg.load_indexes():
                    continue
                _log.warning(
                    "%s Found a corrupted index file corresponding to log file %s, recovering segment and rebuilding index files...",
                    prefix,
                    seg.log_path,
                )
            truncated = seg.recover(allow_offset_gaps=compacted or not is_last, end_offset=next_base)
            if not truncated:
                continue
            _log.warning(
                "%s Found invalid messages in log segment %s at byte offset %d: truncated %d bytes, the segment now ends at offset %d",
                prefix,
                seg.log_path,
                seg.size,
                truncated,
                seg.next_offset,
            )
            later = self.segments[i + 1 :]
            if needs_recovery and later:
                _log.warning(
                    "%s Corruption found in segment %d, truncating to offset %d: deleting the %d segment(s) after it",
                    prefix,
                    seg.base_offset,
                    seg.next_offset,
                    len(later),
                )
                for gone in later:
                    gone.delete()
                    (self.directory / segment_name(gone.base_offset, ".txnindex")).unlink(missing_ok=True)
                del self.segments[i + 1 :]
                return

    # ---- properties -----------------------------------------------------------------------------------

    @property
    def active_segment(self) -> Segment:
        return self.segments[-1]

    @property
    def log_end_offset(self) -> int:
        return self.active_segment.next_offset

    @property
    def high_watermark(self) -> int:
        return self._high_watermark

    @high_watermark.setter
    def high_watermark(self, value: int) -> None:
        self._high_watermark = max(self.log_start_offset, min(value, self.log_end_offset))

    @property
    def size_bytes(self) -> int:
        return sum(s.size for s in self.segments)

    @property
    def config(self) -> LogConfig:
        return self._config

    @config.setter
    def config(self, config: LogConfig) -> None:
        self._config = config
        # the largest record set append_as_leader's fast path takes; 0 turns it off for topics whose
        # appends need more than the header checks (compacted: keys; LogAppendTime: a CRC redone)
        plain = "compact" not in config.cleanup_policy and config.message_timestamp_type == "CreateTime"
        self._fast_max = min(config.max_message_bytes, config.segment_bytes) if plain else 0
        self._max_index_entries = config.segment_index_bytes // 8  # 8-byte .index entries
        self._roll_after_ms = config.segment_ms - config.segment_jitter_ms

    def update_config(self, config: LogConfig) -> None:
        self.config = config

    # ---- append ---------------------------------------------------------------------------------------

    def _validate(self, batches: Buffer, from_client: bool = True) -> list[tuple[int, BatchHeader]]:
        """Whole batches only, each within max.message.bytes and segment.bytes, CRC32C intact, and (from a
        client) its record count consistent with its offset range -- header-level checks, the per-batch
        cost of every append. A follower's batches may come from a compacted leader log, whose batches have
        offset gaps, so Kafka checks the count only on the leader (LogValidator)."""
        n = len(batches)
        try:
            if n >= BATCH_HEADER_SIZE and _I32.unpack_from(batches, 8)[0] + LOG_OVERHEAD == n:
                found = [(0, read_batch_header(batches))]  # the common case: one batch per partition
            else:
                found = split_batches_strict(batches)
        except CorruptMessage as exc:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, str(exc)) from None
        if not found:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "empty record set")
        config = self.config
        view = memoryview(batches)
        for pos, header in found:
            size = header.batch_length + LOG_OVERHEAD
            if size > config.max_message_bytes:
                raise KafkaError(
                    ErrorCode.MESSAGE_TOO_LARGE,
                    f"batch of {size} bytes exceeds max.message.bytes={config.max_message_bytes}",
                )
            if size > config.segment_bytes:
                raise KafkaError(ErrorCode.RECORD_LIST_TOO_LARGE, "batch larger than segment.bytes")
            if crc32c(view[pos + CRC_START : pos + size]) != header.crc:
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch failed its CRC32C check")
            if from_client and (header.records_count <= 0 or header.last_offset_delta != header.records_count - 1):
                raise KafkaError(ErrorCode.INVALID_RECORD, "record count does not match last offset delta")
        return found

    def append_as_leader(
        self, batches: Buffer, leader_epoch: int, log_append_time: bool = False, defer_write: bool = False
    ) -> AppendResult:
        """Validates the producer's batches, assigns their offsets and writes them (one system call).

        The per-batch cost is the point of this path. The common produce -- one batch per partition, no
        producer id, a CreateTime topic that is not compacted -- takes a fast path: one header unpack into
        locals, the CRC32C in C, the offset rewrite and the segment's bookkeeping, with no per-batch tuple.
        Anything else, and any batch that fails a check (so the error is the exact one), takes the general
        path. Neither copies the batch bytes (the rewritten first 16 bytes go out as a separate piece of one
        pwritev, or a writable request frame is rewritten in place).

        With `defer_write` the bytes are written by the next write_buffered() (group commit: the broker
        writes every partition appended to in one event-loop tick together, before it answers any of those
        requests); until then the caller must not change `batches`, and reads, flush, roll and truncation
        write them first."""
        n = len(batches)
        if BATCH_HEADER_SIZE <= n <= self._fast_max and not log_append_time:
            _, length, _, magic, crc, _, delta, base_ts, max_ts, producer_id, _, _, count = _HEADER.unpack_from(batches)
            if (
                length + LOG_OVERHEAD == n
                and producer_id < 0
                and magic == MAGIC_V2
                and count > 0
                and delta == count - 1
                and crc32c(memoryview(batches)[CRC_START:]) == crc
            ):
                with self.lock:
                    seg = self.segments[-1]
                    if seg.size and (  # _roll_due, inlined: this runs once per produced batch
                        seg.size + n > self._config.segment_bytes
                        or len(seg.index_positions) >= self._max_index_entries
                        or self.clock.now_ms() - seg.created_ms > self._roll_after_ms
                    ):
                        seg = self.roll()
                    first = seg.next_offset
                    if type(batches) is memoryview and not batches.readonly:
                        _REWRITTEN.pack_into(batches, 0, first, length, leader_epoch)
                        data: Buffer | list[Buffer] = batches
                    else:
                        data = [_REWRITTEN.pack(first, length, leader_epoch), memoryview(batches)[_REWRITTEN.size :]]
                    epochs = self.leader_epoch_cache.entries
                    if leader_epoch >= 0 and (not epochs or leader_epoch > epochs[-1][0]):
                        self.leader_epoch_cache.assign(leader_epoch, first)
                    seg.append_batch(data, n, first + delta, base_ts, max_ts, defer_write)
                    self.unflushed_messages += count
                return _new_result(AppendResult, (first, first + delta, -1, self.log_start_offset, count, False))
        return self._append_checked(batches, leader_epoch, log_append_time, defer_write)

    def _append_checked(self, batches: Buffer, leader_epoch: int, log_append_time: bool, defer_write: bool) -> AppendResult:
        """append_as_leader for any record set: several batches, producer ids, compacted topics,
        LogAppendTime, and every batch that fails a check."""
        found = self._validate(batches)
        config = self.config
        if "compact" in config.cleanup_policy:
            self._require_keys(batches, found)
        if any(header.producer_id >= 0 for _, header in found):
            dup = self.producer_state.check(found)
            if dup is not None:
                return AppendResult(dup[0], dup[1], -1, self.log_start_offset, 0, True)
        append_time = self.clock.now_ms() if log_append_time or config.message_timestamp_type == "LogAppendTime" else -1
        with self.lock:
            first = next_offset = self.segments[-1].next_offset
            placed = []
            count = 0
            for pos, header in found:
                placed.append((pos, header, next_offset))
                next_offset += header.last_offset_delta + 1
                count += header.records_count
            data = self._rewrite(batches, placed, leader_epoch, append_time)
            latest_epoch = self.leader_epoch_cache.latest_epoch
            if leader_epoch >= 0 and (latest_epoch is None or leader_epoch > latest_epoch):
                self.leader_epoch_cache.assign(leader_epoch, first)
            self._append(data, placed, len(batches), count, defer_write, batches)
        return AppendResult(first, next_offset - 1, append_time, self.log_start_offset, count)

    @staticmethod
    def _rewrite(batches: Buffer, placed: list[tuple[int, BatchHeader, int]], leader_epoch: int, append_time: int) -> Buffer | list[Buffer]:
        """The bytes to write, with each batch's base offset and partition leader epoch set (both outside
        the CRC). A writable view (the request frame, owned by this request) is rewritten in place;
        read-only bytes become pwritev pieces (16 new bytes, then the rest of the batch as it came);
        LogAppendTime changes CRC-covered fields, so those batches are copied and their CRC redone."""
        in_place = isinstance(batches, memoryview) and not batches.readonly
        if append_time < 0 and not in_place and len(placed) <= _MAX_PIECES:
            view = memoryview(batches)
            pieces: list[Buffer] = []
            for pos, header, base in placed:
                pieces.append(_REWRITTEN.pack(base, header.batch_length, leader_epoch))
                pieces.append(view[pos + _REWRITTEN.size : pos + header.batch_length + LOG_OVERHEAD])
            return pieces
        buf = batches if isinstance(batches, memoryview) and not batches.readonly else bytearray(batches)
        for i, (pos, _header, base) in enumerate(placed):
            set_base_offset(buf, pos, base)
            set_partition_leader_epoch(buf, pos, leader_epoch)
            if append_time >= 0:
                set_log_append_time(buf, pos, append_time)
                placed[i] = (pos, read_batch_header(buf, pos), base)  # its max timestamp is now the append time
        return buf

    def _require_keys(self, batches: bytes | bytearray | memoryview, found: list[tuple[int, BatchHeader]]) -> None:
        """A compacted topic keeps the last record per key, so Kafka rejects keyless records there (the
        one place the leader looks inside batches: compacted topics only). The first batch holding keyless
        records fails the append with each of them listed by its index in the batch (KIP-467), as Kafka's
        LogValidator reports them."""
        from strom.storage.cleaner import records_of

        for pos, header in found:
            if header.is_control:
                continue
            raw = bytes(memoryview(batches)[pos : pos + header.size])
            try:
                keyless = [i for i, r in enumerate(records_of(raw, header)) if r.key is None]
            except (CorruptMessage, ValueError) as exc:
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"unreadable records: {exc}") from None
            if keyless:
                raise _keyless_records_error(f"{self.topic}-{self.partition}", keyless)

    def append_as_follower(self, batches: Buffer) -> AppendResult:
        """Appends replicated batches with the offsets the leader gave them. A write the disk refuses takes
        the log (and its dir) offline and raises KAFKA_STORAGE_ERROR, as the leader's appends do: the
        replica fetcher then stops fetching it and the controller learns of the dir."""
        found = self._validate(batches, from_client=False)
        first = found[0][1].base_offset
        with self.lock:
            if self.offline:
                raise self._offline_error()
            if first < self.log_end_offset:
                raise KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, f"follower append at {first} below LEO {self.log_end_offset}")
            for _, header in found:
                if header.partition_leader_epoch >= 0 and (
                    self.leader_epoch_cache.latest_epoch is None or header.partition_leader_epoch > self.leader_epoch_cache.latest_epoch
                ):
                    self.leader_epoch_cache.assign(header.partition_leader_epoch, header.base_offset)
            count = sum(h.records_count for _, h in found)
            try:
                self._append(batches, [(pos, h, h.base_offset) for pos, h in found], len(batches), count, source=batches)
            except OSError as exc:
                with suppress(OSError):
                    self._after_tail_removed()
                raise self.io_failed(exc, "appending replicated records") from None
        return AppendResult(first, found[-1][1].last_offset, -1, self.log_start_offset, count)

    def _append(
        self,
        data: Buffer | list[Buffer],
        placed: list[tuple[int, BatchHeader, int]],
        size: int,
        count: int,
        defer_write: bool = False,
        source: Buffer | None = None,
    ) -> None:
        """Writes batches at the log end (rolling first if due) and records them; caller holds `lock`.
        `source` holds the batches at the positions in `placed` (a marker's control record is read there)."""
        self._maybe_roll(size)
        self.segments[-1].append(data, placed, size, defer_write)
        for pos, header, base in placed:
            if header.producer_id >= 0:
                self.producer_state.record(header, base)
                if header.is_transactional:  # open or close the producer's transaction
                    marker = control_type(source, pos) if header.is_control and source is not None else -1
                    aborted = self.producer_state.track_txn(header, base, marker)
                    if aborted is not None:
                        self.txn_index.append(self.segments[-1].base_offset, aborted)
        self.unflushed_messages += count

    @property
    def last_stable_offset(self) -> int:
        """Where read_committed consumers stop: the first offset of the oldest open transaction, at most the
        high watermark."""
        first = self.producer_state.open_txns.first_unstable_offset()
        hw = self._high_watermark
        return hw if first is None or first > hw else first

    def aborted_transactions(self, start: int, end: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of aborted transactions overlapping [start, end): for Fetch."""
        return [(a.producer_id, a.first_offset) for a in self.txn_index.collect(start, end)]

    def write_buffered(self) -> None:
        """Writes the appends made with defer_write, in one system call. If the disk refuses, the log goes
        back to what is on disk, is offline from then on, and KAFKA_STORAGE_ERROR is raised (none of those
        appends was answered). An offline log raises it too: appends deferred in the same tick as a failed
        write were dropped with it and must not be answered as written."""
        if self.offline:
            raise self._offline_error()
        if not self.segments[-1].unwritten_bytes:
            return
        with self.lock:
            try:
                self.segments[-1].write_unwritten()
            except OSError as exc:
                with suppress(OSError):
                    self._after_tail_removed()
                raise self.io_failed(exc, "appending records") from None

    def io_failed(self, exc: OSError, action: str) -> KafkaError:
        """An I/O error while `action`: the log is offline and its log dir reported (Kafka's
        maybeHandleIOException); returns the KAFKA_STORAGE_ERROR the caller answers with."""
        self.offline = True
        log_dir = self.directory.parent
        if self.failure_channel is not None:
            self.failure_channel.maybe_add_offline_log_dir(
                log_dir, f"Error while {action} of {self.topic}-{self.partition} in dir {log_dir}", exc
            )
        return KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, f"{action} of {self.topic}-{self.partition} in dir {log_dir} failed: {exc}")

    def _offline_error(self) -> KafkaError:
        return KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, f"the log of {self.topic}-{self.partition} is offline after an I/O error")

    def _maybe_roll(self, incoming: int) -> None:
        seg = self.segments[-1]
        if seg.size and self._roll_due(seg, incoming):
            self.roll()

    def _roll_due(self, seg: Segment, incoming: int) -> bool:
        """Kafka's roll rules for a non-empty active segment: segment.bytes, a full index, segment.ms."""
        return (
            seg.size + incoming > self._config.segment_bytes
            or len(seg.index_positions) >= self._max_index_entries
            or self.clock.now_ms() - seg.created_ms > self._roll_after_ms
        )

    def roll(self) -> Segment:
        with self.lock:
            seg = self.active_segment
            if seg.size == 0:
                return seg
            seg.close_index_files()
            self.producer_state.snapshot(self.directory, self.log_end_offset)
            new = Segment(self.directory, self.log_end_offset, self.config.index_interval_bytes, self.clock.now_ms())
            self.segments = [*self.segments, new]
            return new

    def replace_segments(self, old: list[Segment], new: Segment | None) -> bool:
        """Puts `new` (or nothing) in place of the contiguous run `old`; False if the log changed meanwhile
        (retention, truncation). Called by the cleaner under `lock` after its files are in place."""
        with self.lock:
            ids = [id(s) for s in self.segments]
            try:
                i = ids.index(id(old[0]))
            except ValueError:
                return False
            if [id(s) for s in self.segments[i : i + len(old)]] != [id(s) for s in old] or old[-1] is self.active_segment:
                return False
            self.segments = self.segments[:i] + ([new] if new is not None else []) + self.segments[i + len(old) :]
            now = self.clock.monotonic_ms()
            self.retired.extend((now, s) for s in old)
            return True

    def close_retired(self, now_monotonic_ms: int | None = None) -> int:
        """Closes segments swapped out at least file.delete.delay.ms ago (all of them when no time is given)."""
        with self.lock:
            keep, done = [], []
            for at, seg in self.retired:
                if now_monotonic_ms is None or now_monotonic_ms - at >= self.config.file_delete_delay_ms:
                    done.append(seg)
                else:
                    keep.append((at, seg))
            self.retired = keep
        for seg in done:
            seg.close()
        return len(done)

    # ---- read -----------------------------------------------------------------------------------------

    def _segment_for(self, offset: int, segments: list[Segment] | None = None) -> int:
        bases = [s.base_offset for s in (self.segments if segments is None else segments)]
        return max(0, bisect.bisect_right(bases, offset) - 1)

    def read(self, offset: int, max_bytes: int, max_offset: int | None = None, min_one_batch: bool = True) -> FileSlice | None:
        """A file slice from the batch containing `offset`, at most max_bytes long (at least its first batch
        if asked), never past `max_offset` (exclusive; the high watermark for consumers).

        As in Kafka's LogSegment.read, the slice is cut by bytes, not at a batch boundary: a trailing
        partial batch is normal and clients drop it (when not even the first batch fits, the answer is
        empty, as Kafka's ReplicaManager replaces such a fragment). So a read costs two index lookups,
        whatever the batch sizes -- no scan of the headers in between. In a compacted log an offset that
        was cleaned away reads from the next batch after it, as in Kafka."""
        segments = self.segments  # one snapshot: the cleaner replaces the list, never mutates it
        bound = self.log_end_offset if max_offset is None else max_offset
        if offset < self.log_start_offset or offset > self.log_end_offset:
            raise KafkaError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"offset {offset} outside [{self.log_start_offset}, {self.log_end_offset}] of {self.topic}-{self.partition}",
            )
        if offset >= bound:
            return None
        i = self._segment_for(offset, segments)
        while i < len(segments):
            seg = segments[i]
            found = seg.position_of(offset)
            if found is not None:
                break
            i += 1
        else:
            return None
        start, first = found
        if first.base_offset >= bound:
            return None
        max_position = seg.size
        if bound < seg.next_offset:
            at_bound = seg.position_of(bound)
            if at_bound is not None:
                max_position = at_bound[0]
        limit = max(max_bytes, first.size) if min_one_batch else max_bytes
        if limit < first.size:
            return None  # not even the first batch fits: Kafka answers empty rather than a useless fragment
        size = min(max_position - start, limit)
        if size <= 0:
            return None
        return FileSlice(seg.reader, start, size)

    def read_bytes(self, offset: int, max_bytes: int = 1 << 30, max_offset: int | None = None) -> bytes:
        """Whole batches readable from `offset` as bytes (tests, tools, compaction)."""
        from strom.protocol.records import iter_batch_headers

        out = bytearray()
        while len(out) < max_bytes:
            chunk = self.read(offset, max_bytes - len(out), max_offset, min_one_batch=not out)
            if chunk is None:
                break
            data = chunk.read()
            last = None
            end = 0
            for pos, h in iter_batch_headers(data):
                last = h
                end = pos + h.size
            if last is None:
                break
            out += data[:end]
            offset = last.last_offset + 1
        return bytes(out)

    # ---- offsets by time -------------------------------------------------------------------------------

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        for seg in self.segments:
            if seg.max_timestamp >= timestamp:
                found = seg.offset_for_timestamp(timestamp)
                if found is not None:
                    return max(found[0], self.log_start_offset), found[1]
        return None

    def max_timestamp_and_offset(self) -> tuple[int, int]:
        """ListOffsets MAX_TIMESTAMP (KIP-734): the largest timestamp and the offset of the first record carrying
        it. Appends track only batch headers (each segment's largest batch max_timestamp and that batch); the
        one batch holding it is read here, at query time, to find the record."""
        best: Segment | None = None
        for seg in self.segments:
            if seg.max_timestamp > (best.max_timestamp if best is not None else -1):
                best = seg
        if best is None:
            return -1, -1
        timestamp, batch_last_offset = best.max_timestamp, best.offset_of_max_timestamp
        return timestamp, _offset_of_timestamp(best, batch_last_offset, timestamp)

    # ---- truncation, retention, deletion ----------------------------------------------------------------

    def truncate_to(self, offset: int) -> None:
        """Removes everything at or after `offset` (replication: a follower diverged from its leader)."""
        with self.lock:
            self._truncate_to(offset)

    def _truncate_to(self, offset: int) -> None:
        if offset >= self.log_end_offset:
            return
        while len(self.segments) > 1 and self.segments[-1].base_offset >= offset:
            gone = self.segments[-1]
            self.segments = self.segments[:-1]
            gone.delete()
        self.active_segment.truncate_to(offset)
        self._after_tail_removed()

    def _after_tail_removed(self) -> None:
        """Offsets past the new log end are gone: everything that remembers them follows."""
        self.leader_epoch_cache.truncate_from_end(self.log_end_offset)
        self.producer_state.rebuild(self)
        self._high_watermark = min(self._high_watermark, self.log_end_offset)
        self.recovery_point = min(self.recovery_point, self.log_end_offset)
        self.first_dirty_offset = min(self.first_dirty_offset, self.log_end_offset)

    def truncate_fully_and_start_at(self, offset: int) -> None:
        with self.lock:
            for seg in self.segments:
                seg.delete()
            self.segments = [Segment(self.directory, offset, self.config.index_interval_bytes, self.clock.now_ms())]
            self.first_dirty_offset = offset
        self.log_start_offset = offset
        self._high_watermark = offset
        self.recovery_point = offset
        self.leader_epoch_cache.clear()
        self.producer_state.clear()
        self.txn_index.drop_segments_below(1 << 63)

    def delete_records_before(self, offset: int) -> int:
        """DeleteRecords: moves the log start offset forward (whole segments below it go at retention)."""
        if offset > self.high_watermark:
            raise KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, f"offset {offset} is above the high watermark")
        with self.lock:
            if offset > self.log_start_offset:
                self.log_start_offset = offset
                self._delete_segments_below_start()
            return self.log_start_offset

    def _delete_segments_below_start(self) -> int:
        deleted = 0
        while len(self.segments) > 1 and self.segments[1].base_offset <= self.log_start_offset:
            gone = self.segments[0]
            self.segments = self.segments[1:]
            self._retire(gone)
            deleted += 1
        return deleted

    def _retire(self, seg: Segment) -> None:
        """Retention runs on a worker thread while fetches read on the event loop: the files go now, the
        fds after file.delete.delay.ms (close_retired), so a read that holds the segment still completes."""
        seg.close_index_files()
        seg.unlink_files()
        (self.directory / f"{seg.base_offset:020d}.snapshot").unlink(missing_ok=True)
        if self.txn_index.by_segment:
            self.txn_index.drop_segments_below(self.segments[0].base_offset)
        self.retired.append((self.clock.monotonic_ms(), seg))

    def enforce_retention(self, now_ms: int) -> int:
        """Deletes whole segments past retention.ms / retention.bytes; returns how many were deleted."""
        with self.lock:
            return self._enforce_retention(now_ms)

    def _enforce_retention(self, now_ms: int) -> int:
        if "delete" not in self.config.cleanup_policy.split(","):
            return self._delete_segments_below_start()
        deleted = 0
        if self.config.retention_ms >= 0:
            while self.segments and self.segments[0].size > 0:
                seg = self.segments[0]
                if now_ms - seg.max_timestamp <= self.config.retention_ms:
                    break
                if seg is self.active_segment:
                    self.roll()
                deleted += self._drop_oldest()
        if self.config.retention_bytes >= 0:
            while len(self.segments) > 1 and self.size_bytes - self.segments[0].size >= self.config.retention_bytes:
                deleted += self._drop_oldest()
        return deleted + self._delete_segments_below_start()

    def _drop_oldest(self) -> int:
        if len(self.segments) <= 1:
            return 0
        seg = self.segments[0]
        self.segments = self.segments[1:]
        self._retire(seg)
        self.log_start_offset = max(self.log_start_offset, self.segments[0].base_offset)
        self._high_watermark = max(self._high_watermark, self.log_start_offset)
        return 1

    # ---- flush / close ---------------------------------------------------------------------------------

    def needs_flush(self, now_monotonic_ms: int) -> bool:
        if self.unflushed_messages == 0:
            return False
        return self.unflushed_messages >= self.config.flush_messages or now_monotonic_ms - self.last_flush_ms >= self.config.flush_ms

    def flush(self) -> None:
        """fsync of what is past the recovery point. A failed fsync takes the log offline (KAFKA_STORAGE_ERROR):
        the kernel may have dropped the dirty pages, so nothing written since the last flush is trusted."""
        if self.offline:
            raise self._offline_error()
        end = self.log_end_offset
        try:
            for seg in self.segments:
                if seg.next_offset > self.recovery_point or seg is self.active_segment:
                    seg.flush()
        except OSError as exc:
            raise self.io_failed(exc, "flushing") from None
        self.recovery_point = end
        self.unflushed_messages = 0
        self.last_flush_ms = self.clock.monotonic_ms()

    def close(self) -> None:
        if self.offline:
            self.close_handlers()
            return
        self.producer_state.snapshot(self.directory, self.log_end_offset)
        for seg in self.segments:
            seg.close_index_files()
            seg.close()
        self.close_retired()

    def close_handlers(self) -> None:
        """Closes every file of the log without writing anything more (Kafka's closeHandlers: the log dir
        failed, so appends not yet written are dropped and no snapshot or index is written)."""
        self.offline = True
        with self.lock:
            for seg in self.segments:
                seg.close_handlers()
            for _, seg in self.retired:
                seg.close_handlers()
            self.retired = []

    def delete(self) -> None:
        for seg in self.segments:
            seg.close()
        self.close_retired()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __repr__(self) -> str:
        return f"PartitionLog({self.topic}-{self.partition}, start={self.log_start_offset}, leo={self.log_end_offset})"


def _keyless_records_error(partition: str, indexes: list[int]) -> RecordValidationError:
    """Kafka's answer to keyless records in a compacted topic: INVALID_RECORD, one record error per keyless
    record, and a message naming how many there are and showing the first three."""
    text = f"Compacted topic cannot accept message without key in topic partition {partition}"
    errors: list[tuple[int, str | None]] = [(i, text) for i in indexes]
    shown = ", ".join(f"RecordError(batchIndex={i}, message='{m}')" for i, m in errors[:3])
    message = (
        f"One or more records have been rejected due to {len(errors)} record errors in total, "
        f"and only showing the first three errors at most: [{shown}]"
    )
    return RecordValidationError(ErrorCode.INVALID_RECORD, message, errors)


def _offset_of_timestamp(seg: Segment, batch_offset: int, timestamp: int) -> int:
    """The offset of the first record stamped `timestamp` in the batch holding `batch_offset` (a LogAppendTime
    batch stamps every record with its time: its base offset); the batch's last offset if none is."""
    from strom.storage.cleaner import records_of

    found = seg.position_of(batch_offset)
    if found is None or found[1].base_offset > batch_offset:
        return batch_offset
    pos, header = found
    if header.magic < MAGIC_V2:
        return batch_offset
    if header.attributes & TIMESTAMP_TYPE_MASK:
        return header.base_offset
    raw = FileSlice(seg.reader, pos, header.size).read()
    try:
        records = records_of(raw, header)
    except (CorruptMessage, ValueError):
        return batch_offset
    for r in records:
        if header.base_timestamp + r.timestamp_delta == timestamp:
            return header.base_offset + r.offset_delta
    return batch_offset
