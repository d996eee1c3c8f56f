"""Transactions on the partition side: open transactions, the last stable offset and aborted transactions.

A read_committed consumer reads up to the last stable offset (LSO): the first offset of the oldest
transaction still open on the partition (or the high watermark when none is). To skip the batches of
aborted transactions it gets, with each fetch, the aborted transactions overlapping what it reads.

`TxnIndex` keeps those aborted transactions in Kafka's `.txnindex` files, one per segment (named by the
segment that holds the ABORT marker), each entry 34 bytes big-endian: version int16 (0), producer id int64,
first offset int64, last offset (the marker's) int64, last stable offset int64. Kafka's tools read them.

`OpenTransactions` is the producer-state side: the first offset of each producer's open transaction,
rebuilt from batch headers (and the control record of each marker) like the rest of producer state.
"""

from __future__ import annotations

import bisect
import os
import struct
from pathlib import Path
from typing import NamedTuple

from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import BATCH_HEADER_SIZE

_ENTRY = struct.Struct(">hqqqq")
ENTRY_VERSION = 0
CONTROL_ABORT, CONTROL_COMMIT = 0, 1
_CONTROL_KEY = struct.Struct(">hh")
_SUFFIX = ".txnindex"


class AbortedTxn(NamedTuple):
    producer_id: int
    first_offset: int
    last_offset: int
    last_stable_offset: int


def control_type(batch: bytes | bytearray | memoryview, pos: int = 0) -> int:
    """ABORT (0) or COMMIT (1) from the key of a control batch's single record (never compressed); -1 if
    the record is not a transaction marker."""
    q = pos + BATCH_HEADER_SIZE
    try:
        _length, q = p.read_varint(batch, q)
        q += 1  # attributes
        _ts, q = p.read_varlong(batch, q)
        _delta, q = p.read_varint(batch, q)
        key_len, q = p.read_varint(batch, q)
        if key_len < _CONTROL_KEY.size:
            return -1
        _version, kind = _CONTROL_KEY.unpack_from(batch, q)
    except (IndexError, ValueError, struct.error, CorruptMessage):
        return -1
    return int(kind) if kind in (CONTROL_ABORT, CONTROL_COMMIT) else -1


def marker_record_key(commit: bool) -> bytes:
    return _CONTROL_KEY.pack(0, CONTROL_COMMIT if commit else CONTROL_ABORT)


def marker_record_value(coordinator_epoch: int) -> bytes:
    """EndTransactionMarker value: version int16 0, coordinator epoch int32."""
    return struct.pack(">hi", 0, coordinator_epoch)


class TxnIndex:
    """Aborted transactions of one partition, by the base offset of the segment holding their marker."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.by_segment: dict[int, list[AbortedTxn]] = {}

    @classmethod
    def load(cls, directory: Path) -> TxnIndex:
        index = cls(directory)
        for path in directory.glob("*" + _SUFFIX):
            name = path.name[: -len(_SUFFIX)]
            if not name.isdigit():
                continue
            data = path.read_bytes()
            usable = len(data) - len(data) % _ENTRY.size  # a torn last entry is dropped
            entries = [
                AbortedTxn(pid, first, last, lso)
                for version, pid, first, last, lso in _ENTRY.iter_unpack(data[:usable])
                if version == ENTRY_VERSION
            ]
            if entries:
                index.by_segment[int(name)] = entries
        return index

    def _path(self, segment_base: int) -> Path:
        return self.directory / f"{segment_base:020d}{_SUFFIX}"

    def append(self, segment_base: int, txn: AbortedTxn) -> None:
        self.by_segment.setdefault(segment_base, []).append(txn)
        with open(self._path(segment_base), "ab") as f:
            f.write(_ENTRY.pack(ENTRY_VERSION, *txn))

    def truncate_from(self, offset: int) -> None:
        """Forgets aborted transactions whose marker is at or after `offset` (log truncation, and before
        producer state replays the log from `offset`: the replay adds them again)."""
        for base in list(self.by_segment):
            entries = self.by_segment[base]
            keep = [e for e in entries if e.last_offset < offset]
            if len(keep) == len(entries):
                continue
            self._rewrite(base, keep)

    def drop_segments_below(self, first_segment_base: int) -> None:
        """Retention removed the segments below `first_segment_base`: their index files go with them."""
        for base in [b for b in self.by_segment if b < first_segment_base]:
            self._rewrite(base, [])
        for path in self.directory.glob("*" + _SUFFIX):
            name = path.name[: -len(_SUFFIX)]
            if name.isdigit() and int(name) < first_segment_base:
                path.unlink(missing_ok=True)

    def _rewrite(self, base: int, keep: list[AbortedTxn]) -> None:
        path = self._path(base)
        if not keep:
            self.by_segment.pop(base, None)
            path.unlink(missing_ok=True)
            return
        self.by_segment[base] = keep
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(b"".join(_ENTRY.pack(ENTRY_VERSION, *e) for e in keep))
        os.replace(tmp, path)

    def collect(self, start: int, end: int) -> list[AbortedTxn]:
        """Aborted transactions overlapping offsets [start, end): what a read_committed fetch needs. A
        segment's entries are in marker order, so those that ended before `start` are skipped by bisection
        (a transaction may begin long before its marker's segment, so no segment is skipped by its base)."""
        out: list[AbortedTxn] = []
        for base in sorted(self.by_segment):
            entries = self.by_segment[base]
            if not entries or entries[-1].last_offset < start:
                continue
            i = bisect.bisect_left(entries, start, key=lambda e: e.last_offset)
            out.extend(e for e in entries[i:] if e.first_offset < end)
        return out

    def all(self) -> list[AbortedTxn]:
        return [e for base in sorted(self.by_segment) for e in self.by_segment[base]]


class OpenTransactions:
    """First offset of each producer's open transaction on one partition; the LSO follows the oldest."""

    __slots__ = ("first_offsets", "_sorted")

    def __init__(self) -> None:
        self.first_offsets: dict[int, int] = {}
        self._sorted: list[int] = []

    def begin(self, producer_id: int, offset: int) -> None:
        if producer_id not in self.first_offsets:
            self.first_offsets[producer_id] = offset
            bisect.insort(self._sorted, offset)

    def end(self, producer_id: int) -> int | None:
        """Closes the producer's transaction; returns its first offset (None if it had none open)."""
        first = self.first_offsets.pop(producer_id, None)
        if first is not None:
            i = bisect.bisect_left(self._sorted, first)
            del self._sorted[i]
        return first

    def first_unstable_offset(self) -> int | None:
        return self._sorted[0] if self._sorted else None

    def clear(self) -> None:
        self.first_offsets.clear()
        self._sorted.clear()
