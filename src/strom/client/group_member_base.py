"""What the classic group member (JoinGroup/SyncGroup) and the KIP-848 member (ConsumerGroupHeartbeat) share: the
coordinator connection, the heartbeat task with its max.poll.interval.ms check, and offset commit and fetch.

Each protocol supplies one heartbeat (`_beat`), the identity its commits carry and how it leaves."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strom.client.cluster import Cluster
from strom.client.coordinator import coordinator_for, fetch_committed
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import offset_commit
from strom.protocol.types import TP
from strom.transport.connection import BrokerConnection

ChangeHook = Callable[[list[TP], list[TP], bool], Awaitable[None]]

REDISCOVER = {ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}


class GroupMemberBase:
    log = logging.getLogger("strom.client.group")
    rejoin_after_commit: frozenset[int] = frozenset()  # commit errors that mean this member must rejoin

    def __init__(self, cluster: Cluster, conf: Mapping[str, Any], on_change: ChangeHook) -> None:
        self.cluster = cluster
        self.group_id: str = conf["group.id"]
        self.instance_id: str | None = conf["group.instance.id"]
        self.rebalance_timeout_ms: int = conf["max.poll.interval.ms"]
        self.heartbeat_interval = conf["heartbeat.interval.ms"] / 1000
        self.max_poll_interval = conf["max.poll.interval.ms"] / 1000
        self.backoff = conf["retry.backoff.ms"] / 1000
        self.on_change = on_change
        self.owned: set[TP] = set()
        self.topics: list[str] = []
        self.need_rejoin = True
        self.lost = False
        self.last_poll = time.monotonic()
        self.attention: Callable[[], None] = lambda: None  # wakes the consumer's poll
        self.snapshot_partitions: dict[str, int] = {}  # partition counts the assignment was made from
        self._coordinator: BrokerConnection | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    # -- coordinator ---------------------------------------------------------------------------------
    async def coordinator(self) -> BrokerConnection:
        if self._coordinator is None or self._coordinator.closed:
            self._coordinator = await coordinator_for(self.cluster, self.group_id, self.backoff)
        return self._coordinator

    def _coordinator_failed(self) -> None:
        self._coordinator = None

    async def _call(self, request: Any, timeout: float | None = None) -> Any:
        """Sends to the coordinator; a connection failure forgets it so the next call rediscovers."""
        conn = await self.coordinator()
        try:
            return await conn.send(request, timeout=timeout)
        except KafkaError:
            self._coordinator_failed()
            raise

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
                self.log.warning("max.poll.interval.ms exceeded: leaving group %s", self.group_id)
                await self.leave("consumer poll timeout has expired")
                self.lost = bool(self.owned)
                self.need_rejoin = True
                self.attention()
                return
            if not await self._beat():
                return

    async def _beat(self) -> bool:
        """One heartbeat; False when the loop must stop (the consumer rejoins from its poll)."""
        raise NotImplementedError

    async def leave(self, reason: str = "the consumer is being closed") -> None:
        raise NotImplementedError

    # -- offsets -------------------------------------------------------------------------------------
    def _commit_identity(self) -> tuple[int, str]:
        """The generation (or member epoch) and member id an OffsetCommit carries."""
        raise NotImplementedError

    async def commit(self, offsets: Mapping[TP, tuple[int, str | None, int]]) -> dict[TP, int]:
        """Commits {tp: (offset, metadata, leader_epoch)}; returns error codes per partition."""
        by_topic: dict[str, list[offset_commit.OffsetCommitRequestPartition]] = {}
        for (topic, partition), (offset, metadata, epoch) in sorted(offsets.items()):
            by_topic.setdefault(topic, []).append(
                offset_commit.OffsetCommitRequestPartition(
                    partition_index=partition, committed_offset=offset, committed_leader_epoch=epoch, committed_metadata=metadata or ""
                )
            )
        generation, member_id = self._commit_identity()
        req = offset_commit.OffsetCommitRequest(
            group_id=self.group_id,
            generation_id_or_member_epoch=generation,
            member_id=member_id,
            group_instance_id=self.instance_id,
            topics=[offset_commit.OffsetCommitRequestTopic(name=t, partitions=ps) for t, ps in by_topic.items()],
        )
        resp = await self._call(req)
        out = {(t.name, p.partition_index): p.error_code for t in resp.topics for p in t.partitions}
        if any(c in REDISCOVER for c in out.values()):
            self._coordinator_failed()
        if any(c in self.rejoin_after_commit for c in out.values()):
            self.need_rejoin = True
        return out

    async def fetch_committed(self, tps: list[TP]) -> dict[TP, tuple[int, str | None, int]]:
        """Committed (offset, metadata, leader epoch) per partition; offset -1 when nothing is committed."""
        return await fetch_committed(await self.coordinator(), self.group_id, tps)
