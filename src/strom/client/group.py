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
from collections.abc import Mapping
from typing import Any

from strom.client.assignors import ASSIGNORS, COOPERATIVE, ConsumerPartitionAssignor
from strom.client.cluster import Cluster
from strom.client.consumer_protocol import (
    Assignment,
    Subscription,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)
from strom.client.coordinator import coordinator_for as coordinator_for  # re-exported: where callers looked first
from strom.client.coordinator import fetch_committed as fetch_committed
from strom.client.group_member_base import REDISCOVER as _REDISCOVER
from strom.client.group_member_base import ChangeHook as ChangeHook
from strom.client.group_member_base import GroupMemberBase
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import heartbeat, join_group, leave_group, sync_group

log = logging.getLogger("strom.client.group")


class GroupMember(GroupMemberBase):
    log = log
    rejoin_after_commit = frozenset({ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID})

    def __init__(self, cluster: Cluster, conf: Mapping[str, Any], on_change: ChangeHook) -> None:
        super().__init__(cluster, conf, on_change)
        self.session_timeout_ms: int = conf["session.timeout.ms"]
        strategies: list[str | ConsumerPartitionAssignor] = conf["partition.assignment.strategy"]
        self.objects = {s.name: s for s in strategies if not isinstance(s, str)}
        self.strategies = [s if isinstance(s, str) else s.name for s in strategies]
        # cooperative only when every assignor supports it (an assignor object says so in supported_protocols)
        self.cooperative = all(
            s in COOPERATIVE if isinstance(s, str) else "COOPERATIVE" in getattr(s, "supported_protocols", ()) for s in strategies
        )
        self.member_id = ""
        self.generation = -1
        self.protocol: str | None = None
        self.leader = False

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
        topics = sorted(self.topics)
        protocols = [
            join_group.JoinGroupRequestProtocol(
                name=s,
                metadata=encode_subscription(Subscription(topics, self._user_data(s, topics), owned, self.generation), version=1),
            )
            for s in self.strategies
        ]
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
        assignment = decode_assignment(sresp.assignment)
        assigned = set(assignment.partitions)
        if (chosen := self.objects.get(self.protocol or "")) is not None:
            chosen.on_assignment(assignment, self.generation)
        self.need_rejoin = False
        revoked = sorted(self.owned - assigned)
        added = sorted(assigned - self.owned)
        self.owned = assigned
        if revoked:
            # cooperative: give up what moved, then rejoin so the new owner gets it
            self.need_rejoin = True
        self._start_heartbeat()
        await self.on_change(revoked, added, False)

    def _user_data(self, strategy: str, topics: list[str]) -> bytes | None:
        chosen = self.objects.get(strategy)
        return None if chosen is None else chosen.subscription_user_data(topics)

    async def _assign(self, protocol: str, members: list[Any]) -> list[sync_group.SyncGroupRequestAssignment]:
        subs = {m.member_id: decode_subscription(m.metadata) for m in members}
        topics = sorted({t for s in subs.values() for t in s.topics})
        await self.cluster.refresh(topics)
        counts = {t: len(self.cluster.topics[t].partitions) for t in topics if t in self.cluster.topics}
        # missing topics count 0 partitions: their creation changes the snapshot and triggers a reassignment
        self.snapshot_partitions = {t: counts.get(t, 0) for t in topics}
        if (chosen := self.objects.get(protocol)) is not None:
            given = chosen.assign(subs, counts)
            return [
                sync_group.SyncGroupRequestAssignment(member_id=m, assignment=encode_assignment(given.get(m, Assignment([])), 0))
                for m in subs
            ]
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
    async def _beat(self) -> bool:
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
            return True
        if code == ErrorCode.REBALANCE_IN_PROGRESS:
            self.need_rejoin = True
            self.attention()
            return True  # keep heartbeating until the consumer rejoins from poll
        if code in (ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID):
            if code == ErrorCode.UNKNOWN_MEMBER_ID:
                self.member_id = ""
            self.generation = -1
            self.lost = bool(self.owned)
            self.need_rejoin = True
            self.attention()
            return False
        self._coordinator_failed()  # coordinator moved or died: find it again on the next beat
        return True

    # -- offsets -------------------------------------------------------------------------------------
    def _commit_identity(self) -> tuple[int, str]:
        return self.generation, self.member_id

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
