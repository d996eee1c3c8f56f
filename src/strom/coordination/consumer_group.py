"""KIP-848 consumer groups (ConsumerGroupHeartbeat) as a pure state machine, time injected.

The broker owns the assignment. Three epochs drive it, as in Kafka's coordinator:
- the group epoch grows whenever membership, a subscription or a subscribed topic's partition count changes;
- the assignment epoch is the group epoch the current target assignment was computed for;
- each member's epoch reaches the assignment epoch once it converges on its target.
A member converges incrementally (reconciliation): partitions it must give up are revoked first, its
epoch stays put until it reports them gone; partitions it gains are handed over only once their previous
owner released them. No member ever waits for the whole group, unlike the classic stop-the-world join.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from strom.coordination.assignors import ASSIGNORS, Assignment, AssignmentSpec
from strom.protocol.errors import ErrorCode, KafkaError

# group states (ConsumerGroupState in Kafka)
EMPTY, ASSIGNING, RECONCILING, STABLE, DEAD = "Empty", "Assigning", "Reconciling", "Stable", "Dead"
# member states (MemberState in Kafka)
MEMBER_STABLE, UNREVOKED_PARTITIONS, UNRELEASED_PARTITIONS = "stable", "unrevoked_partitions", "unreleased_partitions"

JOIN_EPOCH = 0
LEAVE_EPOCH = -1
STATIC_LEAVE_EPOCH = -2

TopicsView = Mapping[str, tuple[uuid.UUID, int]]  # topic name -> (topic id, partition count)


@dataclass(frozen=True, slots=True)
class ConsumerGroupConfig:
    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 5_000
    max_size: int = 2**31 - 1
    assignors: tuple[str, ...] = ("uniform", "range")


@dataclass(frozen=True, slots=True)
class HeartbeatRequest:
    group_id: str
    member_id: str
    member_epoch: int
    instance_id: str | None = None
    rack_id: str | None = None
    rebalance_timeout_ms: int = -1
    subscribed_topic_names: tuple[str, ...] | None = None
    subscribed_topic_regex: str | None = None
    server_assignor: str | None = None
    owned: Assignment | None = None  # TopicPartitions: null when unchanged since the last heartbeat
    client_id: str = ""
    client_host: str = ""
    member_id_from_client: bool = False  # v1+ (KIP-1082): the client chose its member id


@dataclass(frozen=True, slots=True)
class HeartbeatResult:
    error_code: int
    error_message: str | None = None
    member_id: str | None = None
    member_epoch: int = 0
    heartbeat_interval_ms: int = 0
    assignment: Assignment | None = None  # sent when it changed or the client sent its full state


@dataclass(slots=True)
class ConsumerMember:
    member_id: str
    instance_id: str | None
    client_id: str
    client_host: str
    rack_id: str | None = None
    rebalance_timeout_ms: int = 300_000
    subscribed_topic_names: tuple[str, ...] = ()
    subscribed_topic_regex: str | None = None
    server_assignor: str | None = None
    member_epoch: int = 0
    previous_member_epoch: int = -1
    state: str = MEMBER_STABLE
    assigned: Assignment = field(default_factory=dict)
    pending_revocation: Assignment = field(default_factory=dict)
    session_deadline_ms: int = 0
    revocation_deadline_ms: int | None = None

    def subscribes(self, topic: str) -> bool:
        if topic in self.subscribed_topic_names:
            return True
        return self.subscribed_topic_regex is not None and _regex(self.subscribed_topic_regex).fullmatch(topic) is not None


@dataclass(slots=True)
class ConsumerGroup:
    group_id: str
    group_epoch: int = 0
    assignment_epoch: int = 0
    members: dict[str, ConsumerMember] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)  # instance id -> member id
    target: dict[str, Assignment] = field(default_factory=dict)
    subscription_metadata: dict[str, tuple[uuid.UUID, int]] = field(default_factory=dict)
    owners: dict[tuple[uuid.UUID, int], str] = field(default_factory=dict)  # partition -> member holding it
    assignor_name: str = ""
    state_timestamp_ms: int = -1  # when it last became empty (offsets retention)

    @property
    def is_empty(self) -> bool:
        return not self.members

    @property
    def state(self) -> str:
        if not self.members:
            return EMPTY
        if self.assignment_epoch < self.group_epoch:
            return ASSIGNING
        for m in self.members.values():
            if m.state != MEMBER_STABLE or m.member_epoch != self.assignment_epoch:
                return RECONCILING
        return STABLE

    def subscribed_topics(self) -> set[str]:
        return set(self.subscription_metadata)

    def topic_names(self) -> dict[uuid.UUID, str]:
        return {tid: name for name, (tid, _) in self.subscription_metadata.items()}


def new_member_id() -> str:
    """Kafka's Uuid.randomUuid().toString(): 22 url-safe base64 characters."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _regex(pattern: str) -> re.Pattern[str]:
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        compiled = _REGEX_CACHE[pattern] = re.compile(pattern)
    return compiled


