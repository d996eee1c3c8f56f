"""Glue between the pure group coordinator and the broker: timers, `__consumer_offsets`, start-up load.

Commits are appended to the group's `__consumer_offsets` partition as record batches (Kafka's key/value
formats) and acknowledged once appended -- and flushed when the flush policy says so -- so a kill -9
loses no acknowledged commit; at start-up the topic is replayed into memory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from strom.broker.broker import OFFSETS_TOPIC, SHUTDOWN_HOOKS, STARTUP_HOOKS
from strom.coordination.group import EMPTY, GroupConfig, GroupCoordinator
from strom.coordination.offsets import (
    CommittedOffset,
    OffsetStore,
    group_key,
    offset_key,
    offset_value,
    partition_for,
)
from strom.protocol.records import BatchBuilder, iter_all_records

log = logging.getLogger("kafka.coordinator.group.GroupCoordinator")


class GroupService:
    def __init__(self, broker: Any) -> None:
        self.broker = broker
        cfg = broker.config
        self.coordinator = GroupCoordinator(
            GroupConfig(
                min_session_timeout_ms=cfg["group.min.session.timeout.ms"],
                max_session_timeout_ms=cfg["group.max.session.timeout.ms"],
                initial_rebalance_delay_ms=cfg["group.initial.rebalance.delay.ms"],
                max_size=cfg["group.max.size"],
            )
        )
        self.offsets = OffsetStore()
        self.num_partitions = int(cfg["offsets.topic.num.partitions"])
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    def now_ms(self) -> int:
        return int(self.broker.clock.now_ms())

    # ---- start-up ---------------------------------------------------------------------------------------

    def ensure_offsets_topic(self) -> None:
        topic = self.broker.metadata.topics.get(OFFSETS_TOPIC)
        if topic is None:
            self.broker.create_topic(
                OFFSETS_TOPIC,
                self.num_partitions,
                1,
                {
                    "cleanup.policy": "compact",
                    "compression.type": "producer",
                    "segment.bytes": str(self.broker.config["offsets.topic.segment.bytes"]),
                },
                internal=True,
            )
            topic = self.broker.metadata.topics[OFFSETS_TOPIC]
        self.num_partitions = len(topic.partitions)

    def load(self) -> int:
        count = 0
        for index in range(self.num_partitions):
            part = self.broker.partitions.get((OFFSETS_TOPIC, index))
            if part is None:
                continue
            data = part.log.read_bytes(part.log.log_start_offset)
            for _, record in iter_all_records(data):
                try:
                    self.offsets.apply_record(record.key, record.value)
                    count += 1
                except Exception:  # a record we cannot read is skipped, as Kafka's loader does
                    log.warning("Skipping unreadable record at offset %d of %s-%d", record.offset, OFFSETS_TOPIC, index)
        log.info("Loaded %d offset record(s) for %d group(s) from %s", count, len(self.offsets.offsets), OFFSETS_TOPIC)
        return count

    async def run_timers(self) -> None:
        """One wake-up per coordinator deadline (capped at 1 s so expiries stay timely)."""
        while True:
            deadline = self.coordinator.next_deadline()
            now = self.now_ms()
            wait = 1.0 if deadline is None else min(max((deadline - now) / 1000, 0.005), 1.0)
            await asyncio.sleep(wait)
            expired = self.coordinator.tick(self.now_ms())
            for member in expired:
                log.info("Member %s has failed, removing it from its group (session timeout)", member)
            self._expire_offsets()

    def _expire_offsets(self) -> None:
        retention = int(self.broker.config["offsets.retention.minutes"]) * 60_000
        now = self.now_ms()
        for group in list(self.offsets.offsets):
            g = self.coordinator.group(group)
            if g is not None and g.state != EMPTY:
                continue
            gone = self.offsets.expire(group, now, retention)
            if gone:
                self._append(group, [(offset_key(group, t, p), None) for t, p in gone])

    def wake(self) -> None:
        """Called after each group operation: deadlines may have moved closer."""
        if self._task is not None and not self._task.done():
            return

    # ---- persistence ------------------------------------------------------------------------------------

    def _append(self, group: str, records: list[tuple[bytes, bytes | None]]) -> Any:
        part = self.broker.partitions.get((OFFSETS_TOPIC, partition_for(group, self.num_partitions)))
        if part is None:
            return None
        builder = BatchBuilder()
        now = self.now_ms()
        for key, value in records:
            builder.append(value, key=key, timestamp=now)
        part.log.append_as_leader(builder.build(), part.leader_epoch)
        part.log.high_watermark = part.log.log_end_offset
        return part.log

    async def commit(self, group: str, entries: list[tuple[str, int, CommittedOffset]]) -> None:
        for topic, partition, committed in entries:
            self.offsets.commit(group, topic, partition, committed)
        plog = self._append(group, [(offset_key(group, t, p), offset_value(c)) for t, p, c in entries])
        if plog is not None and plog.needs_flush(self.broker.clock.monotonic_ms()):
            await asyncio.get_running_loop().run_in_executor(None, plog.flush)

    def delete_offsets(self, group: str, partitions: list[tuple[str, int]]) -> None:
        for topic, partition in partitions:
            self.offsets.delete(group, topic, partition)
        if partitions:
            self._append(group, [(offset_key(group, t, p), None) for t, p in partitions])

    def delete_group(self, group: str) -> None:
        gone = self.offsets.delete_group(group)
        self._append(group, [(offset_key(group, t, p), None) for t, p in gone] + [(group_key(group), None)])


async def _start(broker: Any) -> None:
    service = GroupService(broker)
    service.ensure_offsets_topic()
    await asyncio.get_running_loop().run_in_executor(None, service.load)
    service._task = asyncio.ensure_future(service.run_timers())
    broker.services["group"] = service


async def _stop(broker: Any) -> None:
    service = broker.services.get("group")
    if service is not None and service._task is not None:
        service._task.cancel()


STARTUP_HOOKS.append(_start)
SHUTDOWN_HOOKS.append(_stop)
