"""The classic consumer-group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) as a pure state machine.

No IO and no asyncio: time comes in as `now_ms`, and answers that must wait (a JoinGroup held until the
rebalance completes, a SyncGroup held until the leader sends assignments) are callbacks the caller
passes in and the machine calls when their answer is known. `tick(now_ms)` expires sessions and
rebalance deadlines; `next_deadline()` says when it next needs to run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from strom.protocol.errors import ErrorCode

EMPTY, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE, DEAD = (
    "Empty",
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
    "Dead",
)


@dataclass(frozen=True, slots=True)
class JoinResult:
    error_code: int
    generation_id: int = -1
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader: str = ""
    member_id: str = ""
    members: tuple[tuple[str, str | None, bytes], ...] = ()  # (member id, instance id, metadata) for the leader
    skip_assignment: bool = False


@dataclass(frozen=True, slots=True)
class SyncResult:
    error_code: int
    assignment: bytes = b""
    protocol_type: str | None = None
    protocol_name: str | None = None


JoinCallback = Callable[[JoinResult], None]
SyncCallback = Callable[[SyncResult], None]


@dataclass(slots=True)
class Member:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    last_heartbeat_ms: int
    assignment: bytes = b""
    join_callback: JoinCallback | None = None
    sync_callback: SyncCallback | None = None

    def metadata_for(self, protocol: str) -> bytes:
        for name, meta in self.protocols:
            if name == protocol:
                return meta
        return b""


@dataclass(frozen=True, slots=True)
class GroupConfig:
    min_session_timeout_ms: int = 6000
    max_session_timeout_ms: int = 1800000
    initial_rebalance_delay_ms: int = 3000
    max_size: int = 2**31 - 1


@dataclass(slots=True)
class Group:
    group_id: str
    config: GroupConfig
    state: str = EMPTY
    generation_id: int = 0
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader_id: str | None = None
    members: dict[str, Member] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)  # instance id -> member id
    pending_members: dict[str, int] = field(default_factory=dict)  # KIP-394: member id -> deadline
    rebalance_deadline_ms: int = 0
    initial_delay_deadline_ms: int = 0

    # ---- queries --------------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.members

    def supports(self, protocol_type: str, protocols: list[tuple[str, bytes]]) -> bool:
        if self.is_empty:
            return bool(protocol_type) and bool(protocols)
        if protocol_type != self.protocol_type:
            return False
        names = {p for p, _ in protocols}
        return any(all(name in {n for n, _ in m.protocols} for m in self.members.values()) for name in names)

    def select_protocol(self) -> str | None:
        """Kafka's rule: among protocols every member supports, each member votes for its first
        choice; the most votes win."""
        candidates: set[str] | None = None
        for m in self.members.values():
            names = {n for n, _ in m.protocols}
            candidates = names if candidates is None else candidates & names
        if not candidates:
            return None
        votes: dict[str, int] = {}
        for m in self.members.values():
            for name, _ in m.protocols:
                if name in candidates:
                    votes[name] = votes.get(name, 0) + 1
                    break
        return max(sorted(votes), key=lambda n: votes[n])

    # ---- transitions ----------------------------------------------------------------------------------

    def _all_joined(self) -> bool:
        return all(m.join_callback is not None for m in self.members.values()) and not self.pending_members

    def prepare_rebalance(self, now_ms: int) -> None:
        if self.state == COMPLETING_REBALANCE:
            for m in self.members.values():
                if m.sync_callback is not None:
                    cb, m.sync_callback = m.sync_callback, None
                    cb(SyncResult(ErrorCode.REBALANCE_IN_PROGRESS))
        timeout = max((m.rebalance_timeout_ms for m in self.members.values()), default=0)
        if self.state == EMPTY:
            delay = self.config.initial_rebalance_delay_ms
            self.initial_delay_deadline_ms = now_ms + delay
            self.rebalance_deadline_ms = now_ms + max(timeout, delay)
        else:
            self.initial_delay_deadline_ms = 0
            self.rebalance_deadline_ms = now_ms + timeout
        self.state = PREPARING_REBALANCE

    def maybe_complete_join(self, now_ms: int) -> None:
        if self.state != PREPARING_REBALANCE:
            return
        deadline_passed = now_ms >= self.rebalance_deadline_ms
        if self.initial_delay_deadline_ms and now_ms < self.initial_delay_deadline_ms and not deadline_passed:
            return
        if not self._all_joined() and not deadline_passed:
            return
        # members that did not rejoin in time are removed
        for mid in [mid for mid, m in self.members.items() if m.join_callback is None]:
            self._remove(mid)
        self.pending_members.clear()
        self.initial_delay_deadline_ms = 0
        self.generation_id += 1
        if not self.members:
            self.state = EMPTY
            self.protocol_name = None
            self.leader_id = None
            return
        self.protocol_name = self.select_protocol()
        self.state = COMPLETING_REBALANCE
        if self.leader_id not in self.members:
            self.leader_id = next(iter(self.members))
        for m in self.members.values():
            m.assignment = b""
            m.last_heartbeat_ms = now_ms
        leader_view = tuple(
            (m.member_id, m.group_instance_id, m.metadata_for(self.protocol_name or "")) for m in self.members.values()
        )
        for m in list(self.members.values()):
            cb, m.join_callback = m.join_callback, None
            if cb is not None:
                cb(
                    JoinResult(
                        ErrorCode.NONE,
                        self.generation_id,
                        self.protocol_type,
                        self.protocol_name,
                        self.leader_id or "",
                        m.member_id,
                        leader_view if m.member_id == self.leader_id else (),
                    )
                )

    def _remove(self, member_id: str) -> None:
        m = self.members.pop(member_id, None)
        if m is None:
            return
        if m.group_instance_id is not None and self.static_members.get(m.group_instance_id) == member_id:
            del self.static_members[m.group_instance_id]
        if m.join_callback is not None:
            m.join_callback(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id=member_id))
        if m.sync_callback is not None:
            m.sync_callback(SyncResult(ErrorCode.UNKNOWN_MEMBER_ID))
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)

    def remove_member_and_rebalance(self, member_id: str, now_ms: int) -> None:
        self._remove(member_id)
        if self.state in (STABLE, COMPLETING_REBALANCE):
            if self.members:
                self.prepare_rebalance(now_ms)
            else:
                self.state = EMPTY
                self.generation_id += 1
                self.protocol_name = None
        self.maybe_complete_join(now_ms)


class GroupCoordinator:
    """All groups of this coordinator. Methods mirror the APIs; errors are Kafka error codes."""

    def __init__(self, config: GroupConfig | None = None) -> None:
        self.config = config or GroupConfig()
        self.groups: dict[str, Group] = {}

    def group(self, group_id: str) -> Group | None:
        return self.groups.get(group_id)

    def _get_or_create(self, group_id: str) -> Group:
        g = self.groups.get(group_id)
        if g is None or g.state == DEAD:
            g = Group(group_id, self.config)
            self.groups[group_id] = g
        return g

    # ---- JoinGroup ------------------------------------------------------------------------------------

    def join_group(
        self,
        now_ms: int,
        group_id: str,
        member_id: str,
        group_instance_id: str | None,
        client_id: str,
        client_host: str,
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        protocol_type: str,
        protocols: list[tuple[str, bytes]],
        require_known_member_id: bool,
        callback: JoinCallback,
    ) -> None:
        if not group_id:
            return callback(JoinResult(ErrorCode.INVALID_GROUP_ID, member_id=member_id))
        if not self.config.min_session_timeout_ms <= session_timeout_ms <= self.config.max_session_timeout_ms:
            return callback(JoinResult(ErrorCode.INVALID_SESSION_TIMEOUT, member_id=member_id))
        if rebalance_timeout_ms < 0:
            rebalance_timeout_ms = session_timeout_ms
        existing = self.groups.get(group_id)
        if member_id and (existing is None or existing.state == DEAD):
            if group_instance_id is None:
                return callback(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id=member_id))
        g = self._get_or_create(group_id)
        if not g.supports(protocol_type, protocols):
            return callback(JoinResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, member_id=member_id))
        if g.is_empty:
            g.protocol_type = protocol_type

        # static membership (KIP-345)
        if group_instance_id is not None:
            known = g.static_members.get(group_instance_id)
            if known is not None and member_id and member_id != known:
                return callback(JoinResult(ErrorCode.FENCED_INSTANCE_ID, member_id=member_id))
            if known is not None and not member_id:
                return self._replace_static_member(now_ms, g, known, client_id, client_host, session_timeout_ms,
                                                   rebalance_timeout_ms, protocols, callback)
            if not member_id:
                member_id = f"{group_instance_id}-{uuid.uuid4()}"
        elif not member_id:
            new_id = f"{client_id}-{uuid.uuid4()}"
            if require_known_member_id:
                g.pending_members[new_id] = now_ms + session_timeout_ms
                return callback(JoinResult(ErrorCode.MEMBER_ID_REQUIRED, member_id=new_id))
            member_id = new_id
        elif member_id not in g.members and member_id not in g.pending_members:
            return callback(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id=member_id))

        if member_id not in g.members and len(g.members) >= self.config.max_size:
            return callback(JoinResult(ErrorCode.GROUP_MAX_SIZE_REACHED, member_id=member_id))

        member = g.members.get(member_id)
        if member is None:
            g.pending_members.pop(member_id, None)
            member = Member(member_id, group_instance_id, client_id, client_host, session_timeout_ms,
                            rebalance_timeout_ms, protocol_type, list(protocols), now_ms)
            g.members[member_id] = member
            if group_instance_id is not None:
                g.static_members[group_instance_id] = member_id
            if g.leader_id is None:
                g.leader_id = member_id
            changed = True
        else:
            changed = member.protocols != list(protocols)
            member.protocols = list(protocols)
            member.session_timeout_ms = session_timeout_ms
            member.rebalance_timeout_ms = rebalance_timeout_ms
        member.last_heartbeat_ms = now_ms
        if member.join_callback is not None:
            member.join_callback(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id=member_id))
        member.join_callback = callback

        if g.state == STABLE and not changed and member_id != g.leader_id and False:
            pass  # a follower rejoining a stable group unchanged still triggers a rebalance, as in Kafka
        if g.state in (EMPTY, STABLE, COMPLETING_REBALANCE):
            g.prepare_rebalance(now_ms)
        g.maybe_complete_join(now_ms)
        return None

    def _replace_static_member(
        self, now_ms: int, g: Group, old_id: str, client_id: str, client_host: str, session_timeout_ms: int,
        rebalance_timeout_ms: int, protocols: list[tuple[str, bytes]], callback: JoinCallback,
    ) -> None:
        """A static member restarting within its session timeout gets a new member id and keeps its
        assignment: no rebalance while the group is stable and its protocols are unchanged."""
        old = g.members[old_id]
        new_id = f"{old.group_instance_id}-{uuid.uuid4()}"
        for cb in (old.join_callback,):
            if cb is not None:
                cb(JoinResult(ErrorCode.FENCED_INSTANCE_ID, member_id=old_id))
        if old.sync_callback is not None:
            old.sync_callback(SyncResult(ErrorCode.FENCED_INSTANCE_ID))
        del g.members[old_id]
        member = Member(new_id, old.group_instance_id, client_id, client_host, session_timeout_ms,
                        rebalance_timeout_ms, old.protocol_type, list(protocols), now_ms, old.assignment)
        g.members[new_id] = member
        assert old.group_instance_id is not None
        g.static_members[old.group_instance_id] = new_id
        was_leader = g.leader_id == old_id
        if was_leader:
            g.leader_id = new_id
        if g.state == STABLE and old.protocols == list(protocols):
            callback(
                JoinResult(
                    ErrorCode.NONE, g.generation_id, g.protocol_type, g.protocol_name, g.leader_id or "", new_id,
                    tuple((m.member_id, m.group_instance_id, m.metadata_for(g.protocol_name or "")) for m in g.members.values())
                    if was_leader else (),
                    skip_assignment=was_leader,
                )
            )
            return
        member.join_callback = callback
        if g.state in (STABLE, COMPLETING_REBALANCE, EMPTY):
            g.prepare_rebalance(now_ms)
        g.maybe_complete_join(now_ms)

    # ---- SyncGroup ------------------------------------------------------------------------------------

    def sync_group(
        self,
        now_ms: int,
        group_id: str,
        generation_id: int,
        member_id: str,
        group_instance_id: str | None,
        protocol_type: str | None,
        protocol_name: str | None,
        assignments: dict[str, bytes],
        callback: SyncCallback,
    ) -> None:
        g = self.groups.get(group_id)
        if g is None or g.state == DEAD:
            return callback(SyncResult(ErrorCode.UNKNOWN_MEMBER_ID))
        member = g.members.get(member_id)
        if member is None:
            return callback(SyncResult(ErrorCode.UNKNOWN_MEMBER_ID))
        if group_instance_id is not None and g.static_members.get(group_instance_id) != member_id:
            return callback(SyncResult(ErrorCode.FENCED_INSTANCE_ID))
        if generation_id != g.generation_id:
            return callback(SyncResult(ErrorCode.ILLEGAL_GENERATION))
        if (protocol_type is not None and protocol_type != g.protocol_type) or (
            protocol_name is not None and protocol_name != g.protocol_name
        ):
            return callback(SyncResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
        if g.state == PREPARING_REBALANCE:
            return callback(SyncResult(ErrorCode.REBALANCE_IN_PROGRESS))
        member.last_heartbeat_ms = now_ms
        if g.state == STABLE:
            return callback(SyncResult(ErrorCode.NONE, member.assignment, g.protocol_type, g.protocol_name))
        if g.state != COMPLETING_REBALANCE:
            return callback(SyncResult(ErrorCode.UNKNOWN_MEMBER_ID))
        member.sync_callback = callback
        if member_id == g.leader_id:
            for mid, m in g.members.items():
                m.assignment = assignments.get(mid, b"")
            g.state = STABLE
            for m in g.members.values():
                cb, m.sync_callback = m.sync_callback, None
                if cb is not None:
                    cb(SyncResult(ErrorCode.NONE, m.assignment, g.protocol_type, g.protocol_name))
        return None

    # ---- Heartbeat / LeaveGroup ----------------------------------------------------------------------

    def heartbeat(self, now_ms: int, group_id: str, generation_id: int, member_id: str, group_instance_id: str | None) -> int:
        g = self.groups.get(group_id)
        if g is None or g.state in (DEAD, EMPTY):
            return ErrorCode.UNKNOWN_MEMBER_ID
        member = g.members.get(member_id)
        if member is None:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if group_instance_id is not None and g.static_members.get(group_instance_id) != member_id:
            return ErrorCode.FENCED_INSTANCE_ID
        if generation_id != g.generation_id:
            return ErrorCode.ILLEGAL_GENERATION
        member.last_heartbeat_ms = now_ms
        if g.state == PREPARING_REBALANCE:
            return ErrorCode.REBALANCE_IN_PROGRESS
        return ErrorCode.NONE

    def leave_group(self, now_ms: int, group_id: str, members: list[tuple[str, str | None]]) -> tuple[int, list[int]]:
        """(top-level error, per-member errors) for (member id, instance id) pairs."""
        g = self.groups.get(group_id)
        if g is None or g.state == DEAD:
            return ErrorCode.UNKNOWN_MEMBER_ID, [ErrorCode.UNKNOWN_MEMBER_ID for _ in members]
        errors = []
        for member_id, instance_id in members:
            if instance_id is not None:
                known = g.static_members.get(instance_id)
                if known is None:
                    errors.append(ErrorCode.UNKNOWN_MEMBER_ID)
                    continue
                if member_id and member_id != known:
                    errors.append(ErrorCode.FENCED_INSTANCE_ID)
                    continue
                member_id = known
            if member_id in g.pending_members:
                del g.pending_members[member_id]
                errors.append(ErrorCode.NONE)
                g.maybe_complete_join(now_ms)
                continue
            if member_id not in g.members:
                errors.append(ErrorCode.UNKNOWN_MEMBER_ID)
                continue
            g.remove_member_and_rebalance(member_id, now_ms)
            errors.append(ErrorCode.NONE)
        return ErrorCode.NONE, errors

    # ---- timers --------------------------------------------------------------------------------------

    def tick(self, now_ms: int) -> list[str]:
        """Expires sessions, pending members and rebalance deadlines; returns ids of members removed."""
        expired: list[str] = []
        for g in list(self.groups.values()):
            for mid, deadline in list(g.pending_members.items()):
                if now_ms >= deadline:
                    del g.pending_members[mid]
            for m in list(g.members.values()):
                awaiting = m.join_callback is not None or (m.sync_callback is not None)
                if not awaiting and now_ms - m.last_heartbeat_ms > m.session_timeout_ms:
                    expired.append(m.member_id)
                    g.remove_member_and_rebalance(m.member_id, now_ms)
            g.maybe_complete_join(now_ms)
        return expired

    def next_deadline(self) -> int | None:
        deadlines: list[int] = []
        for g in self.groups.values():
            if g.state == PREPARING_REBALANCE:
                deadlines.append(g.rebalance_deadline_ms)
                if g.initial_delay_deadline_ms:
                    deadlines.append(g.initial_delay_deadline_ms)
            deadlines.extend(g.pending_members.values())
            deadlines.extend(m.last_heartbeat_ms + m.session_timeout_ms for m in g.members.values())
        return min(deadlines) if deadlines else None

    # ---- admin ---------------------------------------------------------------------------------------

    def delete_group(self, group_id: str, has_offsets: bool) -> int:
        g = self.groups.get(group_id)
        if g is None or g.state == DEAD:
            return ErrorCode.NONE if has_offsets else ErrorCode.GROUP_ID_NOT_FOUND
        if g.state != EMPTY:
            return ErrorCode.NON_EMPTY_GROUP
        g.state = DEAD
        del self.groups[group_id]
        return ErrorCode.NONE
