"""One log segment: `<base offset>.log` of record batches plus Kafka's sparse `.index` and `.timeindex`.

The segment only ever reads batch headers (61 bytes) -- never records -- so append and read cost the
same per batch whatever the batch holds. Index formats are Kafka's: 8-byte entries (relative offset,
position) and 12-byte entries (timestamp, relative offset), big-endian, so Kafka's tools read them.
"""

from __future__ import annotations

import bisect
import logging
import mmap
import os
import struct
import threading
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from strom import checksum as crc32c
from strom import portability
from strom.portability import CAPS, O_BINARY, pread, seek_lock
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import BATCH_HEADER_SIZE, CRC_START, LOG_OVERHEAD, BatchHeader, read_batch_header

# The system calls that put a segment's bytes on disk, looked up here at each call: the seam where tests make
# the disk refuse a write, write part of it, or fail an fsync (strom.testing.disk_faults), below everything else.
pwrite = portability.pwrite
pwritev = portability.pwritev
fsync = os.fsync

_log = logging.getLogger("kafka.log.LogSegment")
_INDEX_ENTRY = struct.Struct(">ii")
_TIME_ENTRY = struct.Struct(">qi")
_LEN = struct.Struct(">qi")
_PENDING_INDEX_ENTRIES = 8192  # 64 KiB of .index entries written at once
_SCAN_CHUNK = 64 * 1024
_BIG_BATCH = 4096
_I32 = struct.Struct(">i")
_IOV_MAX = 1024  # pieces one pwritev takes (Linux's IOV_MAX)
# deferred appends are written once this many bytes wait: grouping saves a system call per append, which
# matters for small batches only, and on this machine writes of 2 MiB and more cost several times more per
# byte than 128 KiB-1 MiB writes (bench/storage_bench.py); it also bounds what a tick keeps referenced
_MAX_UNWRITTEN = 512 * 1024
_LAST_DELTA_AT = 23  # lastOffsetDelta in a v2 batch header
DELETED = ".deleted"
"""Kafka's suffix of a segment on its way out (compaction's swap; deletion where open files cannot be unlinked)."""


Buffer = bytes | bytearray | memoryview


def segment_name(base_offset: int, suffix: str) -> str:
    return f"{base_offset:020d}{suffix}"


@dataclass(frozen=True, slots=True)
class FileSlice:
    """A byte range of a segment file: what a fetch sends with sendfile, without reading it into Python."""

    file: BinaryIO
    position: int
    size: int

    def read(self) -> bytes:
        return pread(self.file.fileno(), self.size, self.position)


