"""The classic group coordinator as a pure state machine: every case from Kafka's rules, time injected."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.coordination.group import (
    COMPLETING_REBALANCE,
    EMPTY,
    PREPARING_REBALANCE,
    STABLE,
    GroupConfig,
    GroupCoordinator,
    JoinResult,
    SyncResult,
    decode_subscription_topics,
)
from strom.coordination.offsets import group_value, parse_group_value
from strom.protocol.errors import ErrorCode

SESSION = 10_000
REBALANCE = 30_000
G = "g"


def subscription(*topics: str) -> bytes:
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", -1)


RANGE = [("range", subscription("t")), ("roundrobin", subscription("t"))]


class Box:
    """Collects the one answer a deferred callback gets."""

    def __init__(self) -> None:
        self.results: list[JoinResult | SyncResult] = []

    def __call__(self, result: JoinResult | SyncResult) -> None:
        self.results.append(result)

    @property
    def done(self) -> bool:
        return bool(self.results)

    @property
    def join(self) -> JoinResult:
        assert len(self.results) == 1, self.results
        r = self.results[0]
        assert isinstance(r, JoinResult)
        return r

    @property
    def sync(self) -> SyncResult:
        assert len(self.results) == 1, self.results
        r = self.results[0]
        assert isinstance(r, SyncResult)
        return r


def coordinator(delay: int = 1, **kw: int) -> GroupCoordinator:
    return GroupCoordinator(GroupConfig(initial_rebalance_delay_ms=delay, **kw))


def join(
    c: GroupCoordinator,
    now: int,
    member_id: str = "",
    instance: str | None = None,
    protocols: list[tuple[str, bytes]] | None = None,
    session: int = SESSION,
    require_known: bool = True,
    protocol_type: str = "consumer",
    client_id: str = "cl",
    group: str = G,
) -> Box:
    box = Box()
    c.join_group(now, group, member_id, instance, client_id, "/127.0.0.1", session, REBALANCE, protocol_type,
                 RANGE if protocols is None else protocols, require_known, box)  # fmt: skip
    return box


def join_new(c: GroupCoordinator, now: int, **kw: object) -> tuple[str, Box]:
    """KIP-394's two-step join: MEMBER_ID_REQUIRED, then the join with the assigned id."""
    first = join(c, now, **kw)  # type: ignore[arg-type]
    assert first.join.error_code == ErrorCode.MEMBER_ID_REQUIRED
    member_id = first.join.member_id
    return member_id, join(c, now, member_id=member_id, **kw)  # type: ignore[arg-type]


def sync(c: GroupCoordinator, now: int, gen: int, member_id: str, assignments: dict[str, bytes] | None = None,
         instance: str | None = None) -> Box:  # fmt: skip
    box = Box()
    c.sync_group(now, G, gen, member_id, instance, "consumer", None, assignments or {}, box)
    return box


def stable_group(c: GroupCoordinator, n: int, now: int = 0) -> list[str]:
    """n members joined, leader synced: returns member ids, leader first."""
    delay = c.config.initial_rebalance_delay_ms
    boxes = [join_new(c, now - delay) for _ in range(n)]
    c.tick(now)
    results = [b.join for _, b in boxes]
    leader = results[0].leader
    gen = results[0].generation_id
    ids = [leader] + [r.member_id for r in results if r.member_id != leader]
    for mid in ids[1:]:
        assert not sync(c, now, gen, mid).done
    lead = sync(c, now, gen, leader, {m: m.encode() for m in ids})
    assert lead.sync.error_code == 0
    assert c.groups[G].state == STABLE
    return ids


def test_first_join_requires_member_id_then_completes_as_leader() -> None:
    c = coordinator(delay=0)
    first = join(c, 0)
    assert first.join.error_code == ErrorCode.MEMBER_ID_REQUIRED
    assert first.join.member_id.startswith("cl-")
    second = join(c, 0, member_id=first.join.member_id)
    r = second.join
    assert r.error_code == 0 and r.generation_id == 1 and r.leader == r.member_id
    assert r.protocol_name == "range" and r.protocol_type == "consumer"
    assert [m[0] for m in r.members] == [r.member_id]
    assert c.groups[G].state == COMPLETING_REBALANCE


