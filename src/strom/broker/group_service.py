"""The pure group coordinators on the broker: one timer, `__consumer_offsets`, the start-up load.

Offset commits and group metadata are appended to the group's `__consumer_offsets` partition as record
batches in Kafka's key/value formats; a commit is acknowledged once appended (and flushed when the flush
policy says so), so a kill -9 of the broker loses no acknowledged commit. At start-up the topic is
replayed: offsets come back, and groups resume in their generation so living clients carry on.
The coordinator's deadlines drive one event-loop timer (re-armed after every operation), not a poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from strom.broker.config import BrokerConfig
from strom.broker.coordinator_loader import replay
from strom.cluster.metadata import MetadataStore
from strom.cluster.replica_manager import ReplicaManager
from strom.cluster.topic_admin import AdminManager
from strom.coordination.consumer_group import ConsumerGroup, ConsumerGroupConfig, ConsumerGroupCoordinator, TopicsView
from strom.coordination.group import EMPTY, Group, GroupConfig, GroupCoordinator
from strom.coordination.offsets import (
    CommittedOffset,
    OffsetStore,
    group_key,
    group_value,
    offset_key,
    offset_value,
    partition_for,
)
from strom.protocol.errors import ErrorCode
from strom.protocol.records import BatchBuilder, Record
from strom.protocol.schema import consumer_group_describe, consumer_group_heartbeat
from strom.protocol.types import TP
from strom.storage.clock import Clock, SteadyClock
from strom.storage.log import PartitionLog

log = logging.getLogger("kafka.coordinator.group.GroupCoordinator")

OFFSETS_TOPIC = "__consumer_offsets"
CONSUMER_GROUP_APIS = (consumer_group_heartbeat.API_KEY, consumer_group_describe.API_KEY)  # KIP-848


def assignor_names(value: str) -> tuple[str, ...]:
    """group.consumer.assignors takes names (uniform, range) or Kafka's class names (...UniformAssignor)."""
    names = []
    for item in filter(None, (x.strip() for x in value.split(","))):
        simple = item.rsplit(".", 1)[-1]
        if simple.endswith("Assignor"):
            simple = simple[: -len("Assignor")]
        names.append(simple.lower())
    unknown = [n for n in names if n not in ("uniform", "range")]
    if unknown or not names:
        raise ValueError(f"Invalid value {value} for configuration group.consumer.assignors: unknown assignor(s) {unknown}")
    return tuple(names)


def consumer_protocol_enabled(config: BrokerConfig) -> bool:
    """group.coordinator.rebalance.protocols: without "consumer", KIP-848's APIs are neither advertised nor served."""
    protocols = {p.strip().lower() for p in str(config["group.coordinator.rebalance.protocols"]).split(",")}
    return "consumer" in protocols


KeyValue = tuple[bytes, bytes | None]


