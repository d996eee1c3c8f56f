"""StoreChangelogReader: brings stores up to date from their changelogs with the thread's restore consumer.

Active tasks restore from their checkpoint (or the beginning) to the changelog's end offset as it was when the
restore began (the last stable offset under read_committed), then start processing; a store whose changelog is
one of the task's source topics (a source KTable under reuse.ktable.source.topics) restores up to the group's
committed offset of that partition instead, since the task processes the rest; standby tasks read their
changelogs for as long as they live. Progress is logged as "Restored N of M records".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strom.client.types import OFFSET_BEGINNING, TopicPartition
from strom.protocol.types import TP
from strom.streams.runtime.changelog_batches import restore_records, split_runs
from strom.streams.runtime.processor_state_manager import ProcessorStateManager

log = logging.getLogger("org.apache.kafka.streams.processor.internals.StoreChangelogReader")

PROGRESS_LOG_INTERVAL_S = 10.0
MAX_RESTORE_RECORDS = 10000  # handed over per round


@dataclass(slots=True)
class _Changelog:
    tp: TP
    manager: ProcessorStateManager
    standby: bool
    start: int  # first offset to read
    end: int = -1  # active: end offset at the start of the restore (-1: not known yet)
    position: int = 0
    restored: int = 0
    done: bool = False


class StoreChangelogReader:
    def __init__(
        self,
        restore_consumer: Any,
        on_restored: Callable[[Any], None] | None = None,
        committed_offsets: Callable[[list[TP]], dict[TP, int]] | None = None,
    ) -> None:
        self._consumer = restore_consumer
        self._committed_offsets = committed_offsets
        self._changelogs: dict[TP, _Changelog] = {}
        self._assigned: set[TP] = set()
        self._last_log = time.monotonic()
        self.on_restored = on_restored

    def register(self, manager: ProcessorStateManager, standby: bool) -> None:
        for tp, offset in manager.changelog_partitions().items():
            start = 0 if offset is None else offset + 1
            self._changelogs[tp] = _Changelog(tp, manager, standby, start, position=start)

    def unregister(self, tps: list[TP]) -> None:
        for tp in tps:
            self._changelogs.pop(tp, None)

    def restoring(self, manager: ProcessorStateManager) -> bool:
        return any(c.manager is manager and not c.standby and not c.done for c in self._changelogs.values())

    def has_work(self) -> bool:
        return bool(self._changelogs)

    def _sync_assignment(self) -> None:
        wanted = {tp for tp, c in self._changelogs.items() if not c.done or c.standby}
        if wanted == self._assigned:
            return
        parts = []
        for tp in sorted(wanted):
            c = self._changelogs[tp]
            parts.append(TopicPartition(tp[0], tp[1], c.position if c.position > 0 else OFFSET_BEGINNING))
        if parts:
            self._consumer.assign(parts)
        else:
            self._consumer.unassign()
        self._assigned = wanted

    def restore(self, timeout: float = 0.0) -> list[ProcessorStateManager]:
        """One round; returns the active tasks' state managers whose restore finished in it."""
        if not self._changelogs:
            return []
        pending = [c for c in self._changelogs.values() if not c.standby and not c.done and c.end < 0]
        fetch = self._committed_offsets
        sources = [c.tp for c in pending if c.tp[0] in c.manager.source_topics] if fetch is not None else []
        committed = fetch(sources) if fetch is not None and sources else {}
        for c in pending:
            low, high = self._consumer.get_watermark_offsets(TopicPartition(*c.tp), timeout=30)
            c.end = min(committed.get(c.tp, 0), high) if c.tp in sources else high  # never committed: nothing to restore
            c.position = max(c.position, low)
            if c.position >= c.end:
                c.done = True
            else:
                log.info("Restoring changelog %s-%d from offset %d to %d", c.tp[0], c.tp[1], c.position, c.end)
        self._finished()
        self._sync_assignment()
        if self._assigned:
            messages = self._consumer.consume(MAX_RESTORE_RECORDS, timeout)
            for tp, run in split_runs(messages):
                found = self._changelogs.get(tp)
                if found is None:
                    continue
                c = found
                got = restore_records(run, None if c.standby or c.end < 0 else c.end)
                if got is None:
                    continue  # past the end this restore aims at: read again when the task runs
                batch, last_offset = got
                c.manager.restore(tp, batch, last_offset)
                c.restored += len(batch)
                c.position = last_offset + 1
            if len(messages) < MAX_RESTORE_RECORDS:
                self._catch_up_positions()
        finished = self._finished()
        if time.monotonic() - self._last_log > PROGRESS_LOG_INTERVAL_S:
            self._last_log = time.monotonic()
            for c in self._changelogs.values():
                if not c.standby and not c.done:
                    log.info("Restored %d of %d records of changelog %s-%d", c.restored, max(c.end - c.start, 0), c.tp[0], c.tp[1])
        return finished

    def _catch_up_positions(self) -> None:
        """Once everything fetched is handed out: the consumer's positions, which move past what holds no records
        (transaction markers, aborted data under read_committed) so a restore ending on them finishes. One call for
        all partitions: each call is a hop to the client thread."""
        waiting = [TopicPartition(*tp) for tp in self._assigned if not self._changelogs[tp].standby and not self._changelogs[tp].done]
        if not waiting:
            return
        try:
            positions = self._consumer.position(waiting)
        except Exception:  # the position is an optimisation for transaction markers at the end
            return
        for p in positions:
            c = self._changelogs[(p.topic, p.partition)]
            if p.offset is not None and p.offset >= 0:
                c.position = max(c.position, p.offset)

    def _finished(self) -> list[ProcessorStateManager]:
        active = [c for c in self._changelogs.values() if not c.standby]
        for c in active:
            if not c.done and c.end >= 0 and c.position >= c.end:
                c.done = True
                log.info(
                    "Finished restoring changelog %s-%d with a total number of %d records (Restored %d of %d records)",
                    c.tp[0],
                    c.tp[1],
                    c.restored,
                    c.restored,
                    max(c.end - c.start, 0),
                )
        managers = {id(c.manager): c.manager for c in active}
        return [m for m in managers.values() if all(c.done for c in active if c.manager is m)]

    def complete(self, manager: ProcessorStateManager) -> None:
        """The active task runs now: its changelogs leave the restore consumer."""
        self.unregister([tp for tp, c in self._changelogs.items() if c.manager is manager and not c.standby])
