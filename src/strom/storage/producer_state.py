"""Idempotent-producer state: the last five batches (sequence and offset ranges) per producer id.

Used on append to acknowledge a retried duplicate without appending it again and to reject sequence
gaps, as Kafka's ProducerStateManager does. Snapshotted at roll and close in Kafka's binary
`<offset>.snapshot` format (so Kafka's tools read ours and we load Kafka's), rebuilt from batch headers
(not records) past the snapshot on open.
"""

from __future__ import annotations

import os
import struct
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from strom import checksum as crc32c
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchHeader
from strom.storage.txn_index import CONTROL_ABORT, AbortedTxn, OpenTransactions, control_type

if TYPE_CHECKING:
    from strom.storage.log import PartitionLog

MAX_BATCHES = 5

# Kafka's producer snapshot, version 1: version int16, crc uint32 (CRC32C of what follows), then an int32
# count of entries: producer id int64, epoch int16, last sequence int32, last offset int64, offset delta
# int32, timestamp int64, coordinator epoch int32, current txn first offset int64 -- all big-endian.
SNAPSHOT_VERSION = 1
_SNAP_HEAD = struct.Struct(">hI")
_SNAP_COUNT = struct.Struct(">i")
_SNAP_ENTRY = struct.Struct(">qhiqiqiq")


class CorruptSnapshot(ValueError):
    """A snapshot that fails its version or CRC check: ignored, the state is rebuilt from the log."""


@dataclass(slots=True)
class ProducerEntry:
    epoch: int
    batches: deque[tuple[int, int, int, int]] = field(default_factory=lambda: deque(maxlen=MAX_BATCHES))
    # (first seq, last seq, first offset, last offset)
    last_timestamp: int = -1
    coordinator_epoch: int = -1
    current_txn_first_offset: int = -1  # only as read from a snapshot: OpenTransactions holds the live value

    @property
    def last_seq(self) -> int:
        return self.batches[-1][1] if self.batches else -1


class ProducerStateManager:
    def __init__(self) -> None:
        self.producers: dict[int, ProducerEntry] = {}
        self.open_txns = OpenTransactions()

    def clear(self) -> None:
        self.producers.clear()
        self.open_txns.clear()

    def track_txn(self, h: BatchHeader, base_offset: int, marker: int) -> AbortedTxn | None:
        """A transactional batch opens its producer's transaction on this partition; a marker (`marker` is
        its control type, -1 for data) closes it. Returns the aborted transaction an ABORT marker ends."""
        if marker < 0:
            self.open_txns.begin(h.producer_id, base_offset)
            return None
        first = self.open_txns.end(h.producer_id)
        if marker != CONTROL_ABORT or first is None:
            return None
        stable = self.open_txns.first_unstable_offset()
        return AbortedTxn(h.producer_id, first, base_offset, stable if stable is not None else base_offset + 1)

    def check(self, found: list[tuple[int, BatchHeader]]) -> tuple[int, int] | None:
        """Validates sequences; returns (first, last offset) of the original if this is a duplicate."""
        for _, h in found:
            if h.producer_id < 0 or h.base_sequence < 0:
                continue
            if not h.is_transactional and h.producer_id in self.open_txns.first_offsets:
                raise KafkaError(
                    ErrorCode.INVALID_TXN_STATE, f"producer {h.producer_id} wrote a non-transactional batch inside its open transaction"
                )
            entry = self.producers.get(h.producer_id)
            if entry is None:
                if h.base_sequence != 0:
                    # Kafka accepts an unknown producer only from sequence 0 (its state may have been
                    # removed by retention; it then answers UNKNOWN_PRODUCER_ID / OUT_OF_ORDER)
                    raise KafkaError(
                        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                        f"unknown producer {h.producer_id} started at sequence {h.base_sequence}",
                    )
                continue
            if h.producer_epoch < entry.epoch:
                raise KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, f"epoch {h.producer_epoch} < {entry.epoch}")
            if h.producer_epoch > entry.epoch:
                if h.base_sequence != 0:
                    raise KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, "new epoch must start at sequence 0")
                continue
            for first_seq, last_seq, first_off, last_off in entry.batches:
                if first_seq == h.base_sequence and last_seq == h.last_sequence:
                    if len(found) == 1:
                        return first_off, last_off
                    return first_off, last_off
            expected = (entry.last_seq + 1) & 0x7FFFFFFF
            if h.base_sequence != expected:
                raise KafkaError(
                    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    f"producer {h.producer_id}: expected sequence {expected}, got {h.base_sequence}",
                )
        return None

    def update(self, found: list[tuple[int, BatchHeader]]) -> None:
        for _, h in found:
            if h.producer_id >= 0:
                self.record(h, h.base_offset)

    def record(self, h: BatchHeader, base_offset: int) -> None:
        """Remembers an appended batch of producer h.producer_id, whose offsets start at `base_offset`."""
        entry = self.producers.get(h.producer_id)
        if entry is None or h.producer_epoch > entry.epoch:
            entry = ProducerEntry(h.producer_epoch)
            self.producers[h.producer_id] = entry
        if h.base_sequence >= 0:
            entry.batches.append((h.base_sequence, h.last_sequence, base_offset, base_offset + h.last_offset_delta))
        entry.last_timestamp = max(entry.last_timestamp, h.max_timestamp)

    # ---- persistence ----------------------------------------------------------------------------------

    def snapshot(self, directory: Path, offset: int) -> None:
        """Writes `<offset>.snapshot` atomically (Kafka's format: the last batch of each producer)."""
        path = directory / f"{offset:020d}.snapshot"
        tmp = path.with_suffix(".snapshot.tmp")
        tmp.write_bytes(encode_snapshot(self.producers, self.open_txns.first_offsets))
        os.replace(tmp, path)
        for old in directory.glob("*.snapshot"):
            if old != path:
                old.unlink(missing_ok=True)

    def load(self, directory: Path, log: PartitionLog) -> None:
        """Latest readable snapshot at or below the LEO, then batch headers after it."""
        self.clear()
        start = log.log_start_offset
        for snap in sorted(directory.glob("*.snapshot"), reverse=True):
            try:
                offset = int(snap.name[:20])
                if offset > log.log_end_offset:
                    continue
                self.producers = decode_snapshot(snap.read_bytes())
                start = offset
                for pid, entry in self.producers.items():
                    if entry.current_txn_first_offset >= 0:
                        self.open_txns.begin(pid, entry.current_txn_first_offset)
                break
            except (ValueError, OSError):  # CorruptSnapshot is a ValueError; an old or foreign file too
                continue
        self._replay(log, start)

    def rebuild(self, log: PartitionLog) -> None:
        self.clear()
        self._replay(log, log.log_start_offset)

    def _replay(self, log: PartitionLog, from_offset: int) -> None:
        """Batch headers from `from_offset` (and the control record of each transaction marker): sequences,
        open transactions and the aborted-transaction index past that offset are rebuilt."""
        log.txn_index.truncate_from(from_offset)
        for seg in log.segments:
            cached, seg.recovered_producer_batches = seg.recovered_producer_batches, None
            if seg.next_offset <= from_offset:
                continue
            headers = cached if cached is not None else seg.batch_headers()
            found = [(p, h) for p, h in headers if h.base_offset >= from_offset and h.producer_id >= 0]
            self.update(found)
            for pos, h in found:
                if h.is_transactional:
                    marker = control_type(seg.read_bytes(pos, 128)) if h.is_control else -1
                    aborted = self.track_txn(h, h.base_offset, marker)
                    if aborted is not None:
                        log.txn_index.append(seg.base_offset, aborted)