def test_old_clients_get_member_id_on_first_join() -> None:
    c = coordinator(delay=0)
    r = join(c, 0, require_known=False).join
    assert r.error_code == 0 and r.member_id and r.generation_id == 1


def test_unknown_member_id_on_unknown_group_and_in_group() -> None:
    c = coordinator()
    assert join(c, 0, member_id="ghost").join.error_code == ErrorCode.UNKNOWN_MEMBER_ID
    stable_group(c, 1)
    assert join(c, 0, member_id="ghost").join.error_code == ErrorCode.UNKNOWN_MEMBER_ID


@pytest.mark.parametrize("session", [5999, 1_800_001])
def test_session_timeout_bounds(session: int) -> None:
    c = coordinator()
    assert join(c, 0, session=session).join.error_code == ErrorCode.INVALID_SESSION_TIMEOUT


def test_empty_group_id_is_invalid() -> None:
    c = coordinator()
    assert join(c, 0, group="").join.error_code == ErrorCode.INVALID_GROUP_ID


def test_inconsistent_protocols() -> None:
    c = coordinator()
    assert join(c, 0, protocols=[]).join.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    assert join(c, 0, protocol_type="").join.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    stable_group(c, 1)
    assert join(c, 0, protocols=[("sticky", b"")]).join.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    assert join(c, 0, protocol_type="connect").join.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL


def test_two_members_rebalance_and_each_gets_its_assignment() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    g = c.groups[G]
    assert g.generation_id == 1
    assert g.members[a].assignment == a.encode() and g.members[b].assignment == b.encode()


def test_follower_sync_waits_for_leader_and_gets_its_own_assignment() -> None:
    c = coordinator()
    (m1, b1), (m2, _b2) = join_new(c, 0), join_new(c, 0)
    c.tick(1)
    leader = b1.join.leader
    follower = m2 if leader == m1 else m1
    waiting = sync(c, 1, 1, follower)
    assert not waiting.done
    assert heartbeat(c, 1, 1, follower) == ErrorCode.NONE  # heartbeats are fine while completing
    sync(c, 2, 1, leader, {follower: b"F", leader: b"L"})
    assert waiting.sync.assignment == b"F" and waiting.sync.protocol_name == "range"


def heartbeat(c: GroupCoordinator, now: int, gen: int, member_id: str, instance: str | None = None) -> int:
    return c.heartbeat(now, G, gen, member_id, instance)


def test_sync_errors() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    assert sync(c, 0, 1, "ghost").sync.error_code == ErrorCode.UNKNOWN_MEMBER_ID
    assert sync(c, 0, 7, a).sync.error_code == ErrorCode.ILLEGAL_GENERATION
    box = Box()
    c.sync_group(0, G, 1, a, None, "connect", None, {}, box)
    assert box.sync.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    box = Box()
    c.sync_group(0, G, 1, a, None, "consumer", "roundrobin", {}, box)
    assert box.sync.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    assert sync(c, 0, 1, b).sync.assignment == b.encode()  # Stable: current assignment again
    _, newcomer = join_new(c, 1)
    assert c.groups[G].state == PREPARING_REBALANCE
    assert sync(c, 1, 1, a).sync.error_code == ErrorCode.REBALANCE_IN_PROGRESS
    assert not newcomer.done


def test_new_member_triggers_rebalance_and_old_members_rejoin() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    mid, newcomer = join_new(c, 100)
    assert heartbeat(c, 100, 1, a) == ErrorCode.REBALANCE_IN_PROGRESS
    ra = join(c, 110, member_id=a)
    assert not ra.done and not newcomer.done
    rb = join(c, 120, member_id=b)
    assert ra.join.generation_id == rb.join.generation_id == newcomer.join.generation_id == 2
    leader = ra.join.leader
    assert leader == a  # the leader stays the leader
    assert {m[0] for m in ra.join.members} == {a, b, mid}
    assert rb.join.members == () and newcomer.join.members == ()


