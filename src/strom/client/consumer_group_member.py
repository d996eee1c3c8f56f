"""Group membership over KIP-848's consumer protocol (`group.protocol=consumer`), as the Java client and
librdkafka 2.4+ speak it: one ConsumerGroupHeartbeat carries the subscription and the partitions this member
owns; the coordinator computes the assignment (`group.remote.assignor`) and hands each member its target.

The member reconciles towards the target from the consumer's group round, as the classic member rejoins from
it: partitions no longer assigned are revoked first (on_revoke), then new ones assigned (on_assign), and the next
heartbeat acknowledges what it owns. Offsets commit with the member epoch. Same interface as GroupMember."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from strom.client.cluster import Cluster
from strom.client.group_member_base import REDISCOVER as _REDISCOVER
from strom.client.group_member_base import ChangeHook, GroupMemberBase
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import consumer_group_heartbeat as cgh
from strom.protocol.types import TP

log = logging.getLogger("strom.client.consumer_group_member")

LEAVE_EPOCH, STATIC_LEAVE_EPOCH = -1, -2  # KIP-848: a dynamic member leaves; a static member leaves for now
_FENCED = {ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID}


class ConsumerGroupMember(GroupMemberBase):
    log = log
    rejoin_after_commit = frozenset({*_FENCED, ErrorCode.STALE_MEMBER_EPOCH})

    def __init__(self, cluster: Cluster, conf: Mapping[str, Any], on_change: ChangeHook) -> None:
        super().__init__(cluster, conf, on_change)  # heartbeat.interval.ms until the coordinator says its own
        self.server_assignor: str | None = conf["group.remote.assignor"]
        self.member_id = str(uuid.uuid4())  # KIP-848 v1: the member names itself
        self.epoch = 0
        self.target: dict[Any, list[int]] | None = None  # topic id -> partitions, as the coordinator last sent
        self.leader = False  # the coordinator assigns: no member leads

    @property
    def generation(self) -> int:
        """The member epoch while in the group (what commits carry), else -1 as for a classic member."""
        return self.epoch if self.epoch > 0 else -1

    # -- membership ----------------------------------------------------------------------------------
    async def ensure_active(self, topics: list[str]) -> None:
        """Joins (epoch 0) or sends the changed subscription, then reconciles towards the coordinator's target."""
        if self.lost:
            self.lost = False
            revoked = sorted(self.owned)
            self.owned.clear()
            await self.on_change(revoked, [], True)
        if topics != self.topics:
            self.topics = list(topics)
            self.need_rejoin = True
        if not self.topics:  # a pattern that matches nothing yet: out of the group until it does
            if self.epoch > 0:
                await self.leave("the subscription is empty")
                revoked = sorted(self.owned)
                self.owned.clear()
                await self.on_change(revoked, [], False)
            self.need_rejoin = False
            return
        while self.need_rejoin:
            await self._stop_heartbeat()
            self.need_rejoin = False
            try:
                await self._heartbeat_once()
                await self._reconcile()
            except KafkaError as exc:
                code = exc.code()
                if code in _REDISCOVER or code in (ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT):
                    self._coordinator_failed()
                elif code in _FENCED:
                    self._fenced()
                else:
                    raise
                self.need_rejoin = True
                await asyncio.sleep(self.backoff)
        self._start_heartbeat()

    def _fenced(self) -> None:
        """FENCED_MEMBER_EPOCH / UNKNOWN_MEMBER_ID: the partitions are lost; rejoin with epoch 0, same id."""
        self.epoch = 0
        self.target = None
        self.lost = bool(self.owned)

    def _request(self) -> cgh.ConsumerGroupHeartbeatRequest:
        """A full heartbeat: subscription and owned partitions every time (the coordinator compares them)."""
        joining = self.epoch == 0
        owned: dict[Any, list[int]] = {}
        ids = {name: info.topic_id for name, info in self.cluster.topics.items()}
        for topic, partition in sorted(self.owned):
            if topic in ids:
                owned.setdefault(ids[topic], []).append(partition)
        return cgh.ConsumerGroupHeartbeatRequest(
            group_id=self.group_id,
            member_id=self.member_id,
            member_epoch=self.epoch,
            instance_id=self.instance_id,
            rack_id=None,
            rebalance_timeout_ms=self.rebalance_timeout_ms,
            subscribed_topic_names=list(self.topics),
            subscribed_topic_regex=None,
            server_assignor=self.server_assignor,
            topic_partitions=[]
            if joining
            else [cgh.ConsumerGroupHeartbeatRequestTopicPartitions(topic_id=t, partitions=ps) for t, ps in owned.items()],
        )

    async def _heartbeat_once(self) -> None:
        resp = await self._call(self._request())
        if resp.error_code:
            raise KafkaError(resp.error_code, resp.error_message or f"ConsumerGroupHeartbeat of {self.group_id} failed")
        self.member_id = resp.member_id or self.member_id
        self.epoch = resp.member_epoch
        if resp.heartbeat_interval_ms > 0:
            self.heartbeat_interval = resp.heartbeat_interval_ms / 1000
        if resp.assignment is not None:
            self.target = {t.topic_id: list(t.partitions) for t in resp.assignment.topic_partitions}

    async def _target_partitions(self) -> set[TP] | None:
        """The target as topic-partitions; topic ids not in the metadata yet are looked up first."""
        if self.target is None:
            return None
        names = {info.topic_id: name for name, info in self.cluster.topics.items()}
        if any(t not in names for t in self.target):
            await self.cluster.refresh(None)
            names = {info.topic_id: name for name, info in self.cluster.topics.items()}
        return {(names[t], p) for t, ps in self.target.items() if t in names for p in ps}

    async def _reconcile(self) -> None:
        """Revoke what is no longer assigned, then take what is new; a change is acknowledged at once."""
        target = await self._target_partitions()
        if target is None:
            return
        revoked = sorted(self.owned - target)
        added = sorted(target - self.owned)
        if revoked:
            self.owned -= set(revoked)
            await self.on_change(revoked, [], False)
        if added:
            self.owned |= set(added)
            await self.on_change([], added, False)
        if revoked or added:
            self.need_rejoin = True  # the acknowledging heartbeat, from the same loop

    # -- heartbeats ----------------------------------------------------------------------------------
    async def _beat(self) -> bool:
        before = self.target
        try:
            await self._heartbeat_once()
        except KafkaError as exc:
            if exc.code() in _FENCED:
                self._fenced()
                self.need_rejoin = True
                self.attention()
                return False
            return True  # the coordinator moved or is busy: found again on the next beat
        if self.target is not None and self.target != before:
            self.need_rejoin = True  # a new target: the consumer's group round reconciles
            self.attention()
            return False
        return True

    # -- offsets -------------------------------------------------------------------------------------
    def _commit_identity(self) -> tuple[int, str]:
        """Commits carry the member epoch (KIP-848), and no member id outside the group."""
        return self.generation, self.member_id if self.epoch > 0 else ""

    async def leave(self, reason: str = "the consumer is being closed") -> None:
        """A heartbeat with epoch -1 (-2 for a static member, which keeps its partitions for its session)."""
        await self._stop_heartbeat()
        if self.epoch > 0:
            leave_epoch = STATIC_LEAVE_EPOCH if self.instance_id is not None else LEAVE_EPOCH
            try:
                conn = await self.coordinator()
                request = cgh.ConsumerGroupHeartbeatRequest(
                    group_id=self.group_id, member_id=self.member_id, member_epoch=leave_epoch, instance_id=self.instance_id
                )
                await conn.send(request, timeout=5)
            except KafkaError as exc:
                log.info("leaving group %s failed (%s): %s", self.group_id, reason, exc)
        self.epoch = 0
        self.target = None
        self.need_rejoin = True