def encode_snapshot(producers: dict[int, ProducerEntry], txn_first_offsets: dict[int, int] | None = None) -> bytes:
    body = bytearray(_SNAP_COUNT.pack(len(producers)))
    for pid, entry in producers.items():
        if entry.batches:
            first_seq, last_seq, _first_off, last_off = entry.batches[-1]
            delta = (last_seq - first_seq) & 0x7FFFFFFF
        else:  # a producer known only from a batch without sequences (transaction marker)
            last_seq, last_off, delta = -1, -1, 0
        txn_first = txn_first_offsets.get(pid, -1) if txn_first_offsets else -1
        body += _SNAP_ENTRY.pack(pid, entry.epoch, last_seq, last_off, delta, entry.last_timestamp, entry.coordinator_epoch, txn_first)
    return _SNAP_HEAD.pack(SNAPSHOT_VERSION, crc32c.crc32c(body)) + bytes(body)


def decode_snapshot(data: bytes) -> dict[int, ProducerEntry]:
    if len(data) < _SNAP_HEAD.size + _SNAP_COUNT.size:
        raise CorruptSnapshot("snapshot too short")
    version, crc = _SNAP_HEAD.unpack_from(data)
    if version != SNAPSHOT_VERSION:
        raise CorruptSnapshot(f"snapshot version {version} is not {SNAPSHOT_VERSION}")
    body = memoryview(data)[_SNAP_HEAD.size :]
    if crc32c.crc32c(body) != crc:
        raise CorruptSnapshot("snapshot CRC mismatch")
    (count,) = _SNAP_COUNT.unpack_from(body)
    if count < 0 or len(body) != _SNAP_COUNT.size + count * _SNAP_ENTRY.size:
        raise CorruptSnapshot("snapshot length does not match its entry count")
    producers: dict[int, ProducerEntry] = {}
    for pid, epoch, last_seq, last_off, delta, ts, coord_epoch, txn_first in _SNAP_ENTRY.iter_unpack(body[_SNAP_COUNT.size :]):
        entry = ProducerEntry(epoch, last_timestamp=ts, coordinator_epoch=coord_epoch, current_txn_first_offset=txn_first)
        if last_seq >= 0:
            entry.batches.append(((last_seq - delta) & 0x7FFFFFFF, last_seq, last_off - delta, last_off))
        producers[pid] = entry
    return producers