class GroupService:
    """clustered: ZooKeeper mode, where this broker coordinates the groups whose `__consumer_offsets`
    partition it leads; embedded, it coordinates every group."""

    def __init__(
        self,
        config: BrokerConfig,
        clock: Clock,
        metadata: MetadataStore,
        admin: AdminManager,
        replica_manager: ReplicaManager,
        clustered: bool,
    ) -> None:
        self.config = config
        self.clock = clock
        # deadlines (sessions, rebalances, transaction timeouts) must not move when the wall clock is stepped
        self.steady_clock = SteadyClock(clock)
        self.metadata = metadata
        self.admin = admin
        self.replica_manager = replica_manager
        self.clustered = clustered
        self.loaded = False  # FindCoordinator answers COORDINATOR_NOT_AVAILABLE until the start-up load is done
        self.coordinator = GroupCoordinator(
            GroupConfig(
                min_session_timeout_ms=int(config["group.min.session.timeout.ms"]),
                max_session_timeout_ms=int(config["group.max.session.timeout.ms"]),
                initial_rebalance_delay_ms=int(config["group.initial.rebalance.delay.ms"]),
                max_size=int(config["group.max.size"]),
            )
        )
        self.consumer = ConsumerGroupCoordinator(
            ConsumerGroupConfig(
                session_timeout_ms=int(config["group.consumer.session.timeout.ms"]),
                heartbeat_interval_ms=int(config["group.consumer.heartbeat.interval.ms"]),
                max_size=int(config["group.consumer.max.size"]),
                assignors=assignor_names(str(config["group.consumer.assignors"])),
            )
        )
        self.offsets = OffsetStore()
        self.num_partitions = int(config["offsets.topic.num.partitions"])
        self.retention_ms = int(config["offsets.retention.minutes"]) * 60_000
        self.retention_check_ms = int(config["offsets.retention.check.interval.ms"])
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: int | None = None
        self._retention_timer: asyncio.TimerHandle | None = None

    def now_ms(self) -> int:
        return self.steady_clock.now_ms()

    # ---- start-up -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Loads `__consumer_offsets` (embedded: creating it first; in ZooKeeper mode FindCoordinator creates it
        once enough brokers are live), then follows the leadership of its partitions and arms the timers."""
        loop = asyncio.get_running_loop()
        if not self.clustered:
            self.ensure_offsets_topic()
        await loop.run_in_executor(None, self.load)
        self.restore_groups()
        self.loaded = True
        self.replica_manager.listeners.append(self.on_leadership)
        self.after_operation()
        self._retention_timer = loop.call_later(self.retention_check_ms / 1000, self._on_retention_timer)

    def stop(self) -> None:
        for timer in (self._timer, self._retention_timer):
            if timer is not None:
                timer.cancel()

    def ensure_offsets_topic(self) -> None:
        topic = self.metadata.topics.get(OFFSETS_TOPIC)
        if topic is None:
            # Kafka caps the replication factor at the live brokers when it creates this topic
            self.admin.create_topic(
                OFFSETS_TOPIC,
                self.num_partitions,
                1,
                {
                    "cleanup.policy": "compact",
                    "compression.type": "producer",
                    "segment.bytes": str(self.config["offsets.topic.segment.bytes"]),
                },
                internal=True,
            )
            topic = self.metadata.topics[OFFSETS_TOPIC]
        self.num_partitions = len(topic.partitions)

    def load(self) -> int:
        """Replays every partition of __consumer_offsets (runs in an executor: it reads files)."""
        count = 0
        for index in range(self.num_partitions):
            part = self.replica_manager.partition(OFFSETS_TOPIC, index)
            if part is not None:
                count += replay(part, self._apply, log)
        return count

    def _apply(self, record: Record) -> bool:
        self.offsets.apply_record(record.key, record.value)
        return True

    def restore_groups(self) -> None:
        loaded = self._resume(lambda group_id: True)
        log.info(
            "Loaded %d group(s) (%d consumer protocol) and offsets of %d group(s) from %s",
            len(self.coordinator.groups) + len(self.consumer.groups),
            loaded[1],
            len(self.offsets.offsets),
            OFFSETS_TOPIC,
        )

    def _resume(self, mine: Callable[[str], bool]) -> tuple[int, int]:
        """Rebuilds the replayed groups that `mine` selects: KIP-848 groups from their records (epochs,
        members with fresh sessions, target and current assignments), classic groups in their generation;
        a group id with offsets only becomes an empty classic group. Returns (classic, consumer) counts."""
        now = self.now_ms()
        consumer_ids = set()
        for group_id in self.offsets.consumer_groups.group_ids():
            if mine(group_id):
                g = self.offsets.consumer_groups.build(group_id)
                if g is not None:
                    self.consumer.restore(g, now)
                    consumer_ids.add(group_id)
        classic = 0
        for group_id, stored in self.offsets.stored_groups.items():
            if mine(group_id) and group_id not in consumer_ids:
                self.coordinator.restore(group_id, stored, now)
                classic += 1
        for group_id in self.offsets.offsets:
            if mine(group_id) and group_id not in consumer_ids:
                self.coordinator.ensure_group(group_id, now)
        return classic, len(consumer_ids)

    # ---- cluster mode: the coordinator follows the leaders of __consumer_offsets -------------------------

    def coordinator_error(self, group_id: str) -> int:
        """Kafka's order: COORDINATOR_LOAD_IN_PROGRESS (retriable) until the start-up load of __consumer_offsets is
        done -- the listeners are open while it runs, and a group request answered from half the state (an
        OffsetFetch without the group's offsets) would move a consumer --; NOT_COORDINATOR for a group another
        broker coordinates; NONE when this broker answers for the group."""
        if not self.loaded:
            return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        if not self.is_coordinator(group_id):
            return ErrorCode.NOT_COORDINATOR
        return ErrorCode.NONE

    def is_coordinator(self, group_id: str) -> bool:
        """In a cluster, a broker coordinates the groups whose __consumer_offsets partition it leads."""
        if not self.clustered:
            return True
        part = self.replica_manager.partition(OFFSETS_TOPIC, partition_for(group_id, self._partition_count()))
        return part is not None and part.is_leader

    def _partition_count(self) -> int:
        topic = self.metadata.topics.get(OFFSETS_TOPIC)
        return len(topic.partitions) if topic is not None and topic.partitions else self.num_partitions

    def on_leadership(self, topic: str, index: int, is_leader: bool, leader_epoch: int) -> None:
        """Kafka's onElection / onResignation: load a partition's groups and offsets when this broker becomes its
        leader, forget them when it stops leading it."""
        if topic != OFFSETS_TOPIC:
            return
        self.num_partitions = self._partition_count()
        store = self.offsets.consumer_groups
        known = set(self.offsets.offsets) | set(self.offsets.stored_groups) | set(self.coordinator.groups)
        known |= set(self.consumer.groups) | set(store.stored)
        mine = [g for g in known if partition_for(g, self.num_partitions) == index]
        for group_id in mine:
            self.offsets.offsets.pop(group_id, None)
            self.offsets.stored_groups.pop(group_id, None)
            self.coordinator.unload(group_id)
            self.consumer.unload(group_id)
            store.forget(group_id)
        if not is_leader:
            log.info("Unloaded %d group(s) of %s-%d (no longer its leader)", len(mine), OFFSETS_TOPIC, index)
            return
        part = self.replica_manager.partition(OFFSETS_TOPIC, index)
        if part is None:
            return
        replay(part, self._apply, log)
        classic, consumer = self._resume(lambda group_id: partition_for(group_id, self.num_partitions) == index)
        log.info(
            "Loaded %d classic and %d consumer-protocol group(s) of %s-%d at leader epoch %d",
            classic,
            consumer,
            OFFSETS_TOPIC,
            index,
            leader_epoch,
        )
        self.after_operation()

    # ---- timers ---------------------------------------------------------------------------------------

    def after_operation(self) -> None:
        """Called after every group operation: persist what changed and re-arm the timer if the next
        deadline moved."""
        self._persist_changed()
        deadlines = [d for d in (self.coordinator.next_deadline(), self.consumer.next_deadline()) if d is not None]
        deadline = min(deadlines) if deadlines else None
        if deadline == self._timer_at and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            delay = max(deadline - self.now_ms(), 0) / 1000
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        now = self.now_ms()
        for member in self.coordinator.tick(now) + self.consumer.tick(now):
            log.info("Member %s has failed (session or rebalance timeout), removing it from its group", member)
        self.after_operation()

    def _on_retention_timer(self) -> None:
        try:
            self.expire_offsets()
        finally:
            self._retention_timer = asyncio.get_running_loop().call_later(self.retention_check_ms / 1000, self._on_retention_timer)

    def expire_offsets(self) -> int:
        """offsets.retention.minutes, as Kafka 3.9 applies it: a classic group's offsets once it is Empty,
        counted from when it became empty (KIP-211); a consumer-protocol group's offsets of topics no member
        subscribes to, counted from their commit (its state timestamp is not stored, so Kafka uses the
        commit); a simple consumer's from their commit. A group left with no offsets is forgotten."""
        now = self.now_ms()
        removed = 0
        for group_id in list(self.offsets.offsets):
            cg = self.consumer.group(group_id)
            g = self.coordinator.group(group_id)
            if g is not None and g.state != EMPTY:
                continue
            keep: set[str] = set()
            if cg is not None:
                empty_since: int | None = None
                keep = {t for t, _ in self.offsets.for_group(group_id) if any(m.subscribes(t) for m in cg.members.values())}
            else:
                empty_since = g.state_timestamp_ms if g is not None and g.protocol_type else None
            gone = self.offsets.expire(group_id, now, self.retention_ms, empty_since, keep)
            records: list[KeyValue] = [(offset_key(group_id, t, p), None) for t, p in gone]
            removed += len(gone)
            if not self.offsets.has_group(group_id):
                self.consumer.remove_if_empty(group_id)
                if self.coordinator.remove_if_unused(group_id):
                    records.append((group_key(group_id), None))
            if records:
                self._append(group_id, records)
        self._persist_changed()  # tombstones of consumer groups that went with their offsets
        if removed:
            log.info("Removed %d expired offset(s)", removed)
        return removed

    # ---- persistence ----------------------------------------------------------------------------------

    def _persist_changed(self) -> None:
        for g in self.coordinator.take_changed():
            self._append(g.group_id, [(group_key(g.group_id), group_value(self.coordinator.snapshot(g)))])
        for group_id, members in self.consumer.take_changed().items():
            records = self.offsets.consumer_groups.changes(group_id, self.consumer.group(group_id), members)
            if records:
                self._append(group_id, records)

    def _append(self, group_id: str, records: Sequence[KeyValue]) -> PartitionLog | None:
        index = partition_for(group_id, self.num_partitions)
        part = self.replica_manager.partition(OFFSETS_TOPIC, index)
        if part is None or not part.is_leader:
            log.error("%s-%d is not led here: cannot store records of group %s", OFFSETS_TOPIC, index, group_id)
            return None
        builder = BatchBuilder()
        now = self.now_ms()
        for key, value in records:
            builder.append(value, key=key, timestamp=now)
        part.log.append_as_leader(builder.build(), part.leader_epoch)
        self.replica_manager.after_leader_append(part)  # followers copy it; the HW moves with the ISR
        return part.log

    async def commit(self, group_id: str, entries: list[tuple[str, int, CommittedOffset]]) -> int:
        """Stores the offsets; in a cluster the commit is acknowledged once the ISR has it (Kafka's
        offsets.commit.required.acks=-1). Returns the error code for every partition of the commit."""
        below = self._below_min_isr(group_id)
        if below is not None:
            return below
        for topic, partition, committed in entries:
            self.offsets.commit(group_id, topic, partition, committed)
        if self.consumer.group(group_id) is None:
            self.coordinator.ensure_group(group_id, self.now_ms())
        plog = self._append(group_id, [(offset_key(group_id, t, p), offset_value(c)) for t, p, c in entries])
        if plog is None:
            return ErrorCode.NOT_COORDINATOR
        return await self._stored(group_id, plog)

    def _below_min_isr(self, group_id: str) -> int | None:
        """Kafka's check before an acks=all append: with the ISR of the group's __consumer_offsets partition
        below min.insync.replicas a commit is refused (NOT_ENOUGH_REPLICAS, which a group client retries as
        COORDINATOR_NOT_AVAILABLE) before anything is appended or applied."""
        part = self.replica_manager.partition(OFFSETS_TOPIC, partition_for(group_id, self.num_partitions))
        if self.clustered and part is not None and part.is_leader and len(part.isr) < part.log.config.min_insync_replicas:
            return ErrorCode.COORDINATOR_NOT_AVAILABLE
        return None

    async def written(self, group_id: str) -> int:
        """Waits until what the last group operation wrote for this group is stored as a commit would be
        (flushed by policy, copied by the ISR in a cluster), as Kafka answers a ConsumerGroupHeartbeat only
        once its records are committed: a coordinator elected after a failure then knows what members were told."""
        part = self.replica_manager.partition(OFFSETS_TOPIC, partition_for(group_id, self.num_partitions))
        if part is None or not part.is_leader:
            return ErrorCode.NONE
        return await self._stored(group_id, part.log)

    async def _stored(self, group_id: str, plog: PartitionLog) -> int:
        if plog.needs_flush(self.clock.monotonic_ms()):
            await asyncio.get_running_loop().run_in_executor(None, plog.flush)
        part = self.replica_manager.partition(OFFSETS_TOPIC, partition_for(group_id, self.num_partitions))
        if part is None or part.log is not plog or plog.high_watermark >= plog.log_end_offset:
            return ErrorCode.NONE
        timeout_s = int(self.config["offsets.commit.timeout.ms"]) / 1000
        [code] = await self.replica_manager.wait_for_acks([(part, plog.log_end_offset)], timeout_s)
        # Kafka's GroupMetadataManager maps replication errors onto what a group client retries on
        if code == ErrorCode.NOT_LEADER_OR_FOLLOWER:
            return ErrorCode.NOT_COORDINATOR
        if code in (ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT):
            return ErrorCode.COORDINATOR_NOT_AVAILABLE
        return int(code)

    def delete_offsets(self, group_id: str, partitions: list[TP]) -> None:
        for topic, partition in partitions:
            self.offsets.delete(group_id, topic, partition)
        if partitions:
            self._append(group_id, [(offset_key(group_id, t, p), None) for t, p in partitions])

    def delete_group(self, group_id: str) -> int:
        """DeleteGroups: only Empty groups; their offsets and metadata get tombstones."""
        if not group_id:
            return ErrorCode.INVALID_GROUP_ID
        if not self.is_coordinator(group_id):
            return ErrorCode.NOT_COORDINATOR
        if self.consumer.group(group_id) is not None:
            code = self.consumer.delete_group(group_id)
            self.coordinator.groups.pop(group_id, None)
        else:
            code = self.coordinator.delete_group(group_id)
        if code == 0:
            gone = self.offsets.delete_group(group_id)
            self._append(group_id, [(offset_key(group_id, t, p), None) for t, p in gone] + [(group_key(group_id), None)])
            self._persist_changed()  # a consumer group's records get their tombstones
        return code

    def group_or_none(self, group_id: str) -> Group | None:
        return self.coordinator.group(group_id)

    def consumer_group(self, group_id: str) -> ConsumerGroup | None:
        return self.consumer.group(group_id)

    def topics_view(self) -> TopicsView:
        """Topic name -> (topic id, partition count): what KIP-848 assignments are computed over. Internal topics
        are in it, as in Kafka 4.0: a SubscribedTopicRegex matches every topic the member may describe."""
        return {name: (t.uuid, len(t.partitions)) for name, t in self.metadata.topics.items()}

    def claim_for_consumer_protocol(self, group_id: str) -> int:
        """A ConsumerGroupHeartbeat for a group id: a live classic group keeps it (GROUP_ID_NOT_FOUND, as
        Kafka 3.9 answers); an empty classic group (offsets only) becomes a consumer group, offsets kept."""
        g = self.coordinator.group(group_id)
        if g is None:
            return ErrorCode.NONE
        if not g.is_empty or g.state != EMPTY:
            return ErrorCode.GROUP_ID_NOT_FOUND
        self.coordinator.groups.pop(group_id, None)
        self.coordinator.changed.discard(group_id)
        self.offsets.stored_groups.pop(group_id, None)
        self._append(group_id, [(group_key(group_id), None)])  # a restart must not bring the classic group back
        return ErrorCode.NONE

    def claim_for_classic_protocol(self, group_id: str) -> int:
        """A JoinGroup for a group id held by a live consumer group gets INCONSISTENT_GROUP_PROTOCOL; an
        empty consumer group gives way to a classic one."""
        cg = self.consumer.group(group_id)
        if cg is None:
            return ErrorCode.NONE
        if not cg.is_empty:
            return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
        self.consumer.remove_if_empty(group_id)
        return ErrorCode.NONE
