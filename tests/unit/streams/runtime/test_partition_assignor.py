"""StreamsPartitionAssignor: tasks from subtopologies x partitions, stickiness, standbys, co-partitioning,
the cooperative hand-over (KIP-429), warm-ups and probing rebalances (KIP-441), version probing."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.client.consumer_protocol import Assignment, Subscription
from strom.streams.runtime.assignment_info import LATEST_OFFSET, AssignmentInfo, SubscriptionInfo
from strom.streams.runtime.partition_assignor import (
    CopartitionError,
    StreamsPartitionAssignor,
    SubtopologyInfo,
    ThreadAssignment,
    TopologyMetadata,
    repartition_counts,
    tasks_for,
)

WORDCOUNT = TopologyMetadata(
    subtopologies=(
        SubtopologyInfo(0, frozenset({"input"}), frozenset({"app-counts-repartition"})),
        SubtopologyInfo(1, frozenset({"app-counts-repartition"}), frozenset({"output"}), frozenset({"app-counts-changelog"})),
    ),
    repartition_topics={"app-counts-repartition": None},
)


PIDS = {name: uuid.uuid5(uuid.NAMESPACE_DNS, name) for name in "ABCXYZ"}


def sub(name: str, prev: list | None = None, sums: dict | None = None, endpoint: str = "", version: int = 11) -> SubscriptionInfo:
    offsets = dict(sums or {})
    offsets.update({t: LATEST_OFFSET for t in prev or []})
    return SubscriptionInfo(
        PIDS[name], offsets, endpoint, version=version, latest_supported_version=max(version, 11) if version > 11 else 11
    )


def _assignor(
    topology: TopologyMetadata = WORDCOUNT,
    standbys: int = 0,
    created: dict[str, int] | None = None,
    ends: dict | None = None,
    leader: str = "A",
    got: list | None = None,
) -> StreamsPartitionAssignor:
    return StreamsPartitionAssignor(
        topology=lambda: topology,
        subscription_info=lambda: sub(leader),
        on_assignment=lambda info, tps, gen: (got if got is not None else []).append(info),
        num_standby_replicas=standbys,
        prepare_topics=None if created is None else created.update,
        stateful_subtopologies=lambda: {1},
        end_offsets=None if ends is None else (lambda tps: {tp: ends.get(tp, 0) for tp in tps}),
        acceptable_recovery_lag=100,
        max_warmup_replicas=1,
    )


def _subs(owned: dict | None = None, **members: SubscriptionInfo) -> dict[str, Subscription]:
    owned = owned or {}
    return {m: Subscription(["input", "app-counts-repartition"], info.encode(), owned.get(m, [])) for m, info in members.items()}


def _decode(result: dict[str, Assignment]) -> dict[str, ThreadAssignment]:
    out = {}
    for m, a in result.items():
        got: list[ThreadAssignment] = []
        _assignor(got=got).on_assignment(a, 1)
        out[m] = got[0]
    return out


def test_repartition_topics_take_the_upstream_partition_count_and_tasks_follow() -> None:
    counts = {"input": 3, **repartition_counts(WORDCOUNT, {"input": 3})}
    assert counts["app-counts-repartition"] == 3
    tasks = tasks_for(WORDCOUNT, counts)
    assert sorted(tasks) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert tasks[(1, 2)] == [("app-counts-repartition", 2)]


def test_tasks_spread_over_processes_and_threads_and_internal_topics_are_made() -> None:
    created: dict[str, int] = {}
    result = _assignor(created=created).assign(
        _subs(a1=sub("A", endpoint="a:1"), a2=sub("A", endpoint="a:1"), b1=sub("B", endpoint="b:1")), {"input": 4}
    )
    assert created == {"app-counts-repartition": 4, "app-counts-changelog": 4}
    infos = _decode(result)
    every = [t for i in infos.values() for t in i.active_tasks]
    assert sorted(every) == sorted({(s, p) for s in (0, 1) for p in range(4)})  # each task exactly once
    assert max(len(i.active_tasks) for i in infos.values()) <= 3
    assert sorted(result["b1"].partitions) == sorted(tp for tps in infos["b1"].active_tasks.values() for tp in tps)
    assert set(infos["a1"].partitions_by_host) == {"a:1", "b:1"}
    assert infos["a1"].partition_counts["input"] == 4


def test_active_tasks_stay_with_their_previous_owner() -> None:
    first = _decode(_assignor().assign(_subs(x=sub("X"), y=sub("Y")), {"input": 2}))
    prev = {m: list(i.active_tasks) for m, i in first.items()}
    again = _decode(_assignor().assign(_subs(x=sub("X", prev["x"]), y=sub("Y", prev["y"]), z=sub("Z")), {"input": 2}))
    kept = sum(len(set(again[m].active_tasks) & set(prev[m])) for m in ("x", "y"))
    assert kept >= 2 and len(again["z"].active_tasks) >= 1
    assert sorted(t for i in again.values() for t in i.active_tasks) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_a_stateful_task_stays_on_its_caught_up_owner_until_the_newcomer_has_warmed_up() -> None:
    ends = {("app-counts-changelog", 0): 5000, ("app-counts-changelog", 1): 5000}
    prev_x = [(0, 0), (0, 1), (1, 0), (1, 1)]
    result = _decode(_assignor(ends=ends, leader="X").assign(_subs(x=sub("X", prev_x), y=sub("Y")), {"input": 2}))
    assert {(1, 0), (1, 1)} <= set(result["x"].active_tasks)  # y is 5000 behind: the stateful tasks stay
    assert len(result["y"].standby_tasks) == 1  # max.warmup.replicas=1: one warm-up at a time
    assert len(result["y"].active_tasks) == 2  # balance comes from the stateless tasks meanwhile
    assert 0 < result["x"].next_rebalance_ms < 2**63 - 1  # the leader's client probes later
    warm = next(iter(result["y"].standby_tasks))
    # the probing rebalance: y's warm-up is 50 behind (within acceptable.recovery.lag=100): the task moves to y
    sums_y = {warm: 4950}
    again = _decode(
        _assignor(ends=ends, leader="X").assign(
            _subs(x=sub("X", list(result["x"].active_tasks)), y=sub("Y", list(result["y"].active_tasks), sums_y)), {"input": 2}
        )
    )
    assert warm in again["y"].active_tasks and warm not in again["x"].active_tasks


def test_cooperative_a_task_another_consumer_still_owns_waits_for_the_followup() -> None:
    owned = {"x": [("input", 0), ("input", 1), ("app-counts-repartition", 0), ("app-counts-repartition", 1)]}
    prev = [(0, 0), (0, 1), (1, 0), (1, 1)]
    first = _assignor().assign(_subs(owned, x=sub("X", prev), y=sub("Y")), {"input": 2})
    infos = _decode(first)
    assert infos["y"].active_tasks == {} and first["y"].partitions == []  # x revokes first
    assert infos["y"].next_rebalance_ms == 0  # ... and y asks for the follow-up at once
    kept = set(infos["x"].active_tasks)
    assert len(kept) == 2
    # the follow-up: x owns only what it kept; y gets the rest
    owned = {"x": sorted(first["x"].partitions)}
    second = _decode(_assignor().assign(_subs(owned, x=sub("X", sorted(kept)), y=sub("Y")), {"input": 2}))
    assert set(second["x"].active_tasks) == kept and len(second["y"].active_tasks) == 2
    assert second["y"].next_rebalance_ms == 2**63 - 1


def test_standbys_go_to_other_processes_for_stateful_tasks_only() -> None:
    result = _decode(_assignor(standbys=1).assign(_subs(x=sub("X"), y=sub("Y")), {"input": 2}))
    for m, other in (("x", "y"), ("y", "x")):
        for task in result[m].standby_tasks:
            assert task[0] == 1 and task in result[other].active_tasks and task not in result[m].active_tasks
    assert sorted(t for i in result.values() for t in i.standby_tasks) == [(1, 0), (1, 1)]


def test_version_probing_the_group_speaks_the_oldest_members_version() -> None:
    result = _assignor().assign(_subs(x=sub("X", version=9), y=sub("Y")), {"input": 2})
    infos = {m: AssignmentInfo.decode(a.user_data) for m, a in result.items()}
    assert {i.version for i in infos.values()} == {9}
    member = _assignor()
    member.on_assignment(result["y"], 1)  # y sent version 11 and got 9 back: it downgrades and rejoins
    assert member.used_version == 11  # commonly supported is still 11 (both support 11): nothing to downgrade to
    subs = _subs(x=sub("X"))
    subs["y"] = Subscription(["input"], bytes.fromhex("0000000c0000000c") + bytes(16))  # a member of a future version
    future = _assignor().assign(subs, {"input": 2})
    assert future["y"].partitions == [] and AssignmentInfo.decode(future["y"].user_data).commonly_supported_version == 11


def test_shutdown_request_and_missing_source_topic_are_assignment_errors() -> None:
    down = SubscriptionInfo(PIDS["X"], error_code=4)
    assert {_decode(_assignor().assign(_subs(x=down, y=sub("Y")), {"input": 1}))[m].error for m in ("x", "y")} == {4}
    assert _decode(_assignor().assign(_subs(x=sub("X")), {}))["x"].error == 1


def test_copartitioned_topics_with_different_counts_fail_naming_both() -> None:
    join = TopologyMetadata(
        subtopologies=(SubtopologyInfo(0, frozenset({"left", "right"})),), copartition_groups=(frozenset({"left", "right"}),)
    )
    with pytest.raises(CopartitionError, match=r"left=3, right=2"):
        _assignor(join).assign({"x": Subscription(["left", "right"], sub("X").encode())}, {"left": 3, "right": 2})


@st.composite
def groups(draw: st.DrawFn) -> tuple[dict[str, Subscription], int]:
    """Clients with 1-3 threads each, some of them previous owners (cooperative: owning the partitions)."""
    n = draw(st.integers(1, 6))
    tasks = [(s, p) for s in (0, 1) for p in range(n)]
    tps = {(0, p): [("input", p)] for p in range(n)} | {(1, p): [("app-counts-repartition", p)] for p in range(n)}
    members: dict[str, Subscription] = {}
    owner_of = {t: draw(st.integers(-1, 5)) for t in tasks}
    for c in range(draw(st.integers(1, 4))):
        for thread in range(draw(st.integers(1, 3))):
            member = f"m{c}-{thread}"
            prev = [t for t, o in owner_of.items() if o == c * 3 + thread]
            sums = {t: draw(st.sampled_from([0, 10, 10**6])) for t in tasks if t[0] == 1 and draw(st.booleans()) and t not in prev}
            info = SubscriptionInfo(PIDS["ABCXYZ"[c]], {**sums, **{t: LATEST_OFFSET for t in prev}})
            members[member] = Subscription(["input"], info.encode(), sorted(tp for t in prev for tp in tps[t]))
    return members, n


@settings(max_examples=150, deadline=None)
@given(groups(), st.integers(0, 1))
def test_no_partition_or_task_goes_to_two_members_and_held_back_ones_are_owned_elsewhere(group: tuple, standbys: int) -> None:
    members, n = group
    ends = {("app-counts-changelog", p): 10**6 for p in range(n)}
    result = _assignor(standbys=standbys, ends=ends).assign(members, {"input": n})
    infos = _decode(result)
    given = [tp for a in result.values() for tp in a.partitions]
    assert len(given) == len(set(given))  # no partition to two consumers
    actives = [t for i in infos.values() for t in i.active_tasks]
    assert len(actives) == len(set(actives))  # no task active twice
    owned = {tp: m for m, s in members.items() for tp in s.owned_partitions}
    missing = {(s, p) for s in (0, 1) for p in range(n)} - set(actives)
    for task in missing:  # held back for the follow-up: its partitions are still another consumer's
        tp = ("input", task[1]) if task[0] == 0 else ("app-counts-repartition", task[1])
        assert tp in owned
    if missing:
        assert any(i.next_rebalance_ms == 0 for i in infos.values())
    for i in infos.values():
        assert not set(i.active_tasks) & set(i.standby_tasks)


def test_cooperative_unless_upgrading_from_an_eager_version() -> None:
    from strom.streams.runtime.stream_thread import _cooperative

    assert [_cooperative(v) for v in (None, "", "2.4", "3.9", "2.3", "0.10.2", "1.1")] == [True, True, True, True, False, False, False]
    assert StreamsPartitionAssignor(lambda: WORDCOUNT, lambda: sub("A"), lambda *a: None, cooperative=False).supported_protocols == (
        "EAGER",
    )
    assert "COOPERATIVE" in _assignor().supported_protocols
