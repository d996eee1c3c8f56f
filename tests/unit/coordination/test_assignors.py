"""Server-side assignors: complete, balanced within their rules, sticky (hypothesis over shapes)."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.coordination.assignors import AssignmentSpec, range_, uniform

TOPIC_IDS = [uuid.UUID(int=i + 1) for i in range(3)]


def flat(result: dict[str, dict[uuid.UUID, frozenset[int]]]) -> list[tuple[uuid.UUID, int]]:
    return [(t, p) for a in result.values() for t, ps in a.items() for p in ps]


shapes = st.tuples(
    st.lists(st.integers(1, 12), min_size=1, max_size=3),  # partitions per topic
    st.integers(1, 7),  # members
    st.booleans(),  # homogeneous subscriptions?
    st.randoms(use_true_random=False),
)


def spec_of(counts: list[int], n: int, homogeneous: bool, rnd: object, previous: object = None) -> AssignmentSpec:
    topics = TOPIC_IDS[: len(counts)]
    subs = {}
    for i in range(n):
        if homogeneous:
            subs[f"m{i}"] = frozenset(topics)
        else:
            chosen = [t for t in topics if rnd.random() < 0.6] or [topics[0]]  # type: ignore[attr-defined]
            subs[f"m{i}"] = frozenset(chosen)
    return AssignmentSpec(subs, dict(zip(topics, counts, strict=True)), previous or {})  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(shapes)
def test_every_subscribed_partition_assigned_once_to_a_subscriber(shape: tuple) -> None:  # type: ignore[type-arg]
    spec = spec_of(*shape)
    for assignor in (uniform, range_):
        result = assignor(spec)
        tps = flat(result)
        assert len(tps) == len(set(tps))
        expected = {(t, p) for t, n in spec.partitions.items() for p in range(n) if any(t in s for s in spec.subscriptions.values())}
        assert set(tps) == expected
        for m, a in result.items():
            assert all(t in spec.subscriptions[m] for t, ps in a.items() if ps)


@settings(max_examples=150, deadline=None)
@given(shapes)
def test_uniform_is_balanced_for_homogeneous_and_sticky_when_one_joins(shape: tuple) -> None:  # type: ignore[type-arg]
    counts, n, _, rnd = shape
    spec = spec_of(counts, n, True, rnd)
    first = uniform(spec)
    sizes = [sum(len(ps) for ps in a.values()) for a in first.values()]
    assert max(sizes) - min(sizes) <= 1
    grown = AssignmentSpec({**spec.subscriptions, "new": frozenset(spec.partitions)}, spec.partitions, first)
    second = uniform(grown)
    moved = sum(1 for m, a in first.items() for t, ps in a.items() for p in ps if p not in second[m].get(t, ()))
    total = sum(counts)
    assert moved <= -(-total // (n + 1)) + 1  # only about the newcomer's share moves


def test_range_gives_contiguous_ranges_extra_to_first_members() -> None:
    t = TOPIC_IDS[0]
    spec = AssignmentSpec({"a": frozenset({t}), "b": frozenset({t}), "c": frozenset({t})}, {t: 7}, {})
    result = range_(spec)
    assert result == {"a": {t: frozenset({0, 1, 2})}, "b": {t: frozenset({3, 4})}, "c": {t: frozenset({5, 6})}}