def _same(a: Assignment, b: Assignment) -> bool:
    return {t: p for t, p in a.items() if p} == {t: p for t, p in b.items() if p}


def _tps(a: Assignment) -> set[tuple[uuid.UUID, int]]:
    return {(t, p) for t, parts in a.items() for p in parts}


def _assignment(tps: set[tuple[uuid.UUID, int]]) -> Assignment:
    out: dict[uuid.UUID, set[int]] = {}
    for t, p in tps:
        out.setdefault(t, set()).add(p)
    return {t: frozenset(ps) for t, ps in out.items()}


class ConsumerGroupCoordinator:
    """All KIP-848 groups of this coordinator; errors are raised as KafkaError with Kafka's codes."""

    def __init__(self, config: ConsumerGroupConfig | None = None) -> None:
        self.config = config or ConsumerGroupConfig()
        self.groups: dict[str, ConsumerGroup] = {}
        # what must be (re)written to __consumer_offsets: group id -> the members whose records may have
        # changed, or None when group-level state (epochs, membership, target) may have changed
        self.changed: dict[str, set[str] | None] = {}

    def group(self, group_id: str) -> ConsumerGroup | None:
        return self.groups.get(group_id)

    def take_changed(self) -> dict[str, set[str] | None]:
        out, self.changed = self.changed, {}
        return out

    def _mark_group(self, group_id: str) -> None:
        self.changed[group_id] = None

    def _mark_member(self, group_id: str, member_id: str) -> None:
        if group_id in self.changed:
            members = self.changed[group_id]
            if members is not None:
                members.add(member_id)
        else:
            self.changed[group_id] = {member_id}

    def restore(self, g: ConsumerGroup, now_ms: int) -> ConsumerGroup:
        """Resumes a group rebuilt from `__consumer_offsets` (Kafka's onLoaded): every member gets a fresh
        session, members still revoking a fresh rebalance timeout; who owns what and the assignor in use
        follow from the stored assignments and subscriptions."""
        g.static_members = {m.instance_id: mid for mid, m in g.members.items() if m.instance_id is not None}
        g.owners = {}
        for m in g.members.values():
            m.session_deadline_ms = now_ms + self.config.session_timeout_ms
            m.revocation_deadline_ms = now_ms + m.rebalance_timeout_ms if m.state == UNREVOKED_PARTITIONS else None
            for tp in _tps(m.assigned) | _tps(m.pending_revocation):
                g.owners[tp] = m.member_id
        if g.members:
            g.assignor_name = self._select_assignor(g)
        self.groups[g.group_id] = g
        return g

    def unload(self, group_id: str) -> None:
        """This coordinator no longer owns the group (its __consumer_offsets partition moved)."""
        self.groups.pop(group_id, None)
        self.changed.pop(group_id, None)

    # ---- ConsumerGroupHeartbeat ----------------------------------------------------------------------

    def heartbeat(self, now_ms: int, req: HeartbeatRequest, topics: TopicsView) -> HeartbeatResult:
        before = self._shape(req.group_id)
        member_before = self._member_state(req.group_id, req.member_id)
        try:
            self._validate(req)
            if req.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
                result = self._leave(now_ms, req)
            else:
                result = self._heartbeat(now_ms, req, topics)
        except KafkaError as exc:  # refused before anything changed
            return HeartbeatResult(exc.code(), exc.message)
        if before != self._shape(req.group_id):
            self._mark_group(req.group_id)
        elif result.member_id is not None and self._member_state(req.group_id, result.member_id) != member_before:
            self._mark_member(req.group_id, result.member_id)
        return result

    def _member_state(self, group_id: str, member_id: str) -> tuple[object, ...] | None:
        """What of a member is stored: most heartbeats leave all of it alone and so write nothing."""
        g = self.groups.get(group_id)
        m = g.members.get(member_id) if g is not None else None
        if m is None:
            return None
        return (m.member_epoch, m.previous_member_epoch, m.state, dict(m.assigned), dict(m.pending_revocation), m.rebalance_timeout_ms,
                m.subscribed_topic_names, m.subscribed_topic_regex, m.server_assignor, m.rack_id, m.client_id,
                m.client_host, m.instance_id)  # fmt: skip

    def _shape(self, group_id: str) -> tuple[int, int, frozenset[str]] | None:
        """Epochs and member ids: when a heartbeat leaves them alone only its own member's records can differ."""
        g = self.groups.get(group_id)
        return None if g is None else (g.group_epoch, g.assignment_epoch, frozenset(g.members))

    def _validate(self, req: HeartbeatRequest) -> None:
        def invalid(message: str) -> KafkaError:
            return KafkaError(ErrorCode.INVALID_REQUEST, message)

        if not req.group_id:
            raise invalid("GroupId can't be empty.")
        if req.instance_id is not None and not req.instance_id:
            raise invalid("InstanceId can't be empty.")
        if req.rack_id is not None and not req.rack_id:
            raise invalid("RackId can't be empty.")
        if req.member_epoch < STATIC_LEAVE_EPOCH:
            raise invalid(f"MemberEpoch is invalid: {req.member_epoch}.")
        if (req.member_epoch != JOIN_EPOCH or req.member_id_from_client) and not req.member_id:
            raise invalid("MemberId can't be empty.")
        if req.member_epoch == JOIN_EPOCH:
            if req.rebalance_timeout_ms == -1:
                raise invalid("RebalanceTimeoutMs must be provided in first request.")
            if req.owned is None or any(req.owned.values()):
                raise invalid("TopicPartitions must be empty when (re-)joining.")
            if not req.subscribed_topic_names and req.subscribed_topic_regex is None:
                raise invalid("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
        if req.member_epoch == STATIC_LEAVE_EPOCH and req.instance_id is None:
            raise invalid("InstanceId can't be null when leaving temporarily (MemberEpoch -2).")
        if req.server_assignor is not None and req.server_assignor not in self.config.assignors:
            raise KafkaError(ErrorCode.UNSUPPORTED_ASSIGNOR, f"ServerAssignor {req.server_assignor} is not supported. "
                             f"Supported assignors: {', '.join(self.config.assignors)}.")  # fmt: skip
        if req.subscribed_topic_regex is not None:
            try:
                _regex(req.subscribed_topic_regex)
            except re.error as exc:
                raise KafkaError(ErrorCode.INVALID_REGULAR_EXPRESSION, f"SubscribedTopicRegex is invalid: {exc}.") from None

    def _leave(self, now_ms: int, req: HeartbeatRequest) -> HeartbeatResult:
        g = self.groups.get(req.group_id)
        if g is None:
            raise KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, f"Group {req.group_id} not found.")
        member_id = req.member_id
        if req.instance_id is not None:
            known = g.static_members.get(req.instance_id)
            if known is None:
                raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, f"Instance id {req.instance_id} is unknown.")
            if known != member_id:
                raise KafkaError(ErrorCode.FENCED_INSTANCE_ID, f"Instance id {req.instance_id} belongs to another member.")
        m = g.members.get(member_id)
        if m is None:
            raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, f"Member {member_id} is not a member of group {g.group_id}.")
        if req.member_epoch == STATIC_LEAVE_EPOCH:
            # KIP-345 for KIP-848: the static member keeps its partitions until it returns or its session ends
            m.previous_member_epoch, m.member_epoch = m.member_epoch, STATIC_LEAVE_EPOCH
            m.session_deadline_ms = now_ms + self.config.session_timeout_ms
        else:
            self._remove(g, member_id, now_ms)
        return HeartbeatResult(ErrorCode.NONE, member_id=member_id, member_epoch=req.member_epoch)

    def _heartbeat(self, now_ms: int, req: HeartbeatRequest, topics: TopicsView) -> HeartbeatResult:
        g = self.groups.get(req.group_id)
        if g is None:
            if req.member_epoch != JOIN_EPOCH:
                raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, f"Group {req.group_id} has no member {req.member_id}.")
            g = self.groups[req.group_id] = ConsumerGroup(req.group_id, state_timestamp_ms=now_ms)
        bump = False
        if req.member_epoch == JOIN_EPOCH:
            m, bump = self._join(now_ms, g, req)
        else:
            m = self._known_member(g, req)
        before = dict(m.assigned)
        # the member's subscription fields: null means unchanged since the last heartbeat
        if req.rack_id is not None:
            m.rack_id = req.rack_id
        if req.rebalance_timeout_ms != -1:
            m.rebalance_timeout_ms = req.rebalance_timeout_ms
        if req.server_assignor is not None and req.server_assignor != m.server_assignor:
            m.server_assignor = req.server_assignor
            bump = True
        if req.subscribed_topic_names is not None and tuple(sorted(req.subscribed_topic_names)) != m.subscribed_topic_names:
            m.subscribed_topic_names = tuple(sorted(set(req.subscribed_topic_names)))
            bump = True
        if req.subscribed_topic_regex is not None and (req.subscribed_topic_regex or None) != m.subscribed_topic_regex:
            m.subscribed_topic_regex = req.subscribed_topic_regex or None  # an empty regex clears it
            bump = True
        m.client_id = req.client_id or m.client_id
        m.client_host = req.client_host or m.client_host
        m.session_deadline_ms = now_ms + self.config.session_timeout_ms
        metadata = self._subscription_metadata(g, topics)
        if metadata != g.subscription_metadata:
            g.subscription_metadata = metadata
            bump = True
        if bump:
            g.group_epoch += 1
        if g.assignment_epoch < g.group_epoch:
            self._compute_target(g)
        self._reconcile(now_ms, g, m, req.owned)
        full = req.owned is not None or req.member_epoch == JOIN_EPOCH or not _same(before, m.assigned)
        return HeartbeatResult(
            ErrorCode.NONE,
            member_id=m.member_id,
            member_epoch=m.member_epoch,
            heartbeat_interval_ms=self.config.heartbeat_interval_ms,
            assignment=dict(m.assigned) if full else None,
        )

    def _join(self, now_ms: int, g: ConsumerGroup, req: HeartbeatRequest) -> tuple[ConsumerMember, bool]:
        """A member joining (epoch 0): new, rejoining after being fenced, or a static member returning."""
        if req.instance_id is not None:
            known_id = g.static_members.get(req.instance_id)
            if known_id is not None:
                old = g.members[known_id]
                if old.member_epoch != STATIC_LEAVE_EPOCH and known_id != req.member_id:
                    raise KafkaError(ErrorCode.UNRELEASED_INSTANCE_ID,
                                     f"Static member {req.instance_id} is still in use by member {known_id}.")  # fmt: skip
                # the returning static member takes over its predecessor's partitions and epoch: no rebalance
                new_id = req.member_id or new_member_id()
                del g.members[known_id]
                old.member_id = new_id
                if old.member_epoch == STATIC_LEAVE_EPOCH:
                    old.member_epoch = old.previous_member_epoch
                g.members[new_id] = old
                g.static_members[req.instance_id] = new_id
                if known_id in g.target:
                    g.target[new_id] = g.target.pop(known_id)
                for tp, owner in list(g.owners.items()):
                    if owner == known_id:
                        g.owners[tp] = new_id
                return old, False
        if req.member_id and req.member_id in g.members:
            # a member that was fenced (or lost its state) rejoins under its id: it starts from nothing
            self._release(g, g.members[req.member_id])
            m = g.members[req.member_id]
            m.assigned, m.pending_revocation, m.state = {}, {}, MEMBER_STABLE
            m.member_epoch, m.previous_member_epoch = 0, -1
            return m, True
        if len(g.members) >= self.config.max_size:
            raise KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, f"The consumer group has reached its maximum capacity of "
                             f"{self.config.max_size} members.")  # fmt: skip
        member_id = req.member_id or new_member_id()
        m = ConsumerMember(member_id, req.instance_id, req.client_id, req.client_host)
        g.members[member_id] = m
        if req.instance_id is not None:
            g.static_members[req.instance_id] = member_id
        return m, True

    def _known_member(self, g: ConsumerGroup, req: HeartbeatRequest) -> ConsumerMember:
        m = g.members.get(req.member_id)
        if req.instance_id is not None:
            known = g.static_members.get(req.instance_id)
            if known is not None and known != req.member_id:
                raise KafkaError(ErrorCode.FENCED_INSTANCE_ID, f"Instance id {req.instance_id} belongs to another member.")
        if m is None:
            raise KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, f"Member {req.member_id} is not a member of group {g.group_id}.")
        # Kafka's epoch check: a member one step behind may only be retrying a lost response
        if req.member_epoch > m.member_epoch:
            raise KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, f"The consumer group member has a greater member epoch "
                             f"({req.member_epoch}) than the one known by the group coordinator ({m.member_epoch}).")  # fmt: skip
        if req.member_epoch < m.member_epoch:
            owned_ok = req.owned is not None and _tps(req.owned) <= _tps(m.assigned)
            if req.member_epoch != m.previous_member_epoch or not owned_ok:
                raise KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, f"The consumer group member has a smaller member epoch "
                                 f"({req.member_epoch}) than the one known by the group coordinator ({m.member_epoch}).")  # fmt: skip
        return m

    # ---- assignment ----------------------------------------------------------------------------------

    def _subscription_metadata(self, g: ConsumerGroup, topics: TopicsView) -> dict[str, tuple[uuid.UUID, int]]:
        wanted: dict[str, tuple[uuid.UUID, int]] = {}
        for name, info in topics.items():
            if any(m.subscribes(name) for m in g.members.values()):
                wanted[name] = info
        return wanted

    def _select_assignor(self, g: ConsumerGroup) -> str:
        """The assignor most members asked for (ties: configuration order); else the first configured."""
        votes: dict[str, int] = {}
        for m in g.members.values():
            if m.server_assignor is not None:
                votes[m.server_assignor] = votes.get(m.server_assignor, 0) + 1
        if not votes:
            return self.config.assignors[0]
        return max(self.config.assignors, key=lambda a: (votes.get(a, 0), -self.config.assignors.index(a)))

    def _compute_target(self, g: ConsumerGroup) -> None:
        name = self._select_assignor(g)
        g.assignor_name = name
        ids = {name_: tid for name_, (tid, _) in g.subscription_metadata.items()}
        spec = AssignmentSpec(
            subscriptions={mid: frozenset(tid for topic, tid in ids.items() if m.subscribes(topic)) for mid, m in g.members.items()},
            partitions={tid: count for tid, count in g.subscription_metadata.values()},
            previous={mid: g.target.get(mid, {}) for mid in g.members},
        )
        g.target = ASSIGNORS[name](spec)
        g.assignment_epoch = g.group_epoch

    # ---- reconciliation ------------------------------------------------------------------------------

    def _reconcile(self, now_ms: int, g: ConsumerGroup, m: ConsumerMember, owned: Assignment | None) -> None:
        """Moves the member one step toward its target (Kafka's CurrentAssignmentBuilder)."""
        if m.member_epoch == STATIC_LEAVE_EPOCH:
            return
        if m.state == UNREVOKED_PARTITIONS:
            if owned is None or _tps(owned) & _tps(m.pending_revocation):
                return  # still holds partitions it must give up
            m.pending_revocation = {}
            m.revocation_deadline_ms = None
            self._set_owned(g, m)
        elif m.state == MEMBER_STABLE and m.member_epoch == g.assignment_epoch:
            return
        target = _tps(g.target.get(m.member_id, {}))
        current = _tps(m.assigned)
        keep = current & target
        revoke = current - target
        if owned is not None:
            revoke &= _tps(owned)  # what the client already dropped needs no revocation round trip
        gain = target - current
        free = {tp for tp in gain if g.owners.get(tp, m.member_id) == m.member_id}
        if revoke:
            m.state = UNREVOKED_PARTITIONS
            m.assigned = _assignment(keep)
            m.pending_revocation = _assignment(revoke)
            m.revocation_deadline_ms = now_ms + m.rebalance_timeout_ms
        else:
            m.state = UNRELEASED_PARTITIONS if free != gain else MEMBER_STABLE
            m.assigned = _assignment(keep | free)
            m.pending_revocation = {}
            m.revocation_deadline_ms = None
            if m.member_epoch != g.assignment_epoch:
                m.previous_member_epoch, m.member_epoch = m.member_epoch, g.assignment_epoch
        self._set_owned(g, m)

    def _set_owned(self, g: ConsumerGroup, m: ConsumerMember) -> None:
        self._release(g, m)
        for tp in _tps(m.assigned) | _tps(m.pending_revocation):
            g.owners[tp] = m.member_id

    @staticmethod
    def _release(g: ConsumerGroup, m: ConsumerMember) -> None:
        for tp in [tp for tp, owner in g.owners.items() if owner == m.member_id]:
            del g.owners[tp]

    def _remove(self, g: ConsumerGroup, member_id: str, now_ms: int) -> None:
        m = g.members.pop(member_id, None)
        if m is None:
            return
        self._release(g, m)
        g.target.pop(member_id, None)
        if m.instance_id is not None and g.static_members.get(m.instance_id) == member_id:
            del g.static_members[m.instance_id]
        g.group_epoch += 1
        if not g.members:
            g.target.clear()
            g.assignment_epoch = g.group_epoch
            g.subscription_metadata = {}
            g.state_timestamp_ms = now_ms

    # ---- timers --------------------------------------------------------------------------------------

    def tick(self, now_ms: int) -> list[str]:
        """Removes members whose session ended or who did not revoke within their rebalance timeout."""
        removed = []
        for g in list(self.groups.values()):
            for m in list(g.members.values()):
                late_revoke = m.revocation_deadline_ms is not None and now_ms >= m.revocation_deadline_ms
                if now_ms >= m.session_deadline_ms or late_revoke:
                    self._remove(g, m.member_id, now_ms)
                    self._mark_group(g.group_id)
                    removed.append(m.member_id)
        return removed

    def next_deadline(self) -> int | None:
        deadlines = [
            d
            for g in self.groups.values()
            for m in g.members.values()
            for d in (m.session_deadline_ms, m.revocation_deadline_ms)
            if d is not None
        ]
        return min(deadlines) if deadlines else None

    # ---- offsets -------------------------------------------------------------------------------------

    def validate_offset_commit(self, group_id: str, member_id: str, member_epoch: int, api_version: int) -> int:
        """Kafka's ConsumerGroup.validateOffsetCommit: members commit with their current epoch (v9+)."""
        g = self.groups.get(group_id)
        if g is None:
            return ErrorCode.NONE if member_epoch < 0 else ErrorCode.ILLEGAL_GENERATION
        if member_epoch < 0 and g.is_empty:
            return ErrorCode.NONE
        m = g.members.get(member_id)
        if m is None:
            return ErrorCode.UNKNOWN_MEMBER_ID
        if api_version < 9:
            return ErrorCode.UNSUPPORTED_VERSION
        return _epoch_check(member_epoch, m.member_epoch)

    def validate_offset_fetch(self, group_id: str, member_id: str | None, member_epoch: int) -> int:
        """OffsetFetch v9+: a member reading its offsets must be a member at its current epoch."""
        g = self.groups.get(group_id)
        if member_id is None or member_epoch < 0 or g is None:
            return ErrorCode.NONE
        m = g.members.get(member_id)
        if m is None:
            return ErrorCode.UNKNOWN_MEMBER_ID
        return ErrorCode.STALE_MEMBER_EPOCH if member_epoch != m.member_epoch else ErrorCode.NONE

    # ---- admin ---------------------------------------------------------------------------------------

    def delete_group(self, group_id: str) -> int:
        g = self.groups.get(group_id)
        if g is None:
            return ErrorCode.GROUP_ID_NOT_FOUND
        if not g.is_empty:
            return ErrorCode.NON_EMPTY_GROUP
        del self.groups[group_id]
        self._mark_group(group_id)
        return ErrorCode.NONE

    def remove_if_empty(self, group_id: str) -> bool:
        g = self.groups.get(group_id)
        if g is None or not g.is_empty:
            return False
        del self.groups[group_id]
        self._mark_group(group_id)
        return True

    def list_groups(self, states: set[str] | None = None) -> list[ConsumerGroup]:
        wanted = {s.lower() for s in states} if states else None
        return [g for _, g in sorted(self.groups.items()) if wanted is None or g.state.lower() in wanted]


def _epoch_check(received: int, expected: int) -> int:
    if received > expected:
        return ErrorCode.FENCED_MEMBER_EPOCH
    if received < expected:
        return ErrorCode.STALE_MEMBER_EPOCH
    return ErrorCode.NONE
