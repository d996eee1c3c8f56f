"""Assignors: Java's range and roundrobin results; sticky balance, stickiness and two-step handover."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.client.assignors import range_assign, roundrobin_assign, sticky_assign
from strom.client.consumer_protocol import (
    Assignment,
    Subscription,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)


def subs(*members: str, topics: tuple[str, ...] = ("t",)) -> dict[str, Subscription]:
    return {m: Subscription(list(topics)) for m in members}


def test_range_matches_java_example() -> None:
    # Kafka's RangeAssignor javadoc: C0, C1 on t0, t1 with 3 partitions each
    out = range_assign(subs("C0", "C1", topics=("t0", "t1")), {"t0": 3, "t1": 3})
    assert out == {"C0": [("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)], "C1": [("t0", 2), ("t1", 2)]}


def test_roundrobin_matches_java_example() -> None:
    out = roundrobin_assign(subs("C0", "C1", topics=("t0", "t1")), {"t0": 3, "t1": 3})
    assert out == {"C0": [("t0", 0), ("t0", 2), ("t1", 1)], "C1": [("t0", 1), ("t1", 0), ("t1", 2)]}


def test_roundrobin_skips_members_not_subscribed() -> None:
    members = {"a": Subscription(["t0"]), "b": Subscription(["t0", "t1"])}
    out = roundrobin_assign(members, {"t0": 2, "t1": 2})
    assert out == {"a": [("t0", 0)], "b": [("t0", 1), ("t1", 0), ("t1", 1)]}


def test_sticky_keeps_owned_and_hands_over_in_two_steps() -> None:
    first = sticky_assign(subs("a"), {"t": 4})
    assert first == {"a": [("t", 0), ("t", 1), ("t", 2), ("t", 3)]}
    # b joins: a keeps two, the two that move are withheld until a revokes them
    members = {"a": Subscription(["t"], None, first["a"], 1), "b": Subscription(["t"], None, [], -1)}
    second = sticky_assign(members, {"t": 4})
    assert len(second["a"]) == 2 and set(second["a"]) <= set(first["a"]) and second["b"] == []
    members = {"a": Subscription(["t"], None, second["a"], 2), "b": Subscription(["t"], None, [], 2)}
    third = sticky_assign(members, {"t": 4})
    assert third["a"] == second["a"] and sorted(third["a"] + third["b"]) == [("t", p) for p in range(4)]


member_ids = st.lists(st.text("abcdef", min_size=1, max_size=4), min_size=1, max_size=6, unique=True)
counts = st.dictionaries(st.sampled_from(["x", "y", "z"]), st.integers(0, 12), min_size=1)


@settings(max_examples=200, deadline=None)
@given(member_ids, counts)
def test_every_partition_assigned_once_and_balanced(members: list[str], partitions: dict[str, int]) -> None:
    topics = tuple(sorted(partitions))
    everything = sorted((t, p) for t, n in partitions.items() for p in range(n))
    for assign in (range_assign, roundrobin_assign, sticky_assign):
        out = assign(subs(*members, topics=topics), partitions)
        got = sorted(tp for tps in out.values() for tp in tps)
        assert got == everything, assign.__name__
    sizes = [len(v) for v in roundrobin_assign(subs(*members, topics=topics), partitions).values()]
    assert max(sizes) - min(sizes) <= 1
    sizes = [len(v) for v in sticky_assign(subs(*members, topics=topics), partitions).values()]
    assert max(sizes) - min(sizes) <= 1


@settings(max_examples=200, deadline=None)
@given(member_ids, st.integers(1, 16), st.randoms(use_true_random=False))
def test_sticky_never_gives_a_partition_its_owner_still_holds(members: list[str], n: int, rnd) -> None:  # type: ignore[no-untyped-def]
    tps = [("t", p) for p in range(n)]
    owned: dict[str, list[tuple[str, int]]] = {m: [] for m in members}
    for tp in tps:
        owned[rnd.choice(members)].append(tp)
    out = sticky_assign({m: Subscription(["t"], None, owned[m], 3) for m in members}, {"t": n})
    for m, got in out.items():
        for tp in got:
            assert tp in owned[m] or not any(tp in owned[o] for o in members if o != m)
    # a member keeps what it owned, up to its fair share
    for m in members:
        assert len(set(out[m]) & set(owned[m])) >= min(len(owned[m]), n // len(members))


@given(
    st.lists(st.text(min_size=1, max_size=8), max_size=4),
    st.one_of(st.none(), st.binary(max_size=16)),
    st.lists(st.tuples(st.text(min_size=1, max_size=5), st.integers(0, 1000)), max_size=5),
    st.integers(-1, 100),
)
def test_subscription_round_trips(topics: list[str], user_data: bytes | None, owned: list[tuple[str, int]], generation: int) -> None:
    owned = sorted(set(owned))
    for version in (0, 1, 2, 3):
        sub = Subscription(topics, user_data, owned if version else [], generation if version >= 2 else -1)
        assert decode_subscription(encode_subscription(sub, version)) == sub


def test_assignment_round_trips_and_empty_bytes_mean_nothing() -> None:
    a = Assignment([("a", 0), ("a", 2), ("b", 1)], b"ud")
    assert decode_assignment(encode_assignment(a)) == a
    assert decode_assignment(b"") == Assignment([])
