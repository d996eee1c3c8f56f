"""Log compaction for cleanup.policy=compact: keep the last record per key, drop tombstones once old.

Runs off the event loop (the broker calls it from a worker thread) on closed segments only, so appends to
the active segment never wait for it. One pass, as in Kafka's LogCleaner:

1. The dirty section runs from the cleaner checkpoint (`first_dirty_offset`) to the first uncleanable
   offset: the active segment, the high watermark, and segments younger than min.compaction.lag.ms bound it.
   A log is cleaned when dirty bytes / all cleanable bytes >= min.cleanable.dirty.ratio (or the oldest
   dirty record is older than max.compaction.lag.ms).
2. An offset map (key -> last offset) is built from the dirty section.
3. Every segment below the first uncleanable offset is rewritten in groups that fit segment.bytes: a record
   survives if no later offset has its key; a tombstone also goes once its batch was already clean and is
   older than delete.retention.ms (by its max timestamp). Batches keep their base offset, attributes, producer fields and the
   original bytes of surviving records (offsets keep their gaps); a batch with every record kept is copied.
4. Each group is swapped in with Kafka's file suffixes, crash-safely:
       write X.log.cleaned (+ indexes), fsync  ->  rename the old segments to *.deleted
       -> rename X.log.cleaned to X.log.swap (the commit point)  ->  rename *.swap to live names
       -> unlink *.deleted.
   `complete_interrupted_swap` finishes or undoes a pass interrupted at any step (see there).
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from strom import checksum as crc32c
from strom.protocol import compression
from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import (
    BATCH_HEADER_SIZE,
    CRC_START,
    LOG_OVERHEAD,
    TIMESTAMP_TYPE_MASK,
    BatchHeader,
    read_batch_header,
)
from strom.storage.segment import DELETED, Segment, segment_name

if TYPE_CHECKING:
    from strom.storage.log import PartitionLog

log = logging.getLogger("kafka.log.LogCleaner")

CLEANED = ".cleaned"
SWAP = ".swap"

_HEADER = struct.Struct(">qiibIhiqqqhii")
_U32 = struct.Struct(">I")
_INT32_MAX = 0x7FFFFFFF
WRITE_CHUNK = 1 << 20


class SimulatedCrash(Exception):
    """Raised by a test's crash hook to stop a swap between two steps."""


@dataclass(slots=True)
class CleanerStats:
    segments_before: int = 0
    segments_after: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    records_before: int = 0
    records_after: int = 0
    tombstones_removed: int = 0
    first_dirty_offset: int = 0
    first_uncleanable_offset: int = 0


# ---- crash recovery --------------------------------------------------------------------------------------


def complete_interrupted_swap(directory: Path) -> set[int]:
    """Brings a partition directory to a consistent state after a crash during a swap.

    The presence of `*.log.swap` is the commit point: the cleaned segment replaces the `*.deleted` ones, so
    those are removed and the swap gets its live name. Without it (a `*.log.cleaned` still around) the pass
    did not commit: the cleaned files go and every `*.deleted` file gets its old name back. Leftover
    `*.deleted` without either means the swap finished but the unlink did not: they go. Returns the base
    offsets of swapped-in segments, whose indexes are rebuilt from the log."""
    log_swaps = sorted(directory.glob("*.log" + SWAP))
    log_cleaned = list(directory.glob("*.log" + CLEANED))
    deleted = list(directory.glob("*" + DELETED))
    rebuild: set[int] = set()
    committed = bool(log_swaps) or (bool(deleted) and not log_cleaned)
    if committed:
        for path in deleted:
            path.unlink(missing_ok=True)
        for swap in log_swaps:
            base = int(swap.name[:20])
            for ext in (".index", ".timeindex"):
                (directory / segment_name(base, ext)).unlink(missing_ok=True)
            if swap.stat().st_size == 0:
                swap.unlink()
            else:
                os.replace(swap, directory / segment_name(base, ".log"))
                rebuild.add(base)
    else:
        for path in deleted:
            os.replace(path, path.with_name(path.name[: -len(DELETED)]))
    for leftover in list(directory.glob("*" + CLEANED)) + list(directory.glob("*" + SWAP)):
        leftover.unlink(missing_ok=True)
    if log_swaps or deleted or log_cleaned:
        log.info("Completed an interrupted segment swap in %s (%s)", directory, "committed" if committed else "rolled back")
    return rebuild


# ---- records inside a batch ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RecordView:
    offset_delta: int
    timestamp_delta: int
    key: bytes | None
    tombstone: bool
    start: int  # position of the length varint in the (decompressed) payload
    end: int