def test_members_that_do_not_rejoin_within_rebalance_timeout_are_removed() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    ra = join(c, 1000, member_id=a, protocols=[("roundrobin", b"x")])  # changed metadata: rebalance
    assert c.groups[G].state == PREPARING_REBALANCE
    for t in (9000, 18000, 27000):  # b keeps heartbeating, but never rejoins
        assert c.tick(t) == []
        assert heartbeat(c, t, 1, b) == ErrorCode.REBALANCE_IN_PROGRESS
    assert c.next_deadline() == 1000 + REBALANCE
    c.tick(1000 + REBALANCE - 1)
    assert not ra.done
    removed = c.tick(1000 + REBALANCE)
    assert ra.join.generation_id == 2 and [m[0] for m in ra.join.members] == [a]
    assert b not in c.groups[G].members and removed == []
    assert ra.join.protocol_name == "roundrobin"


def test_session_timeout_removes_member_and_others_rebalance() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    assert c.next_deadline() == SESSION
    assert heartbeat(c, 9000, 1, a) == 0
    removed = c.tick(SESSION)
    assert removed == [b]
    g = c.groups[G]
    assert g.state == PREPARING_REBALANCE and list(g.members) == [a]
    ra = join(c, SESSION + 1, member_id=a)
    assert ra.join.generation_id == 2 and g.state == COMPLETING_REBALANCE


def test_last_member_expiring_leaves_group_empty_with_new_generation() -> None:
    c = coordinator()
    stable_group(c, 1)
    c.tick(SESSION)
    g = c.groups[G]
    assert g.state == EMPTY and g.generation_id == 2 and not g.members
    assert [x.group_id for x in c.take_changed()] == [G]
    assert c.next_deadline() is None


def test_next_deadline_ignores_members_parked_in_join() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    join(c, 5000, member_id=a, protocols=[("roundrobin", b"")])
    assert c.next_deadline() == min(5000 + REBALANCE, SESSION)  # b's session, a is parked
    c.tick(SESSION)  # b expired: a alone completes
    assert c.groups[G].state == COMPLETING_REBALANCE
    assert c.next_deadline() == 2 * SESSION  # a's session (restarted at the join); then its SyncGroup


def test_members_that_never_sync_are_removed_after_rebalance_timeout() -> None:
    c = coordinator()
    (m1, b1), (m2, _b2) = join_new(c, 0), join_new(c, 0)
    c.tick(1)
    leader = b1.join.leader
    follower = m2 if leader == m1 else m1
    waiting = sync(c, 1, 1, follower)
    for t in (9000, 18000, 27000):  # the leader heartbeats but never sends its SyncGroup
        assert c.tick(t) == []
        assert heartbeat(c, t, 1, leader) == 0
    assert c.next_deadline() == 1 + REBALANCE
    removed = c.tick(1 + REBALANCE)
    assert removed == [leader]
    assert waiting.sync.error_code == ErrorCode.REBALANCE_IN_PROGRESS
    assert c.groups[G].state == PREPARING_REBALANCE


def test_stable_follower_rejoining_unchanged_gets_current_generation_without_rebalance() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    r = join(c, 5, member_id=b).join
    assert r.generation_id == 1 and r.members == ()
    assert c.groups[G].state == STABLE


def test_leader_rejoining_triggers_rebalance() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    ra = join(c, 5, member_id=a)
    assert not ra.done and c.groups[G].state == PREPARING_REBALANCE


def test_protocol_majority_vote() -> None:
    c = coordinator(delay=100)
    rr_first = [("roundrobin", b""), ("range", b"")]
    boxes = [join_new(c, 0, protocols=rr_first)[1], join_new(c, 0, protocols=rr_first)[1], join_new(c, 0)[1]]
    c.tick(100)
    assert {b.join.protocol_name for b in boxes} == {"roundrobin"}


def test_initial_rebalance_delay_waits_and_extends_for_new_members() -> None:
    c = coordinator(delay=3000)
    _, a = join_new(c, 0)
    assert not a.done and c.next_deadline() == 3000
    _, b = join_new(c, 2000)
    assert c.next_deadline() == 5000  # pushed back by the new member
    c.tick(4999)
    assert not a.done
    c.tick(5000)
    assert a.join.generation_id == b.join.generation_id == 1 and len(a.join.members) == 2


