"""A distributed worker's membership in its group (Kafka's WorkerCoordinator / WorkerGroupMember).

Workers join `group.id` with protocol type `connect`, offering the subprotocols of connect.protocol (sessioned,
compatible, default) with their REST URL, config offset and current assignment as metadata. The coordinator
(any Kafka broker, Strom's or Apache Kafka's) picks a subprotocol all members support and a leader; the leader
computes everyone's assignment through the herder's callback; SyncGroup hands each worker its share. Between
rebalances a background task heartbeats; an answer of REBALANCE_IN_PROGRESS (another worker joined or left)
sets `rejoin_requested`, which the herder's loop watches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from strom.client.cluster import Cluster
from strom.client.group import coordinator_for
from strom.connect.runtime.connect_protocol import (
    PROTOCOL_TYPE,
    ConnectProtocolCompatibility,
    ExtendedAssignment,
    WorkerState,
    deserialize_assignment,
    deserialize_metadata,
    metadata_request,
    serialize_assignment,
)
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import heartbeat, join_group, leave_group, sync_group

log = logging.getLogger("org.apache.kafka.connect.runtime.distributed.WorkerCoordinator")

_REDISCOVER = {
    ErrorCode.NOT_COORDINATOR,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    ErrorCode.NETWORK_EXCEPTION,
    ErrorCode.REQUEST_TIMED_OUT,
}

# leader's callback: (leader member id, chosen compatibility, members' states, generation) -> assignments
AssignCallback = Callable[[str, ConnectProtocolCompatibility, dict[str, WorkerState], int], Awaitable[dict[str, ExtendedAssignment]]]


@dataclass(frozen=True)
class JoinResult:
    assignment: ExtendedAssignment
    generation: int
    member_id: str
    compatibility: ConnectProtocolCompatibility
    leader: bool


class WorkerCoordinator:
    def __init__(
        self,
        cluster: Cluster,
        group_id: str,
        compatibility: ConnectProtocolCompatibility,
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        heartbeat_interval_ms: int,
        retry_backoff_ms: int,
        metadata: Callable[[], WorkerState],
        assign: AssignCallback,
    ) -> None:
        self.cluster = cluster
        self.group_id = group_id
        self.compatibility = compatibility
        self.session_timeout_ms = session_timeout_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.heartbeat_interval = heartbeat_interval_ms / 1000
        self.backoff = retry_backoff_ms / 1000
        self.metadata = metadata
        self.assign = assign
        self.member_id = ""
        self.generation = -1
        self.last_completed_generation = -1
        self.rejoin_requested = asyncio.Event()
        self.rejoin_requested.set()
        self._coordinator: object | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def _conn(self) -> object:
        conn = self._coordinator
        if conn is None or getattr(conn, "closed", True):
            conn = self._coordinator = await coordinator_for(self.cluster, self.group_id, self.backoff)
        return conn

    async def _call(self, request: object, timeout: float | None = None) -> object:
        conn = await self._conn()
        try:
            return await conn.send(request, timeout=timeout)  # type: ignore[attr-defined]
        except KafkaError:
            self._coordinator = None
            raise

    def request_rejoin(self, reason: str) -> None:
        if not self.rejoin_requested.is_set():
            log.info("Rebalance requested: %s", reason)
        self.rejoin_requested.set()

    async def join(self) -> JoinResult:
        """One JoinGroup + SyncGroup round, retried until it succeeds; heartbeats resume afterwards."""
        await self._stop_heartbeat()
        while True:
            try:
                result = await self._join_and_sync()
            except KafkaError as exc:
                code = exc.code()
                if code in _REDISCOVER:
                    self._coordinator = None
                elif code == ErrorCode.UNKNOWN_MEMBER_ID:
                    self.member_id, self.generation = "", -1
                elif code == ErrorCode.ILLEGAL_GENERATION:
                    self.generation = -1
                elif code not in (ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.MEMBER_ID_REQUIRED):
                    raise
                log.info("Rejoining group %s after %s", self.group_id, exc)
                await asyncio.sleep(self.backoff)
                continue
            self.rejoin_requested.clear()
            self._heartbeat = asyncio.ensure_future(self._heartbeat_loop())
            return result

    async def _join_and_sync(self) -> JoinResult:
        state = self.metadata()
        protocols = [join_group.JoinGroupRequestProtocol(name=n, metadata=m) for n, m in metadata_request(state, self.compatibility)]
        while True:
            resp: join_group.JoinGroupResponse = await self._call(  # type: ignore[assignment]
                join_group.JoinGroupRequest(
                    group_id=self.group_id,
                    session_timeout_ms=self.session_timeout_ms,
                    rebalance_timeout_ms=self.rebalance_timeout_ms,
                    member_id=self.member_id,
                    group_instance_id=None,
                    protocol_type=PROTOCOL_TYPE,
                    protocols=protocols,
                    reason=None,
                ),
                timeout=self.rebalance_timeout_ms / 1000 + 5,
            )
            if resp.error_code == ErrorCode.MEMBER_ID_REQUIRED:
                self.member_id = resp.member_id
                continue
            if resp.error_code:
                raise KafkaError(resp.error_code, f"JoinGroup of {self.group_id} failed")
            break
        self.member_id = resp.member_id
        self.generation = resp.generation_id
        compatibility = ConnectProtocolCompatibility.from_protocol(resp.protocol_name or "default")
        leader = resp.leader == resp.member_id
        assignments: list[sync_group.SyncGroupRequestAssignment] = []
        if leader:
            members = {m.member_id: deserialize_metadata(bytes(m.metadata)) for m in resp.members}
            result = await self.assign(resp.member_id, compatibility, members, self.generation)
            version = compatibility.protocol_version
            assignments = [
                sync_group.SyncGroupRequestAssignment(member_id=m, assignment=serialize_assignment(a, version)) for m, a in result.items()
            ]
        sresp: sync_group.SyncGroupResponse = await self._call(  # type: ignore[assignment]
            sync_group.SyncGroupRequest(
                group_id=self.group_id,
                generation_id=self.generation,
                member_id=self.member_id,
                group_instance_id=None,
                protocol_type=PROTOCOL_TYPE,
                protocol_name=resp.protocol_name,
                assignments=assignments,
            ),
            timeout=self.rebalance_timeout_ms / 1000 + 5,
        )
        if sresp.error_code:
            raise KafkaError(sresp.error_code, f"SyncGroup of {self.group_id} failed")
        self.last_completed_generation = self.generation
        assignment = deserialize_assignment(bytes(sresp.assignment))
        log.info("Joined group %s at generation %d as %s (%s)", self.group_id, self.generation, self.member_id, compatibility.protocol)
        return JoinResult(assignment, self.generation, self.member_id, compatibility, leader)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                resp: heartbeat.HeartbeatResponse = await self._call(  # type: ignore[assignment]
                    heartbeat.HeartbeatRequest(
                        group_id=self.group_id, generation_id=self.generation, member_id=self.member_id, group_instance_id=None
                    )
                )
                code = resp.error_code
            except KafkaError as exc:
                code = exc.code()
            if code == 0:
                continue
            if code == ErrorCode.REBALANCE_IN_PROGRESS:
                self.request_rejoin("the group is rebalancing")
                continue  # keep the session alive until the herder rejoins
            if code in (ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID):
                if code == ErrorCode.UNKNOWN_MEMBER_ID:
                    self.member_id = ""
                self.generation = -1
                self.request_rejoin(f"heartbeat failed with {ErrorCode(code).name}")
                return
            self._coordinator = None  # the coordinator moved or died: find it on the next beat

    async def _stop_heartbeat(self) -> None:
        task, self._heartbeat = self._heartbeat, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def leave(self) -> None:
        """LeaveGroup, so the others rebalance at once instead of after session.timeout.ms."""
        await self._stop_heartbeat()
        if not self.member_id:
            return
        try:
            await self._call(
                leave_group.LeaveGroupRequest(
                    group_id=self.group_id,
                    members=[leave_group.MemberIdentity(member_id=self.member_id, group_instance_id=None, reason="the worker is stopping")],
                ),
                timeout=5,
            )
        except KafkaError as exc:
            log.info("LeaveGroup failed: %s", exc)
        self.member_id, self.generation = "", -1

    async def close(self) -> None:
        await self.leave()
        self.cluster.close()
