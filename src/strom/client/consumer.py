"""Async consumer: manual assignment or consumer groups, background prefetch, positions and commits.

The fetcher (fetcher.py) keeps one Fetch in flight per leader for the assigned partitions (prefetch),
decodes the records -- without aborted transactions' data for read_committed -- and getmany() collects
them, advancing positions. Group membership (group.py) runs from getmany(), as Java's poll() does, with
heartbeats in the background; commits and offset lookups are here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strom.client.cluster import Cluster, channel_security
from strom.client.config import resolve, sasl_login
from strom.client.consumer_group_member import ConsumerGroupMember
from strom.client.fetcher import EARLIEST, LATEST, READ_COMMITTED, FetchConfig, Fetcher, PartitionState
from strom.client.group import GroupMember
from strom.client.loop_thread import wait_event
from strom.client.reconnect_backoff import ReconnectBackoff
from strom.client.types import (
    OFFSET_BEGINNING,
    OFFSET_END,
    OFFSET_INVALID,
    OFFSET_STORED,
    TIMESTAMP_CREATE_TIME,
    ConsumerGroupMetadata,
    Message,
    TopicPartition,
)
from strom.protocol.errors import ErrorCode, KafkaError, LocalError
from strom.protocol.schema.list_offsets import ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic
from strom.protocol.types import TP

# OffsetCommit errors that mean "ask the (new) coordinator again", not "this commit failed"
_COMMIT_RETRIABLE = frozenset(
    {
        ErrorCode.NOT_COORDINATOR,
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    }
)

log = logging.getLogger("strom.client.consumer")

RebalanceCallback = Callable[[Any, list[TopicPartition]], Any]

MISSING_TOPIC_REQUERY = 1.0  # seconds between metadata requests while a subscribed topic does not exist


@dataclass(frozen=True, slots=True)
class ConsumerRecord:
    """The record shape of the first console consumer (kept for the CLI tools)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


def _legacy_config(bootstrap: str, kw: dict[str, Any]) -> dict[str, Any]:
    conf: dict[str, Any] = {"bootstrap.servers": bootstrap}
    for name, value in kw.items():
        if name == "isolation_level":
            conf["isolation.level"] = "read_committed" if value in (1, "read_committed") else "read_uncommitted"
        else:
            conf[name.replace("_", ".")] = value
    return conf