def test_initial_delay_is_capped_by_rebalance_timeout() -> None:
    c = coordinator(delay=20_000)
    join_new(c, 0)
    join_new(c, 15_000)
    assert c.next_deadline() == REBALANCE


def test_pending_member_blocks_completion_until_it_joins_or_expires() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    pending = join(c, 10)
    assert pending.join.error_code == ErrorCode.MEMBER_ID_REQUIRED
    ra, rb = join(c, 11, member_id=a, protocols=[("range", b"2")]), join(c, 11, member_id=b)
    assert not ra.done  # still waiting for the pending member
    removed = c.tick(10 + SESSION)
    assert removed == [] and ra.join.generation_id == 2 and rb.join.generation_id == 2


def test_group_max_size() -> None:
    c = coordinator(max_size=2)
    stable_group(c, 2)
    assert join(c, 0).join.error_code == ErrorCode.GROUP_MAX_SIZE_REACHED
    assert join(c, 0, require_known=False).join.error_code == ErrorCode.GROUP_MAX_SIZE_REACHED


def test_heartbeat_errors() -> None:
    c = coordinator()
    a, _ = stable_group(c, 2)
    assert heartbeat(c, 0, 1, a) == 0
    assert heartbeat(c, 0, 0, a) == ErrorCode.ILLEGAL_GENERATION
    assert heartbeat(c, 0, 1, "ghost") == ErrorCode.UNKNOWN_MEMBER_ID
    assert c.heartbeat(0, "other", 1, a, None) == ErrorCode.UNKNOWN_MEMBER_ID
    assert c.heartbeat(0, "", 1, a, None) == ErrorCode.INVALID_GROUP_ID


def test_leave_group_rebalances_the_rest() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    top, errs = c.leave_group(0, G, [(b, None), ("ghost", None)])
    assert top == 0 and errs == [0, ErrorCode.UNKNOWN_MEMBER_ID]
    assert c.groups[G].state == PREPARING_REBALANCE
    assert join(c, 1, member_id=a).join.generation_id == 2


def test_leave_group_of_everyone_empties_the_group() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    assert c.leave_group(0, G, [(a, None), (b, None)]) == (0, [0, 0])
    g = c.groups[G]
    assert g.state == EMPTY and g.generation_id == 2
    assert c.leave_group(0, "nope", [(a, None)]) == (0, [ErrorCode.UNKNOWN_MEMBER_ID])


def test_leave_parked_joiner_gets_unknown_member() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    ra = join(c, 1, member_id=a)
    c.leave_group(2, G, [(a, None)])
    assert ra.join.error_code == ErrorCode.UNKNOWN_MEMBER_ID


# ---- static membership (KIP-345) --------------------------------------------------------------------------


def static_group(c: GroupCoordinator) -> tuple[str, str]:
    ra = join(c, 0, instance="i-a")
    rb = join(c, 0, instance="i-b")
    c.tick(1)
    assert ra.join.generation_id == 1  # no MEMBER_ID_REQUIRED round trip for static members
    a, b = ra.join.member_id, rb.join.member_id
    assert a.startswith("i-a-") and b.startswith("i-b-")
    sync(c, 0, 1, b, instance="i-b")
    sync(c, 0, 1, a, {a: b"A", b: b"B"}, instance="i-a")
    return a, b


def test_static_member_restart_within_session_causes_no_rebalance() -> None:
    c = coordinator()
    a, b = static_group(c)
    restarted = join(c, 3000, instance="i-b").join
    assert restarted.error_code == 0 and restarted.generation_id == 1 and restarted.member_id != b
    g = c.groups[G]
    assert g.state == STABLE and g.generation_id == 1
    assert sync(c, 3001, 1, restarted.member_id, instance="i-b").sync.assignment == b"B"
    # the old incarnation is fenced everywhere
    assert heartbeat(c, 3002, 1, b, "i-b") == ErrorCode.FENCED_INSTANCE_ID
    assert join(c, 3002, member_id=b, instance="i-b").join.error_code == ErrorCode.FENCED_INSTANCE_ID
    assert sync(c, 3002, 1, b, instance="i-b").sync.error_code == ErrorCode.FENCED_INSTANCE_ID
    assert c.validate_offset_commit(3002, G, 1, b, "i-b") == ErrorCode.FENCED_INSTANCE_ID
    assert c.leave_group(3002, G, [(b, "i-b")]) == (0, [ErrorCode.FENCED_INSTANCE_ID])
    assert G in {x.group_id for x in c.take_changed()}


