"""KIP-848 consumer groups as a pure state machine: epochs, reconciliation, static members, bad input."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.coordination.consumer_group import (
    ASSIGNING,
    EMPTY,
    RECONCILING,
    STABLE,
    UNREVOKED_PARTITIONS,
    ConsumerGroupConfig,
    ConsumerGroupCoordinator,
    HeartbeatRequest,
    HeartbeatResult,
)
from strom.protocol.errors import ErrorCode

T = uuid.UUID(int=1)
U = uuid.UUID(int=2)
TOPICS = {"t": (T, 6)}
SESSION = 10_000
G = "g"


def coordinator(**kw: object) -> ConsumerGroupCoordinator:
    return ConsumerGroupCoordinator(ConsumerGroupConfig(session_timeout_ms=SESSION, heartbeat_interval_ms=500, **kw))  # type: ignore[arg-type]


def join(c: ConsumerGroupCoordinator, now: int = 0, topics: object = TOPICS, **kw: object) -> HeartbeatResult:
    fields: dict[str, object] = {"member_id": "", "member_epoch": 0, "rebalance_timeout_ms": 5000,
                                 "subscribed_topic_names": ("t",), "owned": {}}  # fmt: skip
    fields.update(kw)
    return c.heartbeat(now, HeartbeatRequest(G, **fields), topics)  # type: ignore[arg-type]


def beat(
    c: ConsumerGroupCoordinator, r: HeartbeatResult, now: int = 0, owned: object = None, topics: object = TOPICS, **kw: object
) -> HeartbeatResult:
    assert r.member_id is not None
    fields: dict[str, object] = {"member_epoch": r.member_epoch, "owned": owned}
    fields.update(kw)
    return c.heartbeat(now, HeartbeatRequest(G, r.member_id, **fields), topics)  # type: ignore[arg-type]


def parts(r: HeartbeatResult) -> set[int]:
    assert r.assignment is not None
    return set(r.assignment.get(T, ()))


def converge(c: ConsumerGroupCoordinator, members: list[HeartbeatResult], now: int = 0) -> list[HeartbeatResult]:
    """Heartbeats every member, acknowledging what it was given, until the group is Stable."""
    owned = [dict(r.assignment or {}) for r in members]
    for _ in range(10):
        for i, r in enumerate(members):
            nxt = beat(c, r, now, owned=owned[i])
            assert nxt.error_code == 0, nxt
            if nxt.assignment is not None:
                owned[i] = dict(nxt.assignment)
            members[i] = HeartbeatResult(0, member_id=nxt.member_id, member_epoch=nxt.member_epoch, assignment=owned[i])
        if c.group(G).state == STABLE:  # type: ignore[union-attr]
            return members
    raise AssertionError(f"did not converge: {c.group(G)}")


def test_first_member_gets_everything_at_epoch_one() -> None:
    c = coordinator()
    r = join(c)
    assert r.error_code == 0 and r.member_epoch == 1 and len(r.member_id or "") == 22
    assert parts(r) == set(range(6)) and r.heartbeat_interval_ms == 500
    assert c.group(G).state == STABLE  # type: ignore[union-attr]
    again = beat(c, r)
    assert again.assignment is None and again.member_epoch == 1  # unchanged: no assignment sent


def test_second_member_waits_for_revocation_before_getting_partitions() -> None:
    c = coordinator()
    a = join(c)
    b = join(c)
    assert b.member_epoch == 2 and parts(b) == set()  # everything still owned by a
    g = c.group(G)
    assert g is not None and g.group_epoch == 2 and g.state == RECONCILING
    a2 = beat(c, a)
    assert a2.member_epoch == 1 and len(parts(a2)) == 3  # revoke first, epoch unchanged
    assert g.members[a.member_id or ""].state == UNREVOKED_PARTITIONS
    assert parts(beat(c, b)) if beat(c, b).assignment else True
    a3 = beat(c, a2, owned={T: frozenset(parts(a2))})  # a reports the revocation done
    assert a3.member_epoch == 2
    b2 = beat(c, b)
    assert b2.member_epoch == 2 and parts(b2) == set(range(6)) - parts(a2)
    assert g.state == STABLE


def test_leave_moves_partitions_to_the_rest() -> None:
    c = coordinator()
    members = converge(c, [join(c), join(c), join(c)])
    assert sorted(len(parts(r)) for r in members) == [2, 2, 2]
    left = beat(c, members[2], member_epoch=-1)
    assert left.error_code == 0 and left.member_epoch == -1
    members = converge(c, members[:2])
    assert {p for r in members for p in parts(r)} == set(range(6))
    assert c.group(G).group_epoch == 4  # type: ignore[union-attr]


def test_session_timeout_removes_a_silent_member() -> None:
    c = coordinator()
    a, b = converge(c, [join(c), join(c)])
    beat(c, a, now=SESSION - 1)
    assert c.next_deadline() == SESSION
    assert c.tick(SESSION) == [b.member_id]
    a2 = converge(c, [a], now=SESSION)[0]
    assert parts(a2) == set(range(6))
    assert beat(c, b, now=SESSION).error_code == ErrorCode.UNKNOWN_MEMBER_ID


def test_rebalance_timeout_fences_a_member_that_never_revokes() -> None:
    c = coordinator()
    a = join(c)
    join(c)
    beat(c, a, now=10)  # a is asked to revoke, deadline = 10 + 5000
    removed = c.tick(5010)
    assert removed == [a.member_id]


def test_epoch_checks() -> None:
    c = coordinator()
    a = join(c)
    ahead = c.heartbeat(0, HeartbeatRequest(G, a.member_id or "", 5), TOPICS)
    assert ahead.error_code == ErrorCode.FENCED_MEMBER_EPOCH
    a2 = converge(c, [a, join(c)])[0]
    stale = c.heartbeat(0, HeartbeatRequest(G, a2.member_id or "", 1), TOPICS)
    assert stale.error_code == ErrorCode.FENCED_MEMBER_EPOCH
    unknown = c.heartbeat(0, HeartbeatRequest(G, "nobody", 1), TOPICS)
    assert unknown.error_code == ErrorCode.UNKNOWN_MEMBER_ID
    no_group = c.heartbeat(0, HeartbeatRequest("other", "m", 3), TOPICS)
    assert no_group.error_code == ErrorCode.UNKNOWN_MEMBER_ID


def test_lost_response_retry_with_previous_epoch_is_accepted() -> None:
    c = coordinator()
    a = join(c)
    b = join(c)
    a2 = beat(c, a)
    a3 = beat(c, a2, owned={T: frozenset(parts(a2))})
    assert a3.member_epoch == 2
    # a never saw epoch 2 and retries with epoch 1 and partitions it still holds
    retry = c.heartbeat(0, HeartbeatRequest(G, a.member_id or "", 1, owned={T: frozenset(parts(a2))}), TOPICS)
    assert retry.error_code == 0 and retry.member_epoch == 2
    assert b.error_code == 0


def test_bad_requests_get_invalid_request() -> None:
    c = coordinator()
    cases = [
        HeartbeatRequest("", "", 0, rebalance_timeout_ms=1, subscribed_topic_names=("t",), owned={}),
        HeartbeatRequest(G, "", 0, subscribed_topic_names=("t",), owned={}),  # no rebalance timeout
        HeartbeatRequest(G, "", 0, rebalance_timeout_ms=1, owned={}),  # no subscription
        HeartbeatRequest(G, "", 0, rebalance_timeout_ms=1, subscribed_topic_names=("t",)),  # owned null
        HeartbeatRequest(G, "", 0, rebalance_timeout_ms=1, subscribed_topic_names=("t",), owned={T: frozenset({1})}),
        HeartbeatRequest(G, "", 3),  # member id missing
        HeartbeatRequest(G, "m", -3),
        HeartbeatRequest(G, "", 0, instance_id="", rebalance_timeout_ms=1, subscribed_topic_names=("t",), owned={}),
        HeartbeatRequest(G, "", 0, member_id_from_client=True, rebalance_timeout_ms=1, subscribed_topic_names=("t",), owned={}),
    ]
    for req in cases:
        assert c.heartbeat(0, req, TOPICS).error_code == ErrorCode.INVALID_REQUEST, req
    assert join(c, server_assignor="sticky").error_code == ErrorCode.UNSUPPORTED_ASSIGNOR
    assert join(c, subscribed_topic_regex="(").error_code == ErrorCode.INVALID_REGULAR_EXPRESSION
    assert c.group(G) is None


def test_client_chosen_member_id_v1() -> None:
    c = coordinator()
    r = join(c, member_id="my-own-id", member_id_from_client=True)
    assert r.member_id == "my-own-id" and r.member_epoch == 1


def test_static_member_returns_without_rebalance() -> None:
    c = coordinator()
    a, b = converge(c, [join(c, instance_id="i-a"), join(c, instance_id="i-b")])
    g = c.group(G)
    assert g is not None
    epoch = g.group_epoch
    left = beat(c, a, member_epoch=-2, instance_id="i-a")
    assert left.member_epoch == -2
    back = join(c, instance_id="i-a", now=100)
    assert back.error_code == 0 and back.member_id != a.member_id
    assert back.member_epoch == a.member_epoch and parts(back) == parts(a)
    assert g.group_epoch == epoch  # no rebalance
    dup = join(c, instance_id="i-b")
    assert dup.error_code == ErrorCode.UNRELEASED_INSTANCE_ID
    zombie = c.heartbeat(0, HeartbeatRequest(G, a.member_id or "", a.member_epoch, instance_id="i-a"), TOPICS)
    assert zombie.error_code == ErrorCode.FENCED_INSTANCE_ID
    assert b.error_code == 0


def test_new_partitions_bump_the_group_epoch() -> None:
    c = coordinator()
    a = join(c)
    a2 = beat(c, a, topics={"t": (T, 8)})
    assert a2.member_epoch == 2 and parts(a2) == set(range(8))


def test_regex_subscription_and_assignor_choice() -> None:
    c = coordinator()
    topics = {"t": (T, 2), "u": (U, 2), "x": (uuid.UUID(int=3), 1)}
    r = join(c, subscribed_topic_names=None, subscribed_topic_regex="[tu]", topics=topics, server_assignor="range")
    assert r.assignment == {T: frozenset({0, 1}), U: frozenset({0, 1})}
    assert c.group(G).assignor_name == "range"  # type: ignore[union-attr]


def test_states_offsets_and_delete() -> None:
    c = coordinator()
    a = join(c)
    g = c.group(G)
    assert g is not None and g.state == STABLE
    assert c.validate_offset_commit(G, a.member_id or "", 1, 9) == 0
    assert c.validate_offset_commit(G, a.member_id or "", 0, 9) == ErrorCode.STALE_MEMBER_EPOCH
    assert c.validate_offset_commit(G, a.member_id or "", 2, 9) == ErrorCode.FENCED_MEMBER_EPOCH
    assert c.validate_offset_commit(G, a.member_id or "", 1, 8) == ErrorCode.UNSUPPORTED_VERSION
    assert c.validate_offset_commit(G, "", -1, 9) == ErrorCode.UNKNOWN_MEMBER_ID  # admin commit into a live group
    assert c.validate_offset_fetch(G, a.member_id, 0) == ErrorCode.STALE_MEMBER_EPOCH
    assert c.validate_offset_fetch(G, None, -1) == 0
    assert c.delete_group(G) == ErrorCode.NON_EMPTY_GROUP
    join(c)
    assert g.state in (ASSIGNING, RECONCILING)
    for m in list(g.members):
        c.heartbeat(5, HeartbeatRequest(G, m, -1), TOPICS)
    assert g.state == EMPTY and g.state_timestamp_ms == 5
    assert c.validate_offset_commit(G, "", -1, 2) == 0
    assert [x.group_id for x in c.list_groups({"empty"})] == [G]
    assert c.delete_group(G) == 0 and c.delete_group(G) == ErrorCode.GROUP_ID_NOT_FOUND


# ---- safety under any interleaving -------------------------------------------------------------------------

_ops = st.lists(st.tuples(st.sampled_from(["join", "beat", "ack", "leave", "expire", "grow"]), st.integers(0, 5)), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(_ops)
def test_no_partition_is_ever_held_by_two_members_and_the_group_converges(ops: list[tuple[str, int]]) -> None:
    """KIP-848's safety property: a partition is handed to a member only after its previous owner gave it
    up, whatever the order of joins, heartbeats, acknowledgements, leaves and session expiries. Once every
    member heartbeats and acknowledges, the group becomes Stable with every partition assigned once."""
    c = coordinator()
    topics = {"t": (T, 6)}
    now = 0
    members: dict[str, list[object]] = {}  # member id -> [epoch, what the client holds]

    def send(mid: str, owned: object) -> None:
        r = c.heartbeat(now, HeartbeatRequest(G, mid, members[mid][0], owned=owned), topics)  # type: ignore[arg-type]
        if r.error_code:
            del members[mid]
            return
        members[mid][0] = r.member_epoch
        if r.assignment is not None:
            members[mid][1] = r.assignment

    for op, i in ops:
        now += 100
        ids = sorted(members)
        mid = ids[i % len(ids)] if ids else None
        if op == "join" or mid is None:
            r = join(c, now, topics=topics)
            members[r.member_id or ""] = [r.member_epoch, r.assignment or {}]
        elif op == "beat":
            send(mid, None)
        elif op == "ack":
            send(mid, members[mid][1])
        elif op == "leave":
            c.heartbeat(now, HeartbeatRequest(G, mid, -1), topics)
            del members[mid]
        elif op == "expire":
            now += SESSION
            for gone in c.tick(now):
                members.pop(gone, None)
            for other in list(members):
                send(other, members[other][1])
        elif op == "grow":
            topics = {"t": (T, topics["t"][1] + 1)}
        g = c.group(G)
        held: dict[tuple[object, int], str] = {}
        for m in g.members.values() if g else ():
            for t, parts in list(m.assigned.items()) + list(m.pending_revocation.items()):
                for p in parts:
                    assert (t, p) not in held, f"partition {p} held by {held[(t, p)]} and {m.member_id}"
                    held[(t, p)] = m.member_id
    for _ in range(6):
        now += 100
        for mid in list(members):
            send(mid, members[mid][1])
    g = c.group(G)
    if members and g is not None:
        assert g.state == STABLE
        assigned = sorted(p for m in g.members.values() for p in m.assigned.get(T, ()))
        assert assigned == list(range(topics["t"][1]))