class Segment:
    def __init__(self, directory: Path, base_offset: int, index_interval_bytes: int, created_ms: int, suffix: str = "") -> None:
        """`suffix` names a segment in flight (Kafka's `.cleaned` / `.swap` / `.deleted` after the extension)."""
        self.directory = directory
        self.base_offset = base_offset
        self.index_interval_bytes = index_interval_bytes
        self.created_ms = created_ms
        self.suffix = suffix
        self.log_path = directory / segment_name(base_offset, ".log" + suffix)
        self.index_path = directory / segment_name(base_offset, ".index" + suffix)
        self.time_index_path = directory / segment_name(base_offset, ".timeindex" + suffix)
        self._fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | O_BINARY, 0o644)
        try:
            self.reader: BinaryIO = open(self.log_path, "rb", buffering=0)  # noqa: SIM115 - lives with the segment
        except OSError:  # out of file descriptors: the first one must not leak
            os.close(self._fd)
            raise
        self._unlink_on_close = False  # where open files cannot be unlinked (Windows): close() removes them
        self.size = os.fstat(self._fd).st_size
        self.index_offsets: list[int] = []  # absolute last offsets of indexed batches
        self.index_positions: list[int] = []
        self.time_entries: list[tuple[int, int]] = []  # (timestamp, absolute offset)
        self.max_timestamp = -1
        self.offset_of_max_timestamp = -1
        self.next_offset = base_offset
        self.first_batch_timestamp: int | None = None
        self._bytes_since_index = 0
        self._index_file: BinaryIO | None = None
        self._time_file: BinaryIO | None = None
        if self.size == 0:
            # a new segment has both index files from the start, as in Kafka's layout (operators and
            # kafka-dump-log look for them), even while its entries are still pending
            try:
                for path in (self.index_path, self.time_index_path):
                    path.touch()
            except OSError:  # out of file descriptors: what is open already must not leak
                self.reader.close()
                os.close(self._fd)
                raise
        # how many in-memory index entries are on disk: the active segment's indexes are rebuilt by recovery
        # after a crash anyway, so entries are packed and written in bulk (at 8192 entries, flush, roll,
        # close), not per batch
        self._index_written = 0
        self._time_written = 0
        # idempotent batches seen by the last recover(): producer state replays them without a second scan
        self.recovered_producer_batches: list[tuple[int, BatchHeader]] | None = None
        # group commit: batches appended with defer_write and not yet written -- the pieces of the next
        # pwritev, starting at _written_size. `size` counts them already; every method that reads or
        # changes the file writes them first, so no reader sees a file shorter than `size`.
        self._unwritten: list[Buffer] = []
        self._written_size = self.size
        # taken to add or write pieces: the event loop appends and reads while a worker thread may flush
        self._write_lock = threading.RLock()

    # ---- recovery and loading ------------------------------------------------------------------------

    def recover(self, allow_offset_gaps: bool = False, end_offset: int | None = None) -> int:
        """Scans every batch (length + CRC32C); truncates a torn or corrupt tail; rebuilds both indexes.

        The base offset is outside the CRC, so an uncompacted segment also checks each batch continues the
        previous one; a compacted segment has gaps (`allow_offset_gaps`) and only needs them ascending.
        `end_offset` (the next segment's base offset) bounds a segment that is not the last one.
        Returns the number of bytes truncated."""
        self.index_offsets.clear()
        self.index_positions.clear()
        self.time_entries.clear()
        self.max_timestamp = -1
        self.offset_of_max_timestamp = -1
        self.next_offset = self.base_offset
        self._bytes_since_index = 0
        self._index_written = self._time_written = 0
        self._unwritten = []  # recover() rebuilds from what is on disk (open, truncation, a failed write)
        file_size = os.fstat(self._fd).st_size
        self.recovered_producer_batches = []
        pos = self._scan_valid_prefix(file_size, allow_offset_gaps, end_offset) if file_size else 0
        truncated = file_size - pos
        if truncated:
            os.ftruncate(self._fd, pos)
        self.size = self._written_size = pos
        self._rewrite_indexes()
        return truncated

    def _scan_valid_prefix(self, file_size: int, allow_offset_gaps: bool, end_offset: int | None) -> int:
        """Length of the valid prefix of the log, tracking each valid batch. The file is mapped, not read:
        CRC32C runs over the page cache directly (no copy into Python)."""
        pos = 0
        producer_batches = self.recovered_producer_batches = []
        with mmap.mmap(self._fd, file_size, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
            while pos + BATCH_HEADER_SIZE <= file_size:
                try:
                    header = read_batch_header(view, pos)
                except CorruptMessage:
                    break
                size = header.batch_length + LOG_OVERHEAD
                if pos + size > file_size:
                    break
                # the base offset is outside the CRC: check it fits this segment and continues the last batch
                expected = self.base_offset if pos == 0 else self.next_offset
                in_order = header.base_offset >= expected if allow_offset_gaps else header.base_offset == expected
                if not in_order or header.last_offset - self.base_offset > 0x7FFFFFFF:
                    break
                if end_offset is not None and header.last_offset >= end_offset:
                    break
                if crc32c.crc32c(view[pos + CRC_START : pos + size]) != header.crc:
                    break
                self._track(header, pos, header.base_offset)
                if header.producer_id >= 0:
                    producer_batches.append((pos, header))
                pos += size
        return pos

    def load_indexes(self) -> bool:
        """Trusts a clean segment's index files (below the recovery point); False if they look wrong."""
        try:
            raw_index = self.index_path.read_bytes()
            raw_time = self.time_index_path.read_bytes()
        except FileNotFoundError:
            return False
        if len(raw_index) % 8 or len(raw_time) % 12:
            return False
        last_rel = -1
        # entries ascend in offset and position (and timestamp), within the segment: a damaged entry would
        # send lookups to the wrong batch, so anything else rebuilds the indexes from the log
        for rel, position in _INDEX_ENTRY.iter_unpack(raw_index):
            if position > self.size or rel < 0 or (self.index_positions and (position <= self.index_positions[-1] or rel <= last_rel)):
                return False
            last_rel = rel
            self.index_offsets.append(self.base_offset + rel)
            self.index_positions.append(position)
        for ts, rel in _TIME_ENTRY.iter_unpack(raw_time):
            if rel < 0 or (self.time_entries and (ts < self.time_entries[-1][0] or self.base_offset + rel < self.time_entries[-1][1])):
                return False
            self.time_entries.append((ts, self.base_offset + rel))
        self._index_written = len(self.index_positions)
        self._time_written = len(self.time_entries)
        # the last batch gives the next offset and the max timestamp
        start = self.index_positions[-1] if self.index_positions else 0
        last = None
        pos = start
        try:
            while pos + BATCH_HEADER_SIZE <= self.size:
                header = read_batch_header(pread(self._fd, BATCH_HEADER_SIZE, pos))
                if header.size < BATCH_HEADER_SIZE or header.base_offset < self.base_offset:
                    return False
                last = header
                if header.max_timestamp > self.max_timestamp:
                    self.max_timestamp = header.max_timestamp
                    self.offset_of_max_timestamp = header.last_offset
                pos += header.size
            if pos != self.size:
                return False
            if last is not None:
                self.next_offset = last.last_offset + 1
            if self.time_entries and self.time_entries[-1][0] > self.max_timestamp:
                self.max_timestamp, self.offset_of_max_timestamp = self.time_entries[-1]
            first = pread(self._fd, BATCH_HEADER_SIZE, 0)
            if len(first) == BATCH_HEADER_SIZE:
                self.first_batch_timestamp = read_batch_header(first).base_timestamp
        except CorruptMessage:  # the log under the last index entry is damaged: recover() rescans it
            return False
        return True

    def _rewrite_indexes(self) -> None:
        self._index_written = len(self.index_positions)  # everything is in the lists and written whole below
        self._time_written = len(self.time_entries)
        self.close_index_files()
        self.index_path.write_bytes(
            b"".join(_INDEX_ENTRY.pack(o - self.base_offset, p) for o, p in zip(self.index_offsets, self.index_positions, strict=True))
        )
        self.time_index_path.write_bytes(b"".join(_TIME_ENTRY.pack(t, o - self.base_offset) for t, o in self.time_entries))

    # ---- append ---------------------------------------------------------------------------------------

    def _track(self, header: BatchHeader, position: int, base_offset: int) -> None:
        """Updates in-memory state for a batch at `position` whose offsets start at `base_offset` (the
        header may be the one the producer sent, before its base offset was assigned)."""
        self._track_batch(
            position,
            header.batch_length + LOG_OVERHEAD,
            base_offset + header.last_offset_delta,
            header.base_timestamp,
            header.max_timestamp,
        )

    def _track_batch(self, position: int, size: int, last_offset: int, base_timestamp: int, max_timestamp: int) -> None:
        """The bookkeeping of one batch: sparse index entries every index.interval.bytes, max timestamp,
        next offset."""
        if self.first_batch_timestamp is None:
            self.first_batch_timestamp = base_timestamp
        positions = self.index_positions
        if self._bytes_since_index >= self.index_interval_bytes or not positions:
            if not positions or position > positions[-1]:
                self.index_offsets.append(last_offset)
                positions.append(position)
                time_entries = self.time_entries
                if max_timestamp > (time_entries[-1][0] if time_entries else -1):
                    time_entries.append((max_timestamp, last_offset))
            self._bytes_since_index = size
        else:
            self._bytes_since_index += size
        if max_timestamp > self.max_timestamp:
            self.max_timestamp = max_timestamp
            self.offset_of_max_timestamp = last_offset
        self.next_offset = last_offset + 1

    def append_batch(
        self, data: Buffer | list[Buffer], size: int, last_offset: int, base_timestamp: int, max_timestamp: int, defer_write: bool
    ) -> None:
        """append() of one validated batch whose header fields the caller already holds: the produce fast
        path (PartitionLog.append_as_leader), with no per-batch tuples to build."""
        start = self._place(data, size, defer_write)
        self._track_batch(start, size, last_offset, base_timestamp, max_timestamp)
        self._settle(defer_write)

    def append(
        self,
        data: Buffer | list[Buffer],
        batches: list[tuple[int, BatchHeader, int]],
        size: int | None = None,
        defer_write: bool = False,
    ) -> None:
        """Appends already-validated batches: `data` is the bytes, or the pieces that make them up (written
        with one pwritev, so a caller need not copy a batch to rewrite its first 16 bytes); `batches` are
        (position in data, header, assigned base offset); `size` is their total length.

        Written at once (one system call), or with `defer_write` kept until write_unwritten() -- the caller
        then owns writing them before it acknowledges anything, and must not change `data` meanwhile."""
        start = self._place(data, len(data) if size is None else size, defer_write)
        for rel_pos, header, base_offset in batches:
            self._track(header, start + rel_pos, base_offset)
        self._settle(defer_write)

    def _place(self, data: Buffer | list[Buffer], size: int, defer_write: bool) -> int:
        """Writes `data` at the segment's end (one system call), or keeps it for write_unwritten() when
        writes are deferred or earlier deferred bytes are still unwritten (the file stays in order);
        returns the position it takes."""
        start = self.size
        with self._write_lock:  # a flush on a worker thread may be writing the deferred pieces right now
            unwritten = self._unwritten
            if defer_write or unwritten:
                if isinstance(data, list):
                    unwritten += data
                else:
                    unwritten.append(data)
            else:
                self._write_at(data, start, size)
                self._written_size = start + size
        self.size = start + size
        return start

    def _settle(self, defer_write: bool) -> None:
        """After an append's bookkeeping: writes deferred bytes once due (not deferring, or 512 KiB
        waiting) and index entries once 64 KiB of them are pending."""
        if self._unwritten and (not defer_write or self.size - self._written_size >= _MAX_UNWRITTEN):
            self.write_unwritten()
        if len(self.index_positions) - self._index_written >= _PENDING_INDEX_ENTRIES:
            self.write_pending_indexes()

    def _write_at(self, data: Buffer | list[Buffer], position: int, size: int) -> None:
        """One write system call; a failed or short write leaves no partial bytes behind."""
        try:
            written = pwritev(self._fd, data, position) if isinstance(data, list) else pwrite(self._fd, data, position)
            if written != size:
                raise OSError(f"short write to {self.log_path}: {written} of {size} bytes")
        except OSError:
            with suppress(OSError):
                os.ftruncate(self._fd, position)
            raise

    @property
    def unwritten_bytes(self) -> int:
        return self.size - self._written_size

    def write_unwritten(self) -> None:
        """Writes the deferred appends: one pwritev (per IOV_MAX pieces). If the disk refuses, the segment
        goes back to what is on disk (recover) and the error is raised: those batches were never acked."""
        with self._write_lock:
            pieces = self._unwritten
            if not pieces:
                return
            self._unwritten = []
            position = self._written_size
            try:
                for i in range(0, len(pieces), _IOV_MAX):
                    chunk = pieces[i : i + _IOV_MAX]
                    size = sum(map(len, chunk))
                    self._write_at(chunk, position, size)
                    position += size
            except OSError:
                self.recover(allow_offset_gaps=True)
                raise
            self._written_size = position

    def write_pending_indexes(self) -> None:
        """Packs and writes the index entries added since the last call."""
        with self._write_lock:
            self._write_pending_indexes()

    def _write_pending_indexes(self) -> None:
        base = self.base_offset
        done, total = self._index_written, len(self.index_positions)
        if total > done:
            self._index_writer().write(
                b"".join(map(_INDEX_ENTRY.pack, [o - base for o in self.index_offsets[done:]], self.index_positions[done:]))
            )
            self._index_written = total
        done, total = self._time_written, len(self.time_entries)
        if total > done:
            self._time_writer().write(b"".join(_TIME_ENTRY.pack(t, o - base) for t, o in self.time_entries[done:]))
            self._time_written = total

    def _index_writer(self) -> BinaryIO:
        if self._index_file is None:
            self._index_file = open(self.index_path, "ab", buffering=0)  # noqa: SIM115
        return self._index_file

    def _time_writer(self) -> BinaryIO:
        if self._time_file is None:
            self._time_file = open(self.time_index_path, "ab", buffering=0)  # noqa: SIM115
        return self._time_file

    @property
    def index_entries(self) -> int:
        return len(self.index_positions)

    # ---- lookup ---------------------------------------------------------------------------------------

    def position_of(self, offset: int) -> tuple[int, BatchHeader] | None:
        """Position and header of the batch that contains `offset` (or the first after it). An index entry
        that leads to no batch header (a damaged index of a clean segment: start-up checks only its order)
        rebuilds the indexes from the log once, and the lookup is made again."""
        try:
            return self._position_of(offset)
        except CorruptMessage as exc:
            self._rebuild_indexes(exc)
            return self._position_of(offset)

    def _rebuild_indexes(self, exc: CorruptMessage) -> None:
        _log.warning(
            "Found a corrupted index file corresponding to log file %s (%s), recovering segment and rebuilding index files...",
            self.log_path,
            exc,
        )
        with self._write_lock:
            truncated = self.recover(allow_offset_gaps=True)
        if truncated:
            _log.warning(
                "Found invalid messages in log segment %s at byte offset %d: truncated %d bytes", self.log_path, self.size, truncated
            )

    def _position_of(self, offset: int) -> tuple[int, BatchHeader] | None:
        """position_of, trusting the index.

        The sparse index brackets the batch between two entries: the first check is the upper entry's
        batch (one pread: the common case when batches are large); otherwise one pread of the stretch in
        between (about index.interval.bytes) is scanned in memory."""
        if self._unwritten:
            self.write_unwritten()
        i = bisect.bisect_left(self.index_offsets, offset)
        upper = self.index_positions[i] if i < len(self.index_positions) else self.size
        if upper < self.size:
            header = read_batch_header(pread(self._fd, BATCH_HEADER_SIZE, upper))
            if header.base_offset <= offset:
                return upper, header
        pos = self.index_positions[i - 1] if i > 0 else 0
        span = min(upper + BATCH_HEADER_SIZE, self.size) - pos
        if span <= _SCAN_CHUNK:
            chunk = pread(self._fd, span, pos)
            q = 0
            while q + BATCH_HEADER_SIZE <= len(chunk):
                base, length = _LEN.unpack_from(chunk, q)
                if base + _I32.unpack_from(chunk, q + _LAST_DELTA_AT)[0] >= offset:
                    return pos + q, read_batch_header(chunk, q)
                q += length + LOG_OVERHEAD
            pos += q
        while pos + BATCH_HEADER_SIZE <= self.size:
            header = read_batch_header(pread(self._fd, BATCH_HEADER_SIZE, pos))
            if header.last_offset >= offset:
                return pos, header
            pos += header.size
        return None

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """First batch whose max timestamp >= timestamp: (offset, timestamp) per Kafka's ListOffsets rules."""
        if self._unwritten:
            self.write_unwritten()
        i = bisect.bisect_left(self.time_entries, (timestamp, -1))
        start_offset = self.time_entries[i - 1][1] + 1 if i > 0 else self.base_offset
        found = self.position_of(start_offset)
        if found is None:
            return None
        pos = found[0]
        while pos + BATCH_HEADER_SIZE <= self.size:
            header = read_batch_header(pread(self._fd, BATCH_HEADER_SIZE, pos))
            if header.max_timestamp >= timestamp:
                from strom.protocol.records import iter_records

                data = pread(self._fd, header.size, pos)
                for record in iter_records(data):
                    if record.timestamp >= timestamp:
                        return record.offset, record.timestamp
                return header.last_offset, header.max_timestamp
            pos += header.size
        return None

    def batch_headers(self, start: int = 0) -> list[tuple[int, BatchHeader]]:
        """(position, header) of every batch from `start`. Small batches are parsed from 64 KiB reads, a
        large batch's successor costs one 61-byte read (cheaper than reading the batch to skip it)."""
        if self._unwritten:
            self.write_unwritten()
        out = []
        pos = start
        size = self.size
        buf = b""
        buf_start = 0
        last_size = 0
        while pos + BATCH_HEADER_SIZE <= size:
            rel = pos - buf_start
            if rel + BATCH_HEADER_SIZE > len(buf):
                want = BATCH_HEADER_SIZE if last_size >= _BIG_BATCH else min(_SCAN_CHUNK, size - pos)
                buf, buf_start, rel = pread(self._fd, want, pos), pos, 0
            header = read_batch_header(buf, rel)
            out.append((pos, header))
            last_size = header.batch_length + LOG_OVERHEAD
            pos += last_size
        return out

    def read_bytes(self, position: int, size: int) -> bytes:
        if self._unwritten:
            self.write_unwritten()
        return pread(self._fd, size, position)

    # ---- truncate / lifecycle -------------------------------------------------------------------------

    def truncate_to(self, offset: int) -> None:
        """Drops every batch at or after `offset` (whole batches: a batch containing it goes too)."""
        if self._unwritten:
            self.write_unwritten()
        keep = 0
        for pos, header in self.batch_headers():
            if header.base_offset >= offset:
                break
            keep = pos + header.size
        os.ftruncate(self._fd, keep)
        self.recover(allow_offset_gaps=True)

    def flush(self) -> None:
        """fsync of the log and its indexes. The broker flushes from a worker thread while the event loop
        appends and rolls (which closes the index files): the fsyncs use duplicated fds, outside the lock."""
        with self._write_lock:
            if self._unwritten:
                self.write_unwritten()
            self.write_pending_indexes()
            fds = [os.dup(f.fileno()) for f in (self._index_file, self._time_file) if f is not None]
        try:
            fsync(self._fd)
            for fd in fds:
                fsync(fd)
        finally:
            for fd in fds:
                os.close(fd)

    def rename_suffix(self, suffix: str) -> None:
        """Renames the log and its indexes to another in-flight suffix ("" = live); open fds stay valid.

        The log file goes last: its name is what crash recovery looks at."""
        if self._unwritten:
            self.write_unwritten()
        self.close_index_files()
        moves = [
            (getattr(self, attr), attr, self.directory / segment_name(self.base_offset, ext + suffix))
            for attr, ext in (("index_path", ".index"), ("time_index_path", ".timeindex"), ("log_path", ".log"))
        ]
        self._rename_files(moves)
        self.suffix = suffix

    def rename_log(self, new: Path) -> None:
        """Renames the log file alone (the cleaner's `.cleaned` -> `.swap` commit point)."""
        self._rename_files([(self.log_path, "log_path", new)])

    def _rename_files(self, moves: list[tuple[Path, str, Path]]) -> None:
        """Renames files of this segment. Where an open file cannot be renamed (Windows; STROM_PORTABLE=1)
        the log's fds are closed around the rename and reopened on the new name: a fetch response still
        queued on the old file object then ends its connection, and the client fetches again."""
        if CAPS.open_files_renamable or self._fd < 0:
            self._replace_files(moves)
            return
        with self._write_lock, seek_lock:
            os.close(self._fd)
            self.reader.close()
            try:
                self._replace_files(moves)
            finally:
                self._fd = os.open(self.log_path, os.O_RDWR | O_BINARY)
                self.reader = open(self.log_path, "rb", buffering=0)  # noqa: SIM115 - lives with the segment

    def _replace_files(self, moves: list[tuple[Path, str, Path]]) -> None:
        for old, attr, new in moves:
            if old.exists():
                os.replace(old, new)
            setattr(self, attr, new)

    def unlink_files(self) -> None:
        """Removes the files but keeps the fds open: a fetch already sending from them still completes.

        Where open files cannot be unlinked (Windows; STROM_PORTABLE=1) this is Kafka's approach instead:
        the files are renamed to `.deleted` now (a restart removes them, see cleaner.complete_interrupted_swap)
        and unlinked by close(), which the log calls after file.delete.delay.ms."""
        if CAPS.open_files_renamable or self._fd < 0:
            for path in (self.log_path, self.index_path, self.time_index_path):
                path.unlink(missing_ok=True)
            return
        if self.suffix != DELETED:
            self.rename_suffix(DELETED)
        self._unlink_on_close = True

    def close_index_files(self) -> None:
        """Writes what is pending (deferred appends, index entries) and closes the index files (roll, close)."""
        with self._write_lock:
            if self._unwritten:
                self.write_unwritten()
            self._write_pending_indexes()
            for f in (self._index_file, self._time_file):
                if f is not None:
                    f.close()
            self._index_file = None
            self._time_file = None

    def close(self) -> None:
        """Idempotent: a second close must not close the fd number again, which by then may belong to a
        client's socket or another segment's file (closing it would break or corrupt that)."""
        if self._fd < 0:
            return
        try:
            self.close_index_files()  # writes deferred appends first
        finally:
            fd, self._fd = self._fd, -1
            with suppress(OSError):
                os.close(fd)
            self.reader.close()
            if self._unlink_on_close:
                self.unlink_files()

    def close_handlers(self) -> None:
        """Closes the files without writing what is pending (the log dir failed); idempotent like close()."""
        with self._write_lock:
            self._unwritten = []
            self.size = self._written_size
            for f in (self._index_file, self._time_file, self.reader):
                if f is not None:
                    with suppress(OSError):
                        f.close()
            self._index_file = self._time_file = None
            fd, self._fd = self._fd, -1
            if fd >= 0:
                with suppress(OSError):
                    os.close(fd)

    def delete(self) -> None:
        self.close()
        for path in (self.log_path, self.index_path, self.time_index_path):
            path.unlink(missing_ok=True)
        (self.directory / segment_name(self.base_offset, ".snapshot")).unlink(missing_ok=True)
