"""Idempotent-producer state: the last five batches (sequence and offset ranges) per producer id.

Used on append to acknowledge a retried duplicate without appending it again and to reject sequence
gaps, as Kafka's ProducerStateManager does. Snapshotted at roll and close, rebuilt from batch headers
(not records) past the snapshot on open.
"""

from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchHeader

if TYPE_CHECKING:
    from strom.storage.log import PartitionLog

MAX_BATCHES = 5


@dataclass(slots=True)
class ProducerEntry:
    epoch: int
    batches: deque[tuple[int, int, int, int]] = field(default_factory=lambda: deque(maxlen=MAX_BATCHES))
    # (first seq, last seq, first offset, last offset)

    @property
    def last_seq(self) -> int:
        return self.batches[-1][1] if self.batches else -1


class ProducerStateManager:
    def __init__(self) -> None:
        self.producers: dict[int, ProducerEntry] = {}

    def clear(self) -> None:
        self.producers.clear()

    def check(self, found: list[tuple[int, BatchHeader]]) -> tuple[int, int] | None:
        """Validates sequences; returns (first, last offset) of the original if this is a duplicate."""
        for _, h in found:
            if h.producer_id < 0 or h.base_sequence < 0:
                continue
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
            if h.producer_id < 0:
                continue
            entry = self.producers.get(h.producer_id)
            if entry is None or h.producer_epoch > entry.epoch:
                entry = ProducerEntry(h.producer_epoch)
                self.producers[h.producer_id] = entry
            if h.base_sequence >= 0:
                entry.batches.append((h.base_sequence, h.last_sequence, h.base_offset, h.last_offset))

    # ---- persistence ----------------------------------------------------------------------------------

    def snapshot(self, directory: Path, offset: int) -> None:
        data: dict[str, Any] = {
            "offset": offset,
            "producers": {str(pid): [e.epoch, list(e.batches)] for pid, e in self.producers.items()},
        }
        path = directory / f"{offset:020d}.snapshot"
        tmp = path.with_suffix(".snapshot.tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
        for old in directory.glob("*.snapshot"):
            if old != path:
                old.unlink(missing_ok=True)

    def load(self, directory: Path, log: PartitionLog) -> None:
        """Latest snapshot at or below the LEO, then batch headers after it."""
        self.producers.clear()
        start = log.log_start_offset
        snaps = sorted(directory.glob("*.snapshot"))
        for snap in reversed(snaps):
            try:
                data = json.loads(snap.read_text())
                if data["offset"] > log.log_end_offset:
                    continue
                for pid, (epoch, batches) in data["producers"].items():
                    entry = ProducerEntry(epoch)
                    for b in batches:
                        entry.batches.append(tuple(b))
                    self.producers[int(pid)] = entry
                start = data["offset"]
                break
            except (ValueError, KeyError, TypeError, OSError):
                continue
        self._replay(log, start)

    def rebuild(self, log: PartitionLog) -> None:
        self.producers.clear()
        self._replay(log, log.log_start_offset)

    def _replay(self, log: PartitionLog, from_offset: int) -> None:
        for seg in log.segments:
            if seg.next_offset <= from_offset:
                continue
            self.update([(p, h) for p, h in seg.batch_headers() if h.base_offset >= from_offset])