def test_static_leader_restart_gets_skip_assignment() -> None:
    c = coordinator()
    a, b = static_group(c)
    r = join(c, 10, instance="i-a").join
    assert r.skip_assignment and r.leader == r.member_id and len(r.members) == 2


def test_static_member_restart_with_changed_protocols_rebalances() -> None:
    c = coordinator()
    static_group(c)
    r = join(c, 10, instance="i-b", protocols=[("roundrobin", b"")])
    assert not r.done and c.groups[G].state == PREPARING_REBALANCE


def test_static_member_expires_after_session_timeout() -> None:
    c = coordinator()
    a, b = static_group(c)
    heartbeat(c, 9000, 1, a, "i-a")
    assert c.tick(SESSION) == [b]
    assert "i-b" not in c.groups[G].static_members
    assert join(c, SESSION, member_id=b, instance="i-b").join.error_code == ErrorCode.UNKNOWN_MEMBER_ID


def test_static_leave_by_instance_id_only() -> None:
    c = coordinator()
    a, b = static_group(c)
    assert c.leave_group(0, G, [("", "i-b"), ("", "i-zzz")]) == (0, [0, ErrorCode.UNKNOWN_MEMBER_ID])
    assert list(c.groups[G].members) == [a]


# ---- offsets validation, admin, persistence ---------------------------------------------------------------


def test_offset_commit_validation() -> None:
    c = coordinator()
    assert c.validate_offset_commit(0, "simple", -1, "", None) == 0
    assert c.validate_offset_commit(0, "simple", 3, "m", None) == ErrorCode.ILLEGAL_GENERATION
    a, b = stable_group(c, 2)
    assert c.validate_offset_commit(5, G, 1, a, None) == 0
    assert c.validate_offset_commit(5, G, -1, "", None) == ErrorCode.UNKNOWN_MEMBER_ID
    assert c.validate_offset_commit(5, G, 1, "ghost", None) == ErrorCode.UNKNOWN_MEMBER_ID
    assert c.validate_offset_commit(5, G, 2, a, None) == ErrorCode.ILLEGAL_GENERATION
    join(c, 6, member_id=a)  # PreparingRebalance: commits of the old generation still count
    assert c.validate_offset_commit(7, G, 1, b, None) == 0
    join(c, 8, member_id=b)
    assert c.groups[G].state == COMPLETING_REBALANCE
    assert c.validate_offset_commit(9, G, 2, b, None) == ErrorCode.REBALANCE_IN_PROGRESS
    c.ensure_group("simple", 0)
    assert c.validate_offset_commit(0, "simple", -1, "", None) == 0


def test_delete_and_list_groups() -> None:
    c = coordinator()
    stable_group(c, 1)
    c.ensure_group("idle", 0)
    assert c.delete_group("nope") == ErrorCode.GROUP_ID_NOT_FOUND
    assert c.delete_group(G) == ErrorCode.NON_EMPTY_GROUP
    assert [g.group_id for g in c.list_groups({"stable"})] == [G]
    assert [g.group_id for g in c.list_groups({"Empty"})] == ["idle"]
    assert [g.group_id for g in c.list_groups()] == [G, "idle"]
    assert c.delete_group("idle") == 0
    assert c.group("idle") is None


def test_snapshot_restore_resumes_stable_group() -> None:
    c = coordinator()
    a, b = stable_group(c, 2)
    stored = parse_group_value(group_value(c.snapshot(c.groups[G])))
    fresh = coordinator()
    g = fresh.restore(G, stored, 50_000)
    assert g.state == STABLE and g.generation_id == 1 and g.leader_id == a
    assert g.members[b].assignment == b.encode() and g.protocol_name == "range"
    assert fresh.heartbeat(50_001, G, 1, b, None) == 0  # the living client just carries on
    assert fresh.tick(50_000 + SESSION) == [a]


