"""Leader epoch cache: epoch -> start offset, persisted in Kafka's leader-epoch-checkpoint format.

OffsetForLeaderEpoch answers from it, and a follower truncates with it after a leader change.
"""

from __future__ import annotations

import os
from pathlib import Path

_VERSION = 0


class LeaderEpochCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[tuple[int, int]] = []  # (epoch, start offset), ascending
        self._load()

    def _load(self) -> None:
        try:
            lines = self.path.read_text().split("\n")
        except FileNotFoundError:
            return
        try:
            count = int(lines[1])
            for line in lines[2 : 2 + count]:
                epoch, offset = line.split()
                self.entries.append((int(epoch), int(offset)))
        except (IndexError, ValueError):
            self.entries = []  # unreadable checkpoint: rebuilt from appends, as Kafka does

    def _persist(self) -> None:
        body = f"{_VERSION}\n{len(self.entries)}\n" + "".join(f"{e} {o}\n" for e, o in self.entries)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(body)
        os.replace(tmp, self.path)

    @property
    def latest_epoch(self) -> int | None:
        return self.entries[-1][0] if self.entries else None

    def assign(self, epoch: int, start_offset: int) -> None:
        if self.entries and epoch <= self.entries[-1][0]:
            return
        self.entries.append((epoch, start_offset))
        self._persist()

    def end_offset_for(self, epoch: int, log_end_offset: int) -> tuple[int, int]:
        """(largest epoch <= requested, its end offset) -- Kafka's OffsetForLeaderEpoch semantics."""
        if not self.entries or epoch < self.entries[0][0]:
            return -1, -1
        for i, (e, _start) in enumerate(self.entries):
            if e > epoch:
                prev_epoch = self.entries[i - 1][0]
                return prev_epoch, self.entries[i][1]
            if e == epoch:
                end = self.entries[i + 1][1] if i + 1 < len(self.entries) else log_end_offset
                return e, end
        return self.entries[-1][0], log_end_offset

    def truncate_from_end(self, end_offset: int) -> None:
        kept = [(e, o) for e, o in self.entries if o < end_offset]
        if kept != self.entries:
            self.entries = kept
            self._persist()

    def clear(self) -> None:
        self.entries = []
        self._persist()