def _scan_records(payload: bytes | memoryview, count: int) -> list[_RecordView]:
    """Key, tombstone flag and byte range of each record; values are not copied."""
    out = []
    q = 0
    for _ in range(count):
        start = q
        length, q = p.read_varint(payload, q)
        end = q + length
        if length < 0 or end > len(payload):
            raise CorruptMessage("record length runs past the batch")
        q += 1  # attributes
        ts_delta, q = p.read_varlong(payload, q)
        off_delta, q = p.read_varint(payload, q)
        klen, q = p.read_varint(payload, q)
        key = None
        if klen >= 0:
            key = bytes(payload[q : q + klen])
            q += klen
        vlen, q = p.read_varint(payload, q)
        out.append(_RecordView(off_delta, ts_delta, key, vlen < 0, start, end))
        q = end
    return out


def _payload(raw: bytes, header: BatchHeader) -> bytes | memoryview:
    body = memoryview(raw)[BATCH_HEADER_SIZE : header.size]
    return compression.decompress(header.compression, body) if header.compression else body


def records_of(raw: bytes, header: BatchHeader) -> list[_RecordView]:
    return _scan_records(_payload(raw, header), header.records_count)


def _build_batch(header: BatchHeader, payload: bytes | memoryview, kept: list[_RecordView]) -> bytes:
    """A batch of the kept records' original bytes, with the original base offset and producer fields."""
    body = b"".join(bytes(payload[r.start : r.end]) for r in kept)
    if header.compression and body:
        body = compression.compress(header.compression, body)
    if kept:
        last_delta = kept[-1].offset_delta
        max_ts = (
            header.max_timestamp
            if header.attributes & TIMESTAMP_TYPE_MASK
            else max(header.base_timestamp + r.timestamp_delta for r in kept)
        )
    else:  # an empty batch kept for its producer state: Kafka keeps the last offset delta
        last_delta = header.last_offset_delta
        max_ts = header.max_timestamp
    out = bytearray(
        _HEADER.pack(
            header.base_offset,
            BATCH_HEADER_SIZE - LOG_OVERHEAD + len(body),
            header.partition_leader_epoch,
            2,
            0,
            header.attributes,
            last_delta,
            header.base_timestamp,
            max_ts,
            header.producer_id,
            header.producer_epoch,
            header.base_sequence,
            len(kept),
        )
    )
    out += body
    _U32.pack_into(out, 17, crc32c.crc32c(memoryview(out)[CRC_START:]))
    return bytes(out)


# ---- the cleaner ---------------------------------------------------------------------------------------


def _aborted_ranges(lg: PartitionLog) -> dict[int, list[tuple[int, int]]]:
    """Producer id -> (first, last offset) of its aborted transactions, from the log's .txnindex."""
    out: dict[int, list[tuple[int, int]]] = {}
    for a in lg.txn_index.all():
        out.setdefault(a.producer_id, []).append((a.first_offset, a.last_offset))
    return out


def _is_aborted(header: BatchHeader, aborted: dict[int, list[tuple[int, int]]] | None) -> bool:
    if not aborted or not header.is_transactional or header.is_control:
        return False
    return any(first <= header.base_offset <= last for first, last in aborted.get(header.producer_id, ()))


