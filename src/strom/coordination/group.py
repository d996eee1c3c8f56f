"""The classic consumer-group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) as a pure state machine.

No IO and no asyncio: time comes in as `now_ms`. Answers that must wait -- a JoinGroup held until the
rebalance completes, a SyncGroup held until the leader sends the assignments -- are callbacks passed
in by the caller; the machine calls each exactly once, when its answer is known. `tick(now_ms)` expires
sessions and rebalance deadlines; `next_deadline()` says when it next needs to run, so the broker keeps
one timer, not a polling loop. Groups whose stored metadata changed are queued in `changed` for the
caller to persist (GroupMetadataValue records in __consumer_offsets).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from strom.coordination.offsets import StoredGroup, StoredMember
from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage, ErrorCode

EMPTY, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE, DEAD = (
    "Empty",
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
    "Dead",
)
ALL_STATES = (EMPTY, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE, DEAD)
CONSUMER_PROTOCOL_TYPE = "consumer"

MemberView = tuple[str, str | None, bytes]  # (member id, group instance id, protocol metadata)


@dataclass(frozen=True, slots=True)
class JoinResult:
    error_code: int
    generation_id: int = -1
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader: str = ""
    member_id: str = ""
    members: tuple[MemberView, ...] = ()  # only the leader gets them
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
    is_new: bool = True

    def metadata_for(self, protocol: str) -> bytes:
        for name, meta in self.protocols:
            if name == protocol:
                return meta
        return b""

    @property
    def awaiting(self) -> bool:
        """Members parked in a JoinGroup or SyncGroup are kept alive: their request is their heartbeat."""
        return self.join_callback is not None or self.sync_callback is not None


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
    initial_delay_deadline_ms: int | None = None  # set while an Empty group waits for more joiners
    sync_deadline_ms: int = 0
    state_timestamp_ms: int = -1  # when the current state began (offset retention of empty groups)

    # ---- queries --------------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.members

    def supports(self, protocol_type: str, protocols: list[tuple[str, bytes]]) -> bool:
        """Kafka's rule: a new group takes any non-empty protocol list; a live one needs the same type
        and at least one protocol every current member also supports."""
        if self.is_empty:
            return bool(protocol_type) and bool(protocols)
        if protocol_type != self.protocol_type:
            return False
        common = self._common_protocols()
        return any(name in common for name, _ in protocols)

    def _common_protocols(self) -> set[str]:
        common: set[str] | None = None
        for m in self.members.values():
            names = {n for n, _ in m.protocols}
            common = names if common is None else common & names
        return common or set()

    def select_protocol(self) -> str | None:
        """Among protocols every member supports, each member votes for its first choice; most votes
        win (ties broken by name, so the choice is deterministic)."""
        candidates = self._common_protocols()
        if not candidates:
            return None
        votes = dict.fromkeys(sorted(candidates), 0)
        for m in self.members.values():
            for name, _ in m.protocols:
                if name in candidates:
                    votes[name] += 1
                    break
        return max(votes, key=lambda n: votes[n])

    def subscribed_topics(self) -> set[str] | None:
        """Topics the members subscribe to (ConsumerProtocolSubscription), or None if unknown."""
        if self.protocol_type != CONSUMER_PROTOCOL_TYPE or self.protocol_name is None:
            return None
        topics: set[str] = set()
        for m in self.members.values():
            try:
                topics.update(decode_subscription_topics(m.metadata_for(self.protocol_name)))
            except CorruptMessage:
                return None
        return topics

    def member_views(self) -> tuple[MemberView, ...]:
        proto = self.protocol_name or ""
        return tuple((m.member_id, m.group_instance_id, m.metadata_for(proto)) for m in self.members.values())

    # ---- transitions ----------------------------------------------------------------------------------

    def _transition(self, state: str, now_ms: int) -> None:
        self.state = state
        self.state_timestamp_ms = now_ms

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
            self.initial_delay_deadline_ms = None
            self.rebalance_deadline_ms = now_ms + timeout
        self.sync_deadline_ms = 0
        self._transition(PREPARING_REBALANCE, now_ms)

    def new_member_joined(self, now_ms: int) -> None:
        """A new member during the initial delay pushes it back (up to the rebalance timeout), so a
        fleet of consumers starting together lands in one generation."""
        if self.state == PREPARING_REBALANCE and self.initial_delay_deadline_ms is not None:
            self.initial_delay_deadline_ms = min(now_ms + self.config.initial_rebalance_delay_ms, self.rebalance_deadline_ms)

    def park_join(self, now_ms: int, member: Member, callback: JoinCallback) -> None:
        """Holds a known member's JoinGroup until the join phase completes, starting a rebalance unless one
        is under way."""
        member.join_callback = callback
        if self.state in (STABLE, COMPLETING_REBALANCE):
            self.prepare_rebalance(now_ms)
        self.maybe_complete_join(now_ms)

    def maybe_complete_join(self, now_ms: int) -> bool:
        """Completes the join phase when everyone rejoined or the deadline passed; True if it did."""
        if self.state != PREPARING_REBALANCE:
            return False
        deadline_passed = now_ms >= self.rebalance_deadline_ms
        if self.initial_delay_deadline_ms is not None:
            if now_ms < self.initial_delay_deadline_ms and not deadline_passed:
                return False
        elif not self._all_joined() and not deadline_passed:
            return False
        for mid in [mid for mid, m in self.members.items() if m.join_callback is None]:
            self._remove(mid)  # did not rejoin in time
        # pending member ids (KIP-394) stay valid until their session timeout, as in Kafka: a member that got
        # MEMBER_ID_REQUIRED just before this generation completed still joins with its id
        self.initial_delay_deadline_ms = None
        self.generation_id += 1
        if not self.members:
            self.protocol_name = None
            self.leader_id = None
            self._transition(EMPTY, now_ms)
            return True
        self.protocol_name = self.select_protocol()
        self._transition(COMPLETING_REBALANCE, now_ms)
        self.sync_deadline_ms = now_ms + max(m.rebalance_timeout_ms for m in self.members.values())
        if self.leader_id not in self.members:
            self.leader_id = next(iter(self.members))
        views = self.member_views()
        for m in list(self.members.values()):
            m.assignment = b""
            m.last_heartbeat_ms = now_ms
            m.is_new = False
            cb, m.join_callback = m.join_callback, None
            if cb is not None:
                cb(self._join_result(m.member_id, views if m.member_id == self.leader_id else ()))
        return True

    def _join_result(self, member_id: str, views: tuple[MemberView, ...], skip_assignment: bool = False) -> JoinResult:
        return JoinResult(
            ErrorCode.NONE,
            self.generation_id,
            self.protocol_type,
            self.protocol_name,
            self.leader_id or "",
            member_id,
            views,
            skip_assignment,
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
            self.prepare_rebalance(now_ms)
            if not self.members:  # nobody left to wait for
                self.initial_delay_deadline_ms = None
                self.rebalance_deadline_ms = now_ms
        self.maybe_complete_join(now_ms)

    def complete_sync(self, now_ms: int, assignments: dict[str, bytes]) -> None:
        for mid, m in self.members.items():
            m.assignment = assignments.get(mid, b"")
        self._transition(STABLE, now_ms)
        self.sync_deadline_ms = 0
        for m in self.members.values():
            m.last_heartbeat_ms = now_ms
            cb, m.sync_callback = m.sync_callback, None
            if cb is not None:
                cb(SyncResult(ErrorCode.NONE, m.assignment, self.protocol_type, self.protocol_name))


class GroupCoordinator:
    """All groups of this coordinator. Methods mirror the APIs; errors are Kafka error codes."""

    def __init__(self, config: GroupConfig | None = None) -> None:
        self.config = config or GroupConfig()
        self.groups: dict[str, Group] = {}
        self.changed: set[str] = set()  # groups whose GroupMetadataValue must be (re)written

    def group(self, group_id: str) -> Group | None:
        return self.groups.get(group_id)

    def ensure_group(self, group_id: str, now_ms: int) -> Group:
        """The Empty group that exists as soon as offsets are committed for it (simple consumers)."""
        g = self.groups.get(group_id)
        if g is None:
            g = Group(group_id, self.config, state_timestamp_ms=now_ms)
            self.groups[group_id] = g
        return g

    def unload(self, group_id: str) -> None:
        """Kafka's onGroupUnloaded: this broker no longer coordinates the group (its __consumer_offsets partition
        moved). The group is Dead here, and a JoinGroup or SyncGroup parked in it is answered NOT_COORDINATOR at
        once, so its member finds the new coordinator instead of waiting out its rebalance timeout."""
        g = self.groups.pop(group_id, None)
        self.changed.discard(group_id)
        if g is None:
            return
        g.state = DEAD
        for m in g.members.values():
            if m.join_callback is not None:
                join, m.join_callback = m.join_callback, None
                join(JoinResult(ErrorCode.NOT_COORDINATOR, member_id=m.member_id))
            if m.sync_callback is not None:
                sync, m.sync_callback = m.sync_callback, None
                sync(SyncResult(ErrorCode.NOT_COORDINATOR))

    def take_changed(self) -> list[Group]:
        out = [self.groups[gid] for gid in sorted(self.changed) if gid in self.groups]
        self.changed.clear()
        return out

    def _after(self, g: Group, before: tuple[str, int]) -> None:
        if (g.state, g.generation_id) != before and g.state in (EMPTY, STABLE):
            self.changed.add(g.group_id)

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
        if rebalance_timeout_ms <= 0:
            rebalance_timeout_ms = session_timeout_ms
        g = self.groups.get(group_id)
        if g is None:
            if member_id:
                return callback(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id=member_id))
            g = self.ensure_group(group_id, now_ms)
        # the member as the request describes it (member id empty on a first join)
        joining = Member(member_id, group_instance_id, client_id, client_host, session_timeout_ms, rebalance_timeout_ms,
                         protocol_type, list(protocols), now_ms)  # fmt: skip
        before = (g.state, g.generation_id)
        try:
            self._join(now_ms, g, joining, require_known_member_id, callback)
        finally:
            self._after(g, before)
        return None

    def _join(self, now_ms: int, g: Group, joining: Member, require_known_member_id: bool, callback: JoinCallback) -> None:
        if not g.supports(joining.protocol_type, joining.protocols):
            return callback(JoinResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, member_id=joining.member_id))
        member_id, instance_id = joining.member_id, joining.group_instance_id
        known_static = g.static_members.get(instance_id) if instance_id is not None else None
        if member_id:
            if known_static is not None and known_static != member_id:
                return callback(JoinResult(ErrorCode.FENCED_INSTANCE_ID, member_id=member_id))
            if member_id in g.members:
                return self._join_existing(now_ms, g, g.members[member_id], joining, callback)
            if member_id not in g.pending_members:
                return callback(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id=member_id))
        elif known_static is not None:
            return self._replace_static_member(now_ms, g, known_static, joining, callback)
        elif instance_id is not None:
            member_id = f"{instance_id}-{uuid.uuid4()}"  # static members skip KIP-394's extra round trip
        else:
            member_id = f"{joining.client_id}-{uuid.uuid4()}"
            if require_known_member_id:
                if len(g.members) + len(g.pending_members) >= self.config.max_size:
                    return callback(JoinResult(ErrorCode.GROUP_MAX_SIZE_REACHED, member_id=""))
                g.pending_members[member_id] = now_ms + joining.session_timeout_ms
                return callback(JoinResult(ErrorCode.MEMBER_ID_REQUIRED, member_id=member_id))
        if len(g.members) >= self.config.max_size:
            g.pending_members.pop(member_id, None)
            return callback(JoinResult(ErrorCode.GROUP_MAX_SIZE_REACHED, member_id=member_id))
        g.pending_members.pop(member_id, None)
        member = joining
        member.member_id = member_id
        member.join_callback = callback
        if g.is_empty:
            g.protocol_type = member.protocol_type
        g.members[member_id] = member
        if instance_id is not None:
            g.static_members[instance_id] = member_id
        if g.leader_id is None:
            g.leader_id = member_id
        if g.state in (EMPTY, STABLE, COMPLETING_REBALANCE):
            g.prepare_rebalance(now_ms)
        else:
            g.new_member_joined(now_ms)
        g.maybe_complete_join(now_ms)
        return None

    def _join_existing(self, now_ms: int, g: Group, member: Member, joining: Member, callback: JoinCallback) -> None:
        """A known member rejoins. As in Kafka, an unchanged follower of a Stable group (or anyone in a
        CompletingRebalance group) gets the current generation back without a new rebalance."""
        unchanged = member.protocols == joining.protocols
        member.last_heartbeat_ms = now_ms
        if member.join_callback is not None:  # a duplicate join replaces the parked one
            member.join_callback(JoinResult(ErrorCode.UNKNOWN_MEMBER_ID, member_id=member.member_id))
            member.join_callback = None
        is_leader = member.member_id == g.leader_id
        if unchanged and (g.state == COMPLETING_REBALANCE or (g.state == STABLE and not is_leader)):
            callback(g._join_result(member.member_id, g.member_views() if is_leader else ()))
            return
        member.protocols = joining.protocols
        member.session_timeout_ms = joining.session_timeout_ms
        member.rebalance_timeout_ms = joining.rebalance_timeout_ms
        g.park_join(now_ms, member, callback)

    def _replace_static_member(self, now_ms: int, g: Group, old_id: str, joining: Member, callback: JoinCallback) -> None:
        """KIP-345: a static member restarting within its session timeout gets a new member id and
        keeps its assignment; the old id is fenced. No rebalance while the group is Stable and the
        member's protocols are unchanged."""
        old = g.members.pop(old_id)
        if old.join_callback is not None:
            old.join_callback(JoinResult(ErrorCode.FENCED_INSTANCE_ID, member_id=old_id))
        if old.sync_callback is not None:
            old.sync_callback(SyncResult(ErrorCode.FENCED_INSTANCE_ID))
        assert old.group_instance_id is not None
        new_id = f"{old.group_instance_id}-{uuid.uuid4()}"
        member = Member(new_id, old.group_instance_id, joining.client_id, joining.client_host, joining.session_timeout_ms,
                        joining.rebalance_timeout_ms, old.protocol_type, joining.protocols, now_ms, old.assignment,
                        is_new=False)  # fmt: skip
        g.members[new_id] = member
        g.static_members[old.group_instance_id] = new_id
        was_leader = g.leader_id == old_id
        if was_leader:
            g.leader_id = new_id
        if g.state == STABLE and old.protocols == joining.protocols:
            self.changed.add(g.group_id)
            # KIP-814: a returning leader is told the members but must not reassign
            callback(g._join_result(new_id, g.member_views() if was_leader else (), skip_assignment=was_leader))
            return
        g.park_join(now_ms, member, callback)

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
        if not group_id:
            return callback(SyncResult(ErrorCode.INVALID_GROUP_ID))
        if g is None:
            return callback(SyncResult(ErrorCode.UNKNOWN_MEMBER_ID))
        if _fenced(g, group_instance_id, member_id):
            return callback(SyncResult(ErrorCode.FENCED_INSTANCE_ID))
        member = _member_of_generation(g, member_id, generation_id)
        if not isinstance(member, Member):
            return callback(SyncResult(member))
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
        if member.sync_callback is not None:
            member.sync_callback(SyncResult(ErrorCode.REBALANCE_IN_PROGRESS))
        member.sync_callback = callback
        if member_id == g.leader_id:
            g.complete_sync(now_ms, assignments)
            self.changed.add(g.group_id)
        return None

    # ---- Heartbeat / LeaveGroup ----------------------------------------------------------------------

    def heartbeat(self, now_ms: int, group_id: str, generation_id: int, member_id: str, group_instance_id: str | None) -> int:
        if not group_id:
            return ErrorCode.INVALID_GROUP_ID
        g = self.groups.get(group_id)
        if g is None or g.state == EMPTY:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if _fenced(g, group_instance_id, member_id):
            return ErrorCode.FENCED_INSTANCE_ID
        member = _member_of_generation(g, member_id, generation_id)
        if not isinstance(member, Member):
            return member
        member.last_heartbeat_ms = now_ms
        if g.state == PREPARING_REBALANCE:
            return ErrorCode.REBALANCE_IN_PROGRESS
        return ErrorCode.NONE

    def leave_group(self, now_ms: int, group_id: str, members: list[tuple[str, str | None]]) -> tuple[int, list[int]]:
        """(top-level error, per-member errors) for (member id, instance id) pairs (LeaveGroup v3 batch)."""
        if not group_id:
            return ErrorCode.INVALID_GROUP_ID, [ErrorCode.INVALID_GROUP_ID for _ in members]
        g = self.groups.get(group_id)
        if g is None:
            return ErrorCode.NONE, [ErrorCode.UNKNOWN_MEMBER_ID for _ in members]
        before = (g.state, g.generation_id)
        errors = [self._leave_one(now_ms, g, mid, iid) for mid, iid in members]
        self._after(g, before)
        return ErrorCode.NONE, errors

    def _leave_one(self, now_ms: int, g: Group, member_id: str, instance_id: str | None) -> int:
        if instance_id is not None:
            known = g.static_members.get(instance_id)
            if known is None:
                return ErrorCode.UNKNOWN_MEMBER_ID
            if member_id and member_id != known:
                return ErrorCode.FENCED_INSTANCE_ID
            member_id = known
        if member_id in g.pending_members:
            del g.pending_members[member_id]
            g.maybe_complete_join(now_ms)
            return ErrorCode.NONE
        if member_id not in g.members:
            return ErrorCode.UNKNOWN_MEMBER_ID
        g.remove_member_and_rebalance(member_id, now_ms)
        return ErrorCode.NONE

    # ---- OffsetCommit validation ---------------------------------------------------------------------

    def validate_offset_commit(self, now_ms: int, group_id: str, generation_id: int, member_id: str, group_instance_id: str | None) -> int:
        """Kafka's checks for a commit: simple (generation < 0) commits only into an Empty group; group
        commits need a current member of the current generation outside CompletingRebalance. A valid
        commit also counts as the member's heartbeat."""
        g = self.groups.get(group_id)
        if g is None:
            return ErrorCode.NONE if generation_id < 0 else ErrorCode.ILLEGAL_GENERATION
        if _fenced(g, group_instance_id, member_id):
            return ErrorCode.FENCED_INSTANCE_ID
        if generation_id < 0 and g.state == EMPTY:
            return ErrorCode.NONE
        member = _member_of_generation(g, member_id, generation_id)
        if not isinstance(member, Member):
            return member
        if g.state == COMPLETING_REBALANCE:
            return ErrorCode.REBALANCE_IN_PROGRESS
        member.last_heartbeat_ms = now_ms
        return ErrorCode.NONE

    # ---- timers --------------------------------------------------------------------------------------

    def tick(self, now_ms: int) -> list[str]:
        """Expires pending members, sessions, sync and rebalance deadlines; returns removed member ids."""
        removed: list[str] = []
        for g in list(self.groups.values()):
            before = (g.state, g.generation_id)
            for mid, deadline in list(g.pending_members.items()):
                if now_ms >= deadline:
                    del g.pending_members[mid]
            for m in list(g.members.values()):
                if not m.awaiting and now_ms >= m.last_heartbeat_ms + m.session_timeout_ms:
                    removed.append(m.member_id)
                    g.remove_member_and_rebalance(m.member_id, now_ms)
            if g.state == COMPLETING_REBALANCE and g.sync_deadline_ms and now_ms >= g.sync_deadline_ms:
                laggards = [m.member_id for m in g.members.values() if m.sync_callback is None]
                removed.extend(laggards)
                for mid in laggards:
                    g._remove(mid)
                g.prepare_rebalance(now_ms)  # those who did sync get REBALANCE_IN_PROGRESS and rejoin
                if not g.members:
                    g.initial_delay_deadline_ms = None
                    g.rebalance_deadline_ms = now_ms
            g.maybe_complete_join(now_ms)
            self._after(g, before)
        return removed

    def next_deadline(self) -> int | None:
        deadlines: list[int] = []
        for g in self.groups.values():
            if g.state == PREPARING_REBALANCE:
                deadlines.append(g.rebalance_deadline_ms if g.initial_delay_deadline_ms is None else g.initial_delay_deadline_ms)
            elif g.state == COMPLETING_REBALANCE and g.sync_deadline_ms:
                deadlines.append(g.sync_deadline_ms)
            deadlines.extend(g.pending_members.values())
            deadlines.extend(m.last_heartbeat_ms + m.session_timeout_ms for m in g.members.values() if not m.awaiting)
        return min(deadlines) if deadlines else None

    # ---- persistence ---------------------------------------------------------------------------------

    @staticmethod
    def snapshot(g: Group) -> StoredGroup:
        """The GroupMetadataValue for a group, written when it becomes Stable or Empty."""
        proto = g.protocol_name or ""
        members = tuple(
            StoredMember(
                m.member_id,
                m.group_instance_id,
                m.client_id,
                m.client_host,
                m.rebalance_timeout_ms,
                m.session_timeout_ms,
                m.metadata_for(proto),
                m.assignment,
            )  # fmt: skip
            for m in g.members.values()
        )
        return StoredGroup(g.protocol_type or "", g.generation_id, g.protocol_name, g.leader_id, g.state_timestamp_ms, members)

    def restore(self, group_id: str, stored: StoredGroup, now_ms: int) -> Group:
        """Resumes a group after a restart, as Kafka's loader does: a group with members comes back
        Stable in its generation, and each member gets a fresh session to heartbeat or rejoin in."""
        g = Group(group_id, self.config, generation_id=stored.generation_id, state_timestamp_ms=stored.state_timestamp_ms)
        g.protocol_type = stored.protocol_type or None
        g.protocol_name = stored.protocol_name
        for sm in stored.members:
            m = Member(sm.member_id, sm.group_instance_id, sm.client_id, sm.client_host, sm.session_timeout_ms,
                       sm.rebalance_timeout_ms, stored.protocol_type, [(stored.protocol_name or "", sm.subscription)],
                       now_ms, sm.assignment, is_new=False)  # fmt: skip
            g.members[m.member_id] = m
            if m.group_instance_id is not None:
                g.static_members[m.group_instance_id] = m.member_id
        if g.members:
            g.state = STABLE
            g.leader_id = stored.leader_id if stored.leader_id in g.members else next(iter(g.members))
        self.groups[group_id] = g
        return g

    # ---- admin ---------------------------------------------------------------------------------------

    def delete_group(self, group_id: str) -> int:
        g = self.groups.get(group_id)
        if g is None:
            return ErrorCode.GROUP_ID_NOT_FOUND
        if g.state != EMPTY:
            return ErrorCode.NON_EMPTY_GROUP
        g.state = DEAD
        del self.groups[group_id]
        self.changed.discard(group_id)
        return ErrorCode.NONE

    def remove_if_unused(self, group_id: str) -> bool:
        """An Empty group with no committed offsets left is dropped (Kafka moves it to Dead)."""
        g = self.groups.get(group_id)
        if g is None or g.state != EMPTY:
            return False
        g.state = DEAD
        del self.groups[group_id]
        self.changed.discard(group_id)
        return True

    def list_groups(self, states: set[str] | None = None) -> list[Group]:
        """Groups whose state is in `states` (compared case-insensitively, as Kafka does), all if None."""
        wanted = {s.lower() for s in states} if states else None
        return [g for gid, g in sorted(self.groups.items()) if wanted is None or g.state.lower() in wanted]


def _member_of_generation(g: Group, member_id: str, generation_id: int) -> Member | ErrorCode:
    """The member a request names when it is in the group's current generation, else why not: Kafka checks
    the member id first, then the generation."""
    member = g.members.get(member_id)
    if member is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if generation_id != g.generation_id:
        return ErrorCode.ILLEGAL_GENERATION
    return member


def _fenced(g: Group, instance_id: str | None, member_id: str) -> bool:
    """KIP-345: a request naming a known static instance with another member id is from a zombie."""
    if instance_id is None:
        return False
    known = g.static_members.get(instance_id)
    return known is not None and known != member_id


def decode_subscription_topics(metadata: bytes) -> list[str]:
    """Topics of a ConsumerProtocolSubscription (any version: the topic list always comes first)."""
    if not metadata:
        return []
    _, pos = p.read_int16(metadata, 0)
    count, pos = p.read_int32(metadata, pos)
    if count < 0 or count > len(metadata):
        raise CorruptMessage("bad subscription topic count")
    topics = []
    for _ in range(count):
        topic, pos = p.read_string(metadata, pos)
        topics.append(topic)
    return topics
