"""Group membership over the classic protocol: coordinator lookup, JoinGroup/SyncGroup, heartbeats,
offset commit/fetch and LeaveGroup -- the client side of Kafka's group coordinator.

The member decides nothing about fetching: it reports assignment changes to its consumer through
`on_change(revoked, assigned, lost)`. Rebalances are eager (revoke all, rejoin) unless every
configured assignor is cooperative, in which case only moved partitions are revoked (KIP-429),
the same rule as the Java client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strom.client.assignors import ASSIGNORS, COOPERATIVE
from strom.client.cluster import Cluster
from strom.client.consumer_protocol import (
    Assignment,
    Subscription,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import find_coordinator, heartbeat, join_group, leave_group, offset_commit, offset_fetch, sync_group
from strom.protocol.types import TP
from strom.transport.connection import BrokerConnection

log = logging.getLogger("strom.client.group")

ChangeHook = Callable[[list[TP], list[TP], bool], Awaitable[None]]

_REDISCOVER = {ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}


class GroupMember:
    def __init__(self, cluster: Cluster, conf: Mapping[str, Any], on_change: ChangeHook) -> None:
        self.cluster = cluster
        self.group_id: str = conf["group.id"]
        self.instance_id: str | None = conf["group.instance.id"]
        self.session_timeout_ms: int = conf["session.timeout.ms"]
        self.rebalance_timeout_ms: int = conf["max.poll.interval.ms"]
        self.heartbeat_interval = conf["heartbeat.interval.ms"] / 1000
        self.max_poll_interval = conf["max.poll.interval.ms"] / 1000
        self.backoff = conf["retry.backoff.ms"] / 1000
        self.strategies: list[str] = conf["partition.assignment.strategy"]
        self.cooperative = all(s in COOPERATIVE for s in self.strategies)
        self.on_change = on_change
        self.member_id = ""
        self.generation = -1
        self.protocol: str | None = None
        self.leader = False
        self.owned: set[TP] = set()
        self.topics: list[str] = []
        self.need_rejoin = True
        self.lost = False
        self.last_poll = time.monotonic()
        self._coordinator: BrokerConnection | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.attention: Callable[[], None] = lambda: None  # wakes the consumer's poll
        self.snapshot_partitions: dict[str, int] = {}  # partition counts the assignment was made from

    # -- coordinator ---------------------------------------------------------------------------------
    async def coordinator(self) -> BrokerConnection:
        if self._coordinator is None or self._coordinator.closed:
            self._coordinator = await coordinator_for(self.cluster, self.group_id, self.backoff)
        return self._coordinator

    def _coordinator_failed(self) -> None:
        if self._coordinator is not None:
            self._coordinator = None

    async def _call(self, request: Any, timeout: float | None = None) -> Any:
        """Sends to the coordinator; a connection failure forgets it so the next call rediscovers."""
        conn = await self.coordinator()
        try:
            return await conn.send(request, timeout=timeout)
        except KafkaError:
            self._coordinator_failed()
            raise

    # -- membership ----------------------------------------------------------------------------------
    async def ensure_active(self, topics: list[str]) -> None:
        """Joins (or rejoins) the group if needed; returns once this member holds a stable assignment."""
        if self.lost:
            self.lost = False
            revoked = sorted(self.owned)
            self.owned.clear()
            await self.on_change(revoked, [], True)
        if topics != self.topics:
            self.topics = list(topics)
            self.need_rejoin = True
        while self.need_rejoin:
            await self._stop_heartbeat()
            if not self.cooperative and self.owned:
                revoked = sorted(self.owned)
                self.owned.clear()
                await self.on_change(revoked, [], False)
            try:
                await self._join_and_sync()
            except KafkaError as exc:
                if exc.code() in _REDISCOVER or exc.code() == ErrorCode.NETWORK_EXCEPTION or exc.code() == ErrorCode.REQUEST_TIMED_OUT:
                    self._coordinator_failed()
                elif exc.code() in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_INSTANCE_ID):
                    if exc.code() == ErrorCode.FENCED_INSTANCE_ID:
                        raise
                    self.member_id = "" if exc.code() == ErrorCode.UNKNOWN_MEMBER_ID else self.member_id
                    self.generation = -1
                elif exc.code() != ErrorCode.REBALANCE_IN_PROGRESS:
                    raise
                await asyncio.sleep(self.backoff)

    async def _join_and_sync(self) -> None:
        owned = sorted(self.owned) if self.cooperative else []
        sub = encode_subscription(Subscription(sorted(self.topics), None, owned, self.generation), version=1)
        protocols = [join_group.JoinGroupRequestProtocol(name=s, metadata=sub) for s in self.strategies]
        while True:
            req = join_group.JoinGroupRequest(
                group_id=self.group_id,
                session_timeout_ms=self.session_timeout_ms,
                rebalance_timeout_ms=self.rebalance_timeout_ms,
                member_id=self.member_id,
                group_instance_id=self.instance_id,
                protocol_type="consumer",
                protocols=protocols,
                reason=None,
            )
            resp = await self._call(req, timeout=self.rebalance_timeout_ms / 1000 + 5)
            if resp.error_code == ErrorCode.MEMBER_ID_REQUIRED:
                self.member_id = resp.member_id
                continue
            if resp.error_code:
                raise KafkaError(resp.error_code, f"JoinGroup of {self.group_id} failed")
            break
        self.member_id = resp.member_id
        self.generation = resp.generation_id
        self.protocol = resp.protocol_name
        self.leader = resp.leader == resp.member_id
        assignments: list[sync_group.SyncGroupRequestAssignment] = []
        if self.leader and not resp.skip_assignment:
            assignments = await self._assign(resp.protocol_name, resp.members)
        # skip_assignment (KIP-814): a static leader rejoined a stable group; SyncGroup returns its current share
        sresp = await self._call(
            sync_group.SyncGroupRequest(
                group_id=self.group_id,
                generation_id=self.generation,
                member_id=self.member_id,
                group_instance_id=self.instance_id,
                protocol_type="consumer",
                protocol_name=self.protocol,
                assignments=assignments,
            ),
            timeout=self.rebalance_timeout_ms / 1000 + 5,
        )
        if sresp.error_code:
            raise KafkaError(sresp.error_code, f"SyncGroup of {self.group_id} failed")
        assigned = set(decode_assignment(sresp.assignment).partitions)
        self.need_rejoin = False
        revoked = sorted(self.owned - assigned)
        added = sorted(assigned - self.owned)
        self.owned = assigned
        if revoked:
            # cooperative: give up what moved, then rejoin so the new owner gets it
            self.need_rejoin = True
        self._start_heartbeat()
        await self.on_change(revoked, added, False)

    async def _assign(self, protocol: str, members: list[Any]) -> list[sync_group.SyncGroupRequestAssignment]:
        subs = {m.member_id: decode_subscription(m.metadata) for m in members}
        topics = sorted({t for s in subs.values() for t in s.topics})
        await self.cluster.refresh(topics)
        counts = {t: len(self.cluster.topics[t].partitions) for t in topics if t in self.cluster.topics}
        # missing topics count 0 partitions: their creation changes the snapshot and triggers a reassignment
        self.snapshot_partitions = {t: counts.get(t, 0) for t in topics}
        assignor = ASSIGNORS.get(protocol)
        if assignor is None:
            raise KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, f"unknown assignor {protocol}")
        result = assignor(subs, counts)
        version = 1 if protocol in COOPERATIVE else 0
        return [
            sync_group.SyncGroupRequestAssignment(member_id=m, assignment=encode_assignment(Assignment(tps), version))
            for m, tps in result.items()
        ]

    # -- heartbeats ----------------------------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.ensure_future(self._heartbeat_loop())

    async def _stop_heartbeat(self) -> None:
        task, self._heartbeat = self._heartbeat, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            if time.monotonic() - self.last_poll > self.max_poll_interval:
                log.warning("max.poll.interval.ms exceeded: leaving group %s", self.group_id)
                await self.leave("consumer poll timeout has expired")
                self.lost = bool(self.owned)
                self.need_rejoin = True
                self.attention()
                return
            try:
                resp = await self._call(
                    heartbeat.HeartbeatRequest(
                        group_id=self.group_id, generation_id=self.generation, member_id=self.member_id, group_instance_id=self.instance_id
                    )
                )
                code = resp.error_code
            except KafkaError as exc:
                code = exc.code()
            if code == 0:
                continue
            if code == ErrorCode.REBALANCE_IN_PROGRESS:
                self.need_rejoin = True
                self.attention()
                continue  # keep heartbeating until the consumer rejoins from poll
            if code in (ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID):
                if code == ErrorCode.UNKNOWN_MEMBER_ID:
                    self.member_id = ""
                self.generation = -1
                self.lost = bool(self.owned)
                self.need_rejoin = True
                self.attention()
                return
            self._coordinator_failed()  # coordinator moved or died: find it again on the next beat

    # -- offsets -------------------------------------------------------------------------------------
    async def commit(self, offsets: Mapping[TP, tuple[int, str | None, int]]) -> dict[TP, int]:
        """Commits {tp: (offset, metadata, leader_epoch)}; returns error codes per partition."""
        by_topic: dict[str, list[offset_commit.OffsetCommitRequestPartition]] = {}
        for (topic, partition), (offset, metadata, epoch) in sorted(offsets.items()):
            by_topic.setdefault(topic, []).append(
                offset_commit.OffsetCommitRequestPartition(
                    partition_index=partition, committed_offset=offset, committed_leader_epoch=epoch, committed_metadata=metadata or ""
                )
            )
        req = offset_commit.OffsetCommitRequest(
            group_id=self.group_id,
            generation_id_or_member_epoch=self.generation,
            member_id=self.member_id,
            group_instance_id=self.instance_id,
            topics=[offset_commit.OffsetCommitRequestTopic(name=t, partitions=ps) for t, ps in by_topic.items()],
        )
        resp = await self._call(req)
        out = {(t.name, p.partition_index): p.error_code for t in resp.topics for p in t.partitions}
        if any(c in _REDISCOVER for c in out.values()):
            self._coordinator_failed()
        if any(c in (ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID) for c in out.values()):
            self.need_rejoin = True
        return out

    async def fetch_committed(self, tps: list[TP]) -> dict[TP, tuple[int, str | None, int]]:
        """Committed (offset, metadata, leader epoch) per partition; offset -1 when nothing is committed."""
        return await fetch_committed(await self.coordinator(), self.group_id, tps)

    async def leave(self, reason: str = "the consumer is being closed") -> None:
        await self._stop_heartbeat()
        if self.member_id and self.instance_id is None:
            try:
                conn = await self.coordinator()
                version = conn.version_for(leave_group.API_KEY)
                if version >= 3:
                    req = leave_group.LeaveGroupRequest(
                        group_id=self.group_id,
                        members=[leave_group.MemberIdentity(member_id=self.member_id, group_instance_id=None, reason=reason)],
                    )
                else:
                    req = leave_group.LeaveGroupRequest(group_id=self.group_id, member_id=self.member_id)
                await conn.send(req, version, timeout=5)
            except KafkaError as exc:
                log.info("LeaveGroup failed: %s", exc)
        self.member_id = "" if self.instance_id is None else self.member_id
        self.generation = -1
        self.need_rejoin = True


async def coordinator_for(cluster: Cluster, key: str, backoff: float = 0.1, key_type: int = 0, attempts: int = 50) -> BrokerConnection:
    """FindCoordinator for a group (key_type 0) or transactional id (1), retried while it is loading."""
    for _ in range(attempts):
        conn = await cluster.any_connection()
        version = conn.version_for(find_coordinator.API_KEY)
        if version >= 4:
            req = find_coordinator.FindCoordinatorRequest(key_type=key_type, coordinator_keys=[key])
        else:
            req = find_coordinator.FindCoordinatorRequest(key=key, key_type=key_type)
        resp = await conn.send(req, version)
        if version >= 4:
            c = resp.coordinators[0]
            code, node, host, port = c.error_code, c.node_id, c.host, c.port
        else:
            code, node, host, port = resp.error_code, resp.node_id, resp.host, resp.port
        if code == 0:
            cluster.brokers.setdefault(node, (host, port))
            return await cluster.coordinator_connection(node, host, port)
        if code not in _REDISCOVER:
            raise KafkaError(code, f"cannot find the coordinator of {key}")
        await asyncio.sleep(backoff)
    raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, f"no coordinator for {key}")


async def fetch_committed(
    conn: BrokerConnection, group_id: str, tps: list[TP] | None, stable_wait: float = 30.0
) -> dict[TP, tuple[int, str | None, int]]:
    """OffsetFetch for one group (all its partitions when `tps` is None), across request versions.
    UNSTABLE_OFFSET_COMMIT (a transaction's offsets still awaiting their marker, KIP-447) is retried, as
    Java's consumer does, for up to `stable_wait` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + stable_wait
    while True:
        try:
            return await _fetch_committed_once(conn, group_id, tps)
        except KafkaError as exc:
            if exc.code() != ErrorCode.UNSTABLE_OFFSET_COMMIT or loop.time() >= deadline:
                raise
        await asyncio.sleep(0.05)


async def _fetch_committed_once(conn: BrokerConnection, group_id: str, tps: list[TP] | None) -> dict[TP, tuple[int, str | None, int]]:
    version = conn.version_for(offset_fetch.API_KEY)
    by_topic: dict[str, list[int]] = {}
    for topic, partition in tps or []:
        by_topic.setdefault(topic, []).append(partition)
    if version >= 8:
        topics8 = (
            None if tps is None else [offset_fetch.OffsetFetchRequestTopics(name=t, partition_indexes=ps) for t, ps in by_topic.items()]
        )
        req = offset_fetch.OffsetFetchRequest(
            groups=[offset_fetch.OffsetFetchRequestGroup(group_id=group_id, topics=topics8)], require_stable=True
        )
    else:
        topics = None if tps is None else [offset_fetch.OffsetFetchRequestTopic(name=t, partition_indexes=ps) for t, ps in by_topic.items()]
        req = offset_fetch.OffsetFetchRequest(group_id=group_id, topics=topics, require_stable=True)
    resp = await conn.send(req, version)
    out: dict[TP, tuple[int, str | None, int]] = {}
    if version >= 8:
        group = resp.groups[0]
        if group.error_code:
            raise KafkaError(group.error_code, f"OffsetFetch of {group_id} failed")
        topic_list = group.topics
    else:
        if getattr(resp, "error_code", 0):
            raise KafkaError(resp.error_code, f"OffsetFetch of {group_id} failed")
        topic_list = resp.topics
    for t in topic_list:
        for p in t.partitions:
            if p.error_code:
                raise KafkaError(p.error_code, f"OffsetFetch of {group_id} for {t.name}-{p.partition_index} failed")
            out[(t.name, p.partition_index)] = (p.committed_offset, p.metadata, p.committed_leader_epoch)
    return out