def test_subscription_topics_of_every_version() -> None:
    assert decode_subscription_topics(subscription("a", "b")) == ["a", "b"]
    assert decode_subscription_topics(b"") == []
    c = coordinator()
    stable_group(c, 1)
    assert c.groups[G].subscribed_topics() == {"t"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 4000)), max_size=40))
def test_random_operations_keep_invariants(ops: list[tuple[int, int, int]]) -> None:
    """Any interleaving of joins, syncs, heartbeats, leaves and time: every parked callback is answered
    at most once, and the state's invariants hold."""
    c = coordinator(delay=500)
    now = 0
    ids: list[str] = []
    boxes: list[Box] = []
    for op, who, dt in ops:
        now += dt
        mid = ids[who % len(ids)] if ids else ""
        g = c.group(G)
        gen = g.generation_id if g else 0
        if op == 0:
            box = join(c, now)
            boxes.append(box)
            if box.done and box.join.member_id:
                ids.append(box.join.member_id)
        elif op == 1 and mid:
            boxes.append(join(c, now, member_id=mid))
        elif op == 2 and mid:
            boxes.append(sync(c, now, gen, mid, {m: b"x" for m in ids}))
        elif op == 3 and mid:
            heartbeat(c, now, gen, mid)
        elif op == 4 and mid:
            c.leave_group(now, G, [(mid, None)])
        else:
            c.tick(now)
        for b in boxes:
            assert len(b.results) <= 1
        g = c.group(G)
        if g is not None:
            assert (g.state == EMPTY) == (not g.members) or g.state == PREPARING_REBALANCE
            if g.members:
                assert g.leader_id in g.members
            if g.state == STABLE:
                assert all(m.join_callback is None and m.sync_callback is None for m in g.members.values())
        deadline = c.next_deadline()
        assert deadline is None or deadline > now or c.tick(now) is not None


def test_a_pending_member_id_outlives_a_generation_completed_without_it() -> None:
    """KIP-394: a member that got MEMBER_ID_REQUIRED just before the join phase completed joins with its id
    1 ms later (Kafka keeps pending ids until their session timeout), and both land in the next generation."""
    c = coordinator(delay=100)
    a, ra = join_new(c, 0)
    pending = join(c, 99)
    assert pending.join.error_code == ErrorCode.MEMBER_ID_REQUIRED
    c.tick(100)
    assert ra.join.generation_id == 1 and [m[0] for m in ra.join.members] == [a]
    rb = join(c, 101, member_id=pending.join.member_id)
    ra2 = join(c, 102, member_id=a)
    assert rb.join.error_code == ra2.join.error_code == 0
    assert rb.join.generation_id == ra2.join.generation_id == 2 and len(ra2.join.members) == 2


def test_a_pending_member_id_expires_after_its_session_timeout() -> None:
    c = coordinator(delay=0)
    stable_group(c, 1)
    pending = join(c, 0)
    c.tick(SESSION - 1)
    assert c.groups[G].pending_members
    c.tick(SESSION)
    assert not c.groups[G].pending_members
    assert join(c, SESSION + 1, member_id=pending.join.member_id).join.error_code == ErrorCode.UNKNOWN_MEMBER_ID


def test_unloading_a_group_answers_its_parked_joins_and_syncs_not_coordinator() -> None:
    """Kafka's onGroupUnloaded: the __consumer_offsets partition moved to another broker mid-rebalance. Members
    parked here must learn it now, not after their rebalance timeout (librdkafka's is max.poll.interval.ms)."""
    c = coordinator()
    a, b = stable_group(c, 2)
    ra = join(c, 100, member_id=a)  # a rejoins; b has not yet: a waits in JoinGroup
    assert not ra.done
    c.unload(G)
    assert ra.join.error_code == ErrorCode.NOT_COORDINATOR and G not in c.groups
    c = coordinator()
    (m1, b1), (m2, _) = join_new(c, 0), join_new(c, 0)
    c.tick(1)
    follower = m2 if b1.join.leader == m1 else m1
    waiting = sync(c, 1, 1, follower)  # the follower waits for the leader's assignment
    c.unload(G)
    assert waiting.sync.error_code == ErrorCode.NOT_COORDINATOR
    c.unload("never-loaded")