class LogCleaner:
    """Cleans one log at a time; `crash_hook(step)` lets tests stop a swap between its steps."""

    def __init__(self, max_map_keys: int = 4_000_000, crash_hook: Callable[[str], None] | None = None) -> None:
        self.max_map_keys = max_map_keys
        self.crash_hook = crash_hook

    def _step(self, name: str) -> None:
        if self.crash_hook is not None:
            self.crash_hook(name)

    # ---- what to clean --------------------------------------------------------------------------------

    @staticmethod
    def cleanable_segments(lg: PartitionLog, now_ms: int) -> tuple[list[Segment], int]:
        """Closed segments below the first uncleanable offset, and that offset (a segment boundary)."""
        segments = lg.segments
        # an open transaction may still abort: nothing at or after the last stable offset is cleaned yet
        limit = min(lg.last_stable_offset, lg.active_segment.base_offset)
        out = []
        for seg in segments[:-1]:
            if seg.next_offset > limit:
                break
            if lg.config.min_compaction_lag_ms > 0 and seg.max_timestamp > now_ms - lg.config.min_compaction_lag_ms:
                break
            out.append(seg)
        return out, segments[len(out)].base_offset

    def dirty_ratio(self, lg: PartitionLog, now_ms: int) -> tuple[float, bool]:
        """(dirty bytes / cleanable bytes, whether max.compaction.lag.ms forces a clean)."""
        segs, _end = self.cleanable_segments(lg, now_ms)
        first_dirty = max(lg.first_dirty_offset, lg.log_start_offset)
        dirty = [s for s in segs if s.base_offset >= first_dirty or s.next_offset > first_dirty]
        dirty_bytes = sum(s.size for s in dirty)
        total = sum(s.size for s in segs)
        if not dirty_bytes:
            return 0.0, False
        oldest = min((s.first_batch_timestamp for s in dirty if s.first_batch_timestamp is not None), default=now_ms)
        forced = now_ms - oldest > lg.config.max_compaction_lag_ms
        return dirty_bytes / total, forced

    def needs_cleaning(self, lg: PartitionLog, now_ms: int) -> bool:
        if "compact" not in lg.config.cleanup_policy:
            return False
        ratio, forced = self.dirty_ratio(lg, now_ms)
        return ratio > 0 and (forced or ratio >= lg.config.min_cleanable_dirty_ratio)

    # ---- one pass -------------------------------------------------------------------------------------

    def clean(self, lg: PartitionLog, now_ms: int, force: bool = False) -> CleanerStats | None:
        """One compaction pass over `lg` if it is dirty enough (or `force`); None when nothing was done."""
        if not force and not self.needs_cleaning(lg, now_ms):
            return None
        segs, end = self.cleanable_segments(lg, now_ms)
        if not segs:
            return None
        first_dirty = max(lg.first_dirty_offset, lg.log_start_offset)
        stats = CleanerStats(first_dirty_offset=first_dirty)
        aborted = _aborted_ranges(lg)
        offset_map, map_end = self._build_offset_map(segs, first_dirty, aborted)
        if map_end is not None:  # the map filled up: clean up to where it reaches, the rest next pass
            segs = [s for s in segs if s.base_offset < map_end]
            end = map_end
        stats.first_uncleanable_offset = end
        last_batch_of_producer = {pid: e.batches[-1][3] for pid, e in lg.producer_state.producers.items() if e.batches}
        horizon = now_ms - lg.config.delete_retention_ms
        unswapped = list(segs)  # every segment the offset map came from must still be there at each swap
        for group in self._groups(segs, lg.config.segment_bytes, lg.config.segment_index_bytes):
            cleaned = self._clean_group(lg, group, offset_map, first_dirty, horizon, last_batch_of_producer, stats, aborted)
            try:
                swapped = self._swap(lg, group, cleaned, unswapped)
            except BaseException:
                cleaned.close()  # the files stay as they are: the next open completes or undoes the swap
                raise
            if not swapped:
                log.info("Cleaning of %s stopped: the log changed during the pass", lg)
                return stats
            unswapped = [s for s in unswapped if s not in group]
        lg.first_dirty_offset = end
        lg.close_retired(lg.clock.monotonic_ms())
        log.info(
            "Cleaned %s: %d -> %d segments, %d -> %d bytes, %d -> %d records, %d tombstones removed",
            lg,
            stats.segments_before,
            stats.segments_after,
            stats.bytes_before,
            stats.bytes_after,
            stats.records_before,
            stats.records_after,
            stats.tombstones_removed,
        )
        return stats

    def _build_offset_map(
        self, segs: list[Segment], first_dirty: int, aborted: dict[int, list[tuple[int, int]]] | None = None
    ) -> tuple[dict[bytes, int], int | None]:
        """key -> last offset over the dirty segments; stops after the segment that fills the map and then
        also returns where it stopped (the next segment's base offset)."""
        offset_map: dict[bytes, int] = {}
        end = None
        for i, seg in enumerate(segs):
            if seg.next_offset <= first_dirty:
                continue
            for pos, header in seg.batch_headers():
                if header.is_control or header.last_offset < first_dirty or _is_aborted(header, aborted):
                    continue  # an aborted transaction's record must not displace a committed value
                raw = seg.read_bytes(pos, header.size)
                for r in records_of(raw, header):
                    offset = header.base_offset + r.offset_delta
                    if r.key is not None and offset >= first_dirty:
                        offset_map[r.key] = offset
            if len(offset_map) >= self.max_map_keys and i + 1 < len(segs):
                end = segs[i + 1].base_offset
                break
        return offset_map, end

    @staticmethod
    def _groups(segs: list[Segment], max_bytes: int, max_index_bytes: int) -> list[list[Segment]]:
        """Runs of segments whose total size, index entries and offset range fit one segment, as Kafka groups."""
        groups: list[list[Segment]] = []
        current: list[Segment] = []
        size = entries = 0
        for seg in segs:
            fits = (
                current
                and size + seg.size <= max_bytes
                and (entries + seg.index_entries) * 8 <= max_index_bytes
                and seg.next_offset - 1 - current[0].base_offset <= _INT32_MAX
            )
            if current and not fits:
                groups.append(current)
                current, size, entries = [], 0, 0
            current.append(seg)
            size += seg.size
            entries += seg.index_entries
        if current:
            groups.append(current)
        return groups

    def _clean_group(
        self,
        lg: PartitionLog,
        group: list[Segment],
        offset_map: dict[bytes, int],
        first_dirty: int,
        horizon: int,
        last_batch_of_producer: dict[int, int],
        stats: CleanerStats,
        aborted: dict[int, list[tuple[int, int]]] | None = None,
    ) -> Segment:
        base = group[0].base_offset
        for ext in (".log", ".index", ".timeindex"):
            (lg.directory / segment_name(base, ext + CLEANED)).unlink(missing_ok=True)
        cleaned = Segment(lg.directory, base, lg.config.index_interval_bytes, group[-1].created_ms, suffix=CLEANED)
        try:
            pending = bytearray()
            pending_headers: list[tuple[int, BatchHeader, int]] = []
            for seg in group:
                stats.segments_before += 1
                stats.bytes_before += seg.size
                was_clean = seg.next_offset <= first_dirty
                for pos, header in seg.batch_headers():
                    raw = seg.read_bytes(pos, header.size)
                    # a tombstone has had delete.retention.ms to reach readers once its batch is clean and older
                    drop_tombstones = was_clean and header.max_timestamp < horizon
                    out = self._filter_batch(
                        raw, header, offset_map, drop_tombstones, last_batch_of_producer, stats, _is_aborted(header, aborted)
                    )
                    if out is None:
                        continue
                    header_out = read_batch_header(out)
                    pending_headers.append((len(pending), header_out, header_out.base_offset))
                    pending += out
                    if len(pending) >= WRITE_CHUNK:
                        cleaned.append(pending, pending_headers)
                        pending, pending_headers = bytearray(), []
            if pending:
                cleaned.append(pending, pending_headers)
            cleaned.flush()
            cleaned.close_index_files()
        except BaseException:
            self._discard(cleaned)  # the log changed under the pass (deleted, truncated): nothing to keep
            raise
        stats.segments_after += 1 if cleaned.size else 0
        stats.bytes_after += cleaned.size
        return cleaned

    @staticmethod
    def _filter_batch(
        raw: bytes,
        header: BatchHeader,
        offset_map: dict[bytes, int],
        drop_tombstones: bool,
        last_batch_of_producer: dict[int, int],
        stats: CleanerStats,
        aborted: bool = False,
    ) -> bytes | None:
        if header.is_control:
            return raw  # transaction markers stay (Kafka removes them after delete.retention.ms: not done yet)
        payload = _payload(raw, header)
        records = _scan_records(payload, header.records_count)
        kept = []
        for r in [] if aborted else records:  # an aborted transaction's records all go, as in Kafka
            if r.key is None:
                continue  # Kafka's cleaner discards keyless records: a compacted topic cannot use them
            offset = header.base_offset + r.offset_delta
            if offset < offset_map.get(r.key, -1):
                continue
            if r.tombstone and drop_tombstones:
                stats.tombstones_removed += 1
                continue
            kept.append(r)
        stats.records_before += len(records)
        stats.records_after += len(kept)
        if len(kept) == len(records):
            return raw
        if not kept and not (header.producer_id >= 0 and last_batch_of_producer.get(header.producer_id) == header.last_offset):
            return None
        return _build_batch(header, payload, kept)

    # ---- the swap -------------------------------------------------------------------------------------

    def _swap(self, lg: PartitionLog, group: list[Segment], cleaned: Segment, read: list[Segment]) -> bool:
        """Puts `cleaned` in place of `group` on disk and in memory; steps named for crash tests. Nothing
        happens if any segment the pass read (`read`: the offset map's too) left the log meanwhile."""
        with lg.lock:
            ids = [id(s) for s in lg.segments]
            live = set(ids)
            still_there = all(id(s) in live for s in read)
            if id(group[0]) not in ids or group[-1] is lg.active_segment or not still_there:
                self._discard(cleaned)
                return False
            i = ids.index(id(group[0]))
            if ids[i : i + len(group)] != [id(s) for s in group]:
                self._discard(cleaned)
                return False
            self._step("cleaned-written")
            for n, seg in enumerate(group):
                seg.rename_suffix(DELETED)
                self._step(f"old-renamed-{n}")
            cleaned.rename_log(cleaned.directory / segment_name(cleaned.base_offset, ".log" + SWAP))
            self._step("swap-committed")
            if cleaned.size:
                cleaned.rename_suffix("")
            else:
                cleaned.unlink_files()
            self._step("swap-installed")
            for seg in group:
                seg.unlink_files()
            _fsync_dir(lg.directory)
            replaced = lg.replace_segments(group, cleaned if cleaned.size else None)
            if not cleaned.size:
                cleaned.close()
            return replaced

    @staticmethod
    def _discard(cleaned: Segment) -> None:
        cleaned.close()
        cleaned.unlink_files()


def _fsync_dir(directory: Path) -> None:
    """Makes the renames durable. Windows cannot open a directory (its file system journals renames)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except PermissionError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