class AsyncConsumer:
    def __init__(self, config: Mapping[str, Any] | str | None = None, **kw: Any) -> None:
        conf = _legacy_config(config, kw) if isinstance(config, str) else {**(config or {}), **kw}
        if isinstance(config, str):
            conf.setdefault("enable.auto.commit", False)
        self.config = c = resolve("consumer", conf)
        self.cluster = Cluster(
            c["bootstrap.servers"], c["client.id"], c["request.timeout.ms"], c["retry.backoff.ms"], sasl_login(c), channel_security(c)
        )
        self.cluster.on_error = c["error_cb"]
        self.cluster.socket_keepalive = c["socket.keepalive.enable"]
        self.cluster.reconnect_backoff = ReconnectBackoff.from_config(c)
        self.isolation_level = READ_COMMITTED if c["isolation.level"] == "read_committed" else 0
        self.on_commit: Callable[..., Any] | None = c["on_commit"]
        self._fetcher = Fetcher(
            self.cluster, fetch_config(c), self.list_offsets, self._attention, c["key.deserializer"], c["value.deserializer"]
        )
        self._assigned = self._fetcher.assignment  # the positions, shared with the fetcher
        self._data_ready: asyncio.Event | None = None
        self._subscription: list[str] | None = None
        self._pattern: re.Pattern[str] | None = None
        self._listener: dict[str, RebalanceCallback | None] = {}
        self._group: GroupMember | ConsumerGroupMember | None = None
        if c["group.id"] is not None:
            member = ConsumerGroupMember if c["group.protocol"] == "consumer" else GroupMember  # KIP-848 or classic
            self._group = member(self.cluster, c, self._assignment_changed)
            self._group.attention = self._attention
        self._next_auto_commit = time.monotonic() + c["auto.commit.interval.ms"] / 1000
        # librdkafka's offset store with enable.auto.offset.store=false: commits take the offsets the
        # application stored (store_offsets), not the positions of what was handed out
        self.offset_store: dict[TP, tuple[int, str | None]] | None = None if c["enable.auto.offset.store"] else {}
        self._metadata_checked = 0.0
        self._reported_missing: set[str] = set()
        self._round_retry_at = 0.0  # after a retriable failure of a group round, the next one waits a backoff
        # consumer errors (a subscribed topic missing) for getmany() to hand out as messages with error()
        # set, as confluent-kafka's poll() does; None: they are logged (the asyncio API's way)
        self.error_events: deque[Message] | None = None
        self._group_task: asyncio.Task[None] | None = None
        self._closed = False
        # the sync facade runs callbacks in the application thread; it returns positions to rewind to
        self.rebalance_hook: Callable[[str, list[TopicPartition]], Awaitable[dict[TP, int]]] | None = None

    # -- assignment ----------------------------------------------------------------------------------
    def _ensure_tasks(self) -> None:
        if self._data_ready is None:
            self._data_ready = asyncio.Event()
            self._fetcher.start()

    def _attention(self) -> None:
        if self._data_ready is not None:
            self._data_ready.set()

    async def subscribe(
        self,
        topics: list[str] | str,
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
    ) -> None:
        """Subscribes to topics (names, or regex patterns starting with '^'); partitions come from the group."""
        if self._group is None:
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "subscribe() needs 'group.id' in the configuration")
        names = [topics] if isinstance(topics, str) else list(topics)
        patterns = [t for t in names if t.startswith("^")]
        self._pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self._subscription = [t for t in names if not t.startswith("^")]
        self._listener = {"assign": on_assign, "revoke": on_revoke, "lost": on_lost}
        self._metadata_checked = 0.0
        self._reported_missing.clear()
        self._ensure_tasks()

    async def unsubscribe(self) -> None:
        if self._group_task is not None:
            self._group_task.cancel()
            await asyncio.gather(self._group_task, return_exceptions=True)
            self._group_task = None
        if self._group is not None and self._group.generation >= 0:
            await self._group.leave("the consumer unsubscribed")
            revoked = sorted(self._group.owned)
            self._group.owned.clear()
            await self._assignment_changed(revoked, [], False)
        self._subscription = None
        self._pattern = None
        self._assigned.clear()

    async def assign(
        self,
        partitions: list[TopicPartition] | list[TP],
        start: int = LATEST,
        offsets: dict[TP, int] | None = None,
    ) -> None:
        """Manual assignment; TopicPartition offsets (or `offsets`, or `start`) set the start positions."""
        self._ensure_tasks()
        self._assigned.clear()
        explicit = dict(offsets or {})
        for item in partitions:
            if isinstance(item, TopicPartition):
                tp = (item.topic, item.partition)
                if item.offset >= 0 or item.offset in (OFFSET_BEGINNING, OFFSET_END):
                    explicit[tp] = item.offset
            else:
                tp = (item[0], item[1])
                if tp not in explicit and start in (EARLIEST, LATEST):
                    explicit[tp] = start
            self._assigned[tp] = PartitionState()
        await self._set_positions(explicit)
        self._kick()

    async def incremental_assign(self, partitions: list[TopicPartition]) -> None:
        self._ensure_tasks()
        explicit: dict[TP, int] = {}
        for item in partitions:
            tp = (item.topic, item.partition)
            self._assigned.setdefault(tp, PartitionState())
            if item.offset >= 0 or item.offset in (OFFSET_BEGINNING, OFFSET_END):
                explicit[tp] = item.offset
        await self._set_positions(explicit)
        self._kick()

    async def incremental_unassign(self, partitions: list[TopicPartition]) -> None:
        for item in partitions:
            self._assigned.pop((item.topic, item.partition), None)

    async def unassign(self) -> None:
        self._assigned.clear()

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t, p in sorted(self._assigned)]

    async def _set_positions(self, explicit: Mapping[TP, int]) -> None:
        """Resolves start positions: explicit offsets, then committed offsets, then auto.offset.reset."""
        logical = {tp: o for tp, o in explicit.items() if o < 0}
        for tp, o in explicit.items():
            if o >= 0 and tp in self._assigned:
                self._assigned[tp].position = o
        missing = [tp for tp, st in self._assigned.items() if st.position is None and tp not in logical]
        if missing and self._group is not None:
            committed = await self._group.fetch_committed(missing)
            for tp, (offset, _, _epoch) in committed.items():
                if offset >= 0 and tp in self._assigned:
                    self._assigned[tp].position = offset
            missing = [tp for tp in missing if self._assigned[tp].position is None]
        if missing:
            policy = self.config["auto.offset.reset"]
            if policy == "none":
                raise KafkaError(
                    ErrorCode.OFFSET_OUT_OF_RANGE, f"no committed offset for {missing[0][0]}-{missing[0][1]} and auto.offset.reset is none"
                )
            for tp in missing:
                logical[tp] = EARLIEST if policy == "earliest" else LATEST
        for spec in (EARLIEST, LATEST):
            tps = [tp for tp, o in logical.items() if o == spec and tp in self._assigned]
            if tps:
                for tp, off in (await self.list_offsets(tps, spec)).items():
                    if tp in self._assigned:
                        self._assigned[tp].position = off

    async def _assignment_changed(self, revoked: list[TP], added: list[TP], lost: bool) -> None:
        """Called by the group member: revoke (commit first when auto commit is on), then assign."""
        if revoked:
            tps = [TopicPartition(t, p) for t, p in revoked]
            kind = "lost" if lost and self._listener.get("lost") else "revoke"
            for tp in revoked:  # a getmany while the callback runs must not hand these out (or move positions)
                if (st := self._assigned.get(tp)) is not None:
                    st.revoking = True
            await self._callback(kind, tps)
            if not lost and self.config["enable.auto.commit"]:
                positions = self.commit_candidates(revoked)
                if positions:
                    try:
                        await self.commit(positions)
                    except KafkaError as exc:
                        log.info("commit of revoked partitions failed: %s", exc)
            for tp in revoked:
                self._assigned.pop(tp, None)
                if self.offset_store is not None:
                    self.offset_store.pop(tp, None)
        if added or (not revoked and not lost):
            for tp in added:
                self._assigned.setdefault(tp, PartitionState())
            await self._callback("assign", [TopicPartition(t, p) for t, p in added])
            await self._set_positions({})
            self._kick()

    async def _callback(self, kind: str, tps: list[TopicPartition]) -> None:
        cb = self._listener.get(kind)
        if self.rebalance_hook is not None:
            rewinds = await self.rebalance_hook(kind, tps)
            for tp, offset in rewinds.items():
                if tp in self._assigned:
                    self._assigned[tp].position = offset
            return
        if cb is None:
            return
        result = cb(self, tps)
        if asyncio.iscoroutine(result):
            await result

    def _topics_to_join(self) -> list[str]:
        topics = set(self._subscription or [])
        if self._pattern is not None:
            internal = self.config["exclude.internal.topics"]
            topics |= {t for t, info in self.cluster.topics.items() if self._pattern.match(t) and not (internal and info.is_internal)}
        return sorted(topics)

    def enforce_rebalance(self, reason: str = "") -> None:
        """Java's Consumer.enforceRebalance: this member rejoins at its next poll, and the group rebalances."""
        if self._group is not None:
            log.info("Rejoining the group: %s", reason or "rebalance enforced by the application")
            self._group.need_rejoin = True
            self._attention()

    def poke(self) -> None:
        """Group upkeep without waiting (the sync facade calls it while it still has messages to hand out)."""
        task = self._group_task
        if task is not None and task.done() and not task.cancelled() and task.exception() is not None:
            return  # the next getmany() raises it
        self._maintain_group()

    def _maintain_group(self) -> None:
        """Starts a membership round in the background when one is due; raises what the last one raised.

        Joining never blocks poll: a JoinGroup can wait for every member, and a single-threaded
        application polls its members in turn (as with Java's poll(timeout))."""
        group = self._group
        if group is None or (self._subscription is None and self._pattern is None):
            return
        group.last_poll = time.monotonic()
        task = self._group_task
        if task is not None and task.done():
            self._group_task = None
            error = None if task.cancelled() else task.exception()
            if isinstance(error, KafkaError) and error.retriable():
                # brokers down or moving: error_cb heard it once; poll() goes on, as librdkafka's does
                log.info("group membership round failed, retrying: %s", error)
                self._round_retry_at = time.monotonic() + self.config["retry.backoff.max.ms"] / 1000
            elif error is not None:
                raise error
        if self._group_task is None and time.monotonic() >= self._round_retry_at:
            due = time.monotonic() >= self._metadata_checked
            if due or group.need_rejoin or group.lost or self._topics_to_join() != group.topics:
                self._group_task = asyncio.ensure_future(self._group_round())

    async def _group_round(self) -> None:
        group = self._group
        assert group is not None
        now = time.monotonic()
        if now >= self._metadata_checked:
            await self._refresh_subscription(group, now)
        await group.ensure_active(self._topics_to_join())
        self._attention()

    async def _refresh_subscription(self, group: GroupMember | ConsumerGroupMember, now: float) -> None:
        """Metadata of the subscription (every metadata.max.age.ms; every second while a subscribed topic
        is missing): topics that appear, or gain partitions, make the leader reassign."""
        literal = self._subscription or []
        if self._pattern is not None:
            await self.cluster.refresh(None)
            if literal:
                await self.cluster.refresh(literal, allow_auto_create=self.config["allow.auto.create.topics"])
        else:
            # the leader also watches what the other members subscribed to (their topics are in its snapshot)
            topics = sorted(set(literal) | set(group.snapshot_partitions if group.leader else ()))
            await self.cluster.refresh(topics, allow_auto_create=self.config["allow.auto.create.topics"])
        # due again after metadata.max.age.ms; a failed refresh (raised above) is due again at once
        missing = [t for t in literal if t not in self.cluster.topics]
        self._metadata_checked = now + (MISSING_TOPIC_REQUERY if missing else self.config["metadata.max.age.ms"] / 1000)
        self._report_missing(missing)
        if group.leader and group.snapshot_partitions:
            current = {t: len(info.partitions) if (info := self.cluster.topics.get(t)) else 0 for t in group.snapshot_partitions}
            if current != group.snapshot_partitions:
                group.need_rejoin = True  # a topic appeared or gained partitions: the leader reassigns

    def _report_missing(self, missing: list[str]) -> None:
        """Each missing subscribed topic is reported once until it exists (librdkafka's consumer error
        "Subscribed topic not available"): as an error message from poll() when the facade asks for
        events, else as a warning in the log."""
        for topic in missing:
            if topic in self._reported_missing:
                continue
            self._reported_missing.add(topic)
            code = self.cluster.topic_errors.get(topic) or ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            text = "Unknown topic or partition" if code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION else KafkaError(code).message
            error = KafkaError(code, f"Subscribed topic not available: {topic}: Broker: {text}")
            if self.error_events is None:
                log.warning("%s", error.message)
            else:  # partition 0 and no offset, to the letter of confluent-kafka's error message
                self.error_events.append(Message(topic, 0, None, error=error))
                self._attention()
        self._reported_missing.intersection_update(missing)

    def _kick(self) -> None:
        self._fetcher.wakeup()

    # -- polling -------------------------------------------------------------------------------------
    async def getmany(self, timeout: float = 0.0, max_records: int | None = None) -> list[Message]:
        """Up to max.poll.records messages, waiting up to `timeout` seconds for the first."""
        self._ensure_tasks()
        assert self._data_ready is not None
        limit = max_records or self.config["max.poll.records"]
        deadline = time.monotonic() + max(timeout, 0)
        await self._maybe_auto_commit()
        while True:
            self._maintain_group()
            out = self._fetcher.collect(limit)
            if self.error_events:
                out = [*self.error_events, *out]
                self.error_events.clear()
            if out:
                return out
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            self._data_ready.clear()
            await wait_event(self._data_ready, left)

    async def getone(self, timeout: float | None = None) -> Message | None:
        msgs = await self.getmany(float("inf") if timeout is None else timeout, 1)
        return msgs[0] if msgs else None

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while not self._closed:
            for msg in await self.getmany(1.0):
                yield msg

    async def poll(self, timeout: float | None = None) -> list[ConsumerRecord]:
        """The first console consumer's poll: a list of ConsumerRecords (waits up to fetch.max.wait.ms)."""
        msgs = await self.getmany(self.config["fetch.max.wait.ms"] / 1000 if timeout is None else timeout)
        return [
            ConsumerRecord(
                m.topic() or "",
                m.partition() or 0,
                m.offset() or 0,
                m.timestamp()[1],
                0 if m.timestamp()[0] == TIMESTAMP_CREATE_TIME else 1,
                m.key(),
                m.value(),
                m.headers() or [],
            )
            for m in msgs
        ]

    # -- positions and offsets -----------------------------------------------------------------------
    def _state(self, topic: str, partition: int) -> PartitionState:
        st = self._assigned.get((topic, partition))
        if st is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} is not assigned to this consumer")
        return st

    async def seek(self, partition: TopicPartition) -> None:
        st = self._state(partition.topic, partition.partition)
        if partition.offset in (OFFSET_BEGINNING, OFFSET_END):
            st.position = (await self.list_offsets([(partition.topic, partition.partition)], partition.offset))[
                (partition.topic, partition.partition)
            ]
        elif partition.offset >= 0:
            st.position = partition.offset
        else:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"cannot seek to offset {partition.offset}")
        self._kick()

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        out = []
        for item in partitions:
            st = self._assigned.get((item.topic, item.partition))
            pos = st.position if st is not None and st.position is not None else OFFSET_INVALID
            out.append(TopicPartition(item.topic, item.partition, pos))
        return out

    def pause(self, partitions: list[TopicPartition]) -> None:
        for item in partitions:
            self._state(item.topic, item.partition).paused = True

    def resume(self, partitions: list[TopicPartition]) -> None:
        for item in partitions:
            self._state(item.topic, item.partition).paused = False
        self._kick()

    def paused(self) -> list[TopicPartition]:
        return [TopicPartition(t, p) for (t, p), st in sorted(self._assigned.items()) if st.paused]

    async def committed(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        if self._group is None:
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "committed() needs 'group.id' in the configuration")
        got = await self._group.fetch_committed([(p.topic, p.partition) for p in partitions])
        out = []
        for p in partitions:
            offset, metadata, epoch = got.get((p.topic, p.partition), (-1, None, -1))
            tp = TopicPartition(p.topic, p.partition, offset if offset >= 0 else OFFSET_INVALID, metadata or None)
            tp.leader_epoch = epoch if epoch >= 0 else None
            out.append(tp)
        return out

    async def commit(self, offsets: list[TopicPartition] | None = None, message: Message | None = None) -> list[TopicPartition]:
        """Commits the given offsets, a message's offset + 1, or the current positions of every partition."""
        return await self._commit(offsets, message, wait_for_coordinator=True)

    async def _commit(
        self, offsets: list[TopicPartition] | None, message: Message | None, wait_for_coordinator: bool
    ) -> list[TopicPartition]:
        if self._group is None:
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "commit() needs 'group.id' in the configuration")
        if message is not None:
            offsets = [TopicPartition(message.topic() or "", message.partition() or 0, (message.offset() or 0) + 1)]
        if offsets is None:
            offsets = self.commit_candidates(sorted(self._assigned))
        if not offsets:  # as librdkafka: _NO_OFFSET, raised by a synchronous commit and given to on_commit
            error = KafkaError(LocalError.NO_OFFSET)
            if self.on_commit is not None:
                self.on_commit(error, [])
            raise error
        request = {(o.topic, o.partition): (o.offset, o.metadata, -1 if o.leader_epoch is None else o.leader_epoch) for o in offsets}
        codes = await self._commit_while_coordinator_moves(request) if wait_for_coordinator else await self._group.commit(request)
        result = []
        first_error: KafkaError | None = None
        for o in offsets:
            tp = TopicPartition(o.topic, o.partition, o.offset, o.metadata)
            code = codes.get((o.topic, o.partition), 0)
            if code:
                tp.error = KafkaError(code)
                first_error = first_error or tp.error
            result.append(tp)
        if self.on_commit is not None:
            self.on_commit(first_error, result)
        if first_error is not None:
            raise first_error
        return result

    async def _commit_while_coordinator_moves(self, request: dict[TP, tuple[int, str | None, int]]) -> dict[TP, int]:
        """OffsetCommit, sent again to the rediscovered coordinator while it answers that it is not (yet) the group's
        coordinator: as librdkafka defers such a commit (up to session.timeout.ms) and Java's commitSync retries it.
        A coordinator that moved or is still loading the offsets topic is a normal moment of a cluster's life."""
        assert self._group is not None
        deadline = time.monotonic() + self.config["session.timeout.ms"] / 1000
        codes: dict[TP, int] = {}
        while True:
            try:
                codes.update(await self._group.commit(request))
            except KafkaError as exc:  # no coordinator could be found yet
                if exc.code() not in _COMMIT_RETRIABLE or time.monotonic() >= deadline:
                    raise
                codes.update(dict.fromkeys(request, exc.code()))
            request = {tp: request[tp] for tp in request if codes.get(tp) in _COMMIT_RETRIABLE}
            if not request or time.monotonic() >= deadline:
                return codes
            await asyncio.sleep(self.config["retry.backoff.ms"] / 1000)

    def commit_candidates(self, tps: list[TP]) -> list[TopicPartition]:
        """What a commit without explicit offsets sends for `tps`: the stored offsets (offset store on), else
        the positions of what was handed out."""
        if self.offset_store is not None:
            stored = [(tp, self.offset_store.get(tp)) for tp in tps]
            return [TopicPartition(tp[0], tp[1], entry[0], entry[1]) for tp, entry in stored if entry is not None]
        positions = [(tp, self._assigned.get(tp)) for tp in tps]
        return [TopicPartition(tp[0], tp[1], st.position) for tp, st in positions if st is not None and st.position is not None]

    def store_offsets(self, offsets: list[TopicPartition]) -> None:
        """confluent-kafka's store_offsets: the next auto or argument-less commit takes these offsets."""
        if self.offset_store is None:
            raise KafkaError(LocalError.INVALID_ARG, "store_offsets() needs enable.auto.offset.store=false")
        for tp in offsets:
            self.offset_store[(tp.topic, tp.partition)] = (tp.offset, tp.metadata)

    async def _auto_commit_now(self) -> None:
        if self.config["enable.auto.commit"] and self._group is not None and self.commit_candidates(list(self._assigned)):
            await self._commit(None, None, wait_for_coordinator=False)  # the next interval's commit is the retry

    async def _maybe_auto_commit(self) -> None:
        if not self.config["enable.auto.commit"] or self._group is None or self._group.generation < 0:
            return
        now = time.monotonic()
        if now >= self._next_auto_commit:
            self._next_auto_commit = now + self.config["auto.commit.interval.ms"] / 1000
            try:
                await self._auto_commit_now()
            except KafkaError as exc:
                log.info("auto commit failed: %s", exc)

    async def list_offsets(self, tps: list[TP], timestamp: int) -> dict[TP, int]:
        """ListOffsets for `tps` at `timestamp` (EARLIEST, LATEST or ms); -1 when no record is that late."""
        return {tp: off for tp, (off, _) in (await self.offsets_for_times_raw(tps, timestamp)).items()}

    async def offsets_for_times_raw(self, tps: list[TP], timestamp: int | Mapping[TP, int]) -> dict[TP, tuple[int, int]]:
        out: dict[TP, tuple[int, int]] = {}
        by_leader: dict[int, list[TP]] = {}
        for tp in tps:
            by_leader.setdefault(await self.cluster.leader_for(*tp), []).append(tp)
        for leader, items in by_leader.items():
            topics: dict[str, list[ListOffsetsPartition]] = {}
            for t, p in items:
                ts = timestamp[(t, p)] if isinstance(timestamp, Mapping) else timestamp
                topics.setdefault(t, []).append(ListOffsetsPartition(partition_index=p, timestamp=ts))
            conn = await self.cluster.connection(leader)
            resp = await conn.send(
                ListOffsetsRequest(
                    replica_id=-1,
                    isolation_level=self.isolation_level,
                    topics=[ListOffsetsTopic(name=t, partitions=ps) for t, ps in topics.items()],
                )
            )
            for t in resp.topics:
                for p in t.partitions:
                    if p.error_code:
                        raise KafkaError(p.error_code, f"ListOffsets for {t.name}-{p.partition_index} failed")
                    offset = p.offset if p.offset >= 0 or not p.old_style_offsets else p.old_style_offsets[0]
                    out[(t.name, p.partition_index)] = (offset, p.timestamp)
        return out

    async def offsets_for_times(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        """For each partition, the earliest offset whose timestamp is >= the TopicPartition's offset field (ms)."""
        got = await self.offsets_for_times_raw(
            [(p.topic, p.partition) for p in partitions], {(p.topic, p.partition): p.offset for p in partitions}
        )
        return [TopicPartition(p.topic, p.partition, got[(p.topic, p.partition)][0]) for p in partitions]

    async def get_watermark_offsets(self, partition: TopicPartition) -> tuple[int, int]:
        tp = (partition.topic, partition.partition)
        low = (await self.list_offsets([tp], EARLIEST))[tp]
        high = (await self.list_offsets([tp], LATEST))[tp]
        return low, high

    async def partitions_for(self, topic: str) -> list[int]:
        await self.cluster.refresh([topic])
        info = self.cluster.topics.get(topic)
        if info is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic {topic} does not exist")
        return sorted(info.partitions)

    @property
    def member_id(self) -> str | None:
        return self._group.member_id if self._group is not None else None

    def consumer_group_metadata(self) -> ConsumerGroupMetadata:
        """The group, generation and member a transactional producer passes to
        send_offsets_to_transaction, so a member that lost its partitions cannot commit (KIP-447)."""
        if self._group is None:
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "consumer_group_metadata() needs 'group.id' in the configuration")
        g = self._group
        return ConsumerGroupMetadata(g.group_id, g.generation, g.member_id, g.instance_id)

    async def close(self) -> None:
        """Revokes the assignment (on_revoke), commits (auto commit), leaves the group (dynamic members),
        closes fetch sessions and connections."""
        if self._closed:
            return
        self._closed = True
        if self._group_task is not None:
            self._group_task.cancel()
            await asyncio.gather(self._group_task, return_exceptions=True)
        if self._group is not None and self._group.generation >= 0:
            revoked = sorted(self._group.owned)
            self._group.owned.clear()
            if revoked:  # on_revoke, then (auto commit) the revoked positions, as Java's close does
                await self._assignment_changed(revoked, [], False)
            try:
                await self._auto_commit_now()
            except KafkaError as exc:
                log.info("final auto commit failed: %s", exc)
            await self._group.leave()
        await self._fetcher.close()
        self.cluster.close()


def fetch_config(c: Mapping[str, Any]) -> FetchConfig:
    """The fetcher's settings from a resolved consumer configuration."""
    return FetchConfig(
        max_wait_ms=c["fetch.max.wait.ms"],
        min_bytes=c["fetch.min.bytes"],
        max_bytes=c["fetch.max.bytes"],
        partition_max_bytes=c["max.partition.fetch.bytes"],
        isolation_level=READ_COMMITTED if c["isolation.level"] == "read_committed" else 0,
        request_timeout_ms=c["request.timeout.ms"],
        retry_backoff=c["retry.backoff.ms"] / 1000,
        auto_offset_reset=c["auto.offset.reset"],
    )


__all__ = ["AsyncConsumer", "ConsumerRecord", "EARLIEST", "LATEST", "OFFSET_STORED"]
