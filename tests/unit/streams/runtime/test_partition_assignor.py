"""StreamsPartitionAssignor: tasks from subtopologies x partitions, stickiness, standbys, co-partitioning."""

from __future__ import annotations

import pytest

from strom.client.consumer_protocol import Subscription
from strom.streams.runtime.partition_assignor import (
    AssignmentInfo,
    CopartitionError,
    StreamsPartitionAssignor,
    SubscriptionInfo,
    SubtopologyInfo,
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


def _assignor(topology: TopologyMetadata = WORDCOUNT, standbys: int = 0, created: dict[str, int] | None = None) -> StreamsPartitionAssignor:
    return StreamsPartitionAssignor(
        topology=lambda: topology,
        subscription_info=lambda: SubscriptionInfo("p"),
        on_assignment=lambda info, tps, gen: None,
        num_standby_replicas=standbys,
        prepare_topics=None if created is None else created.update,
        stateful_subtopologies=lambda: {1},
    )


def _subs(**members: SubscriptionInfo) -> dict[str, Subscription]:
    return {m: Subscription(["input", "app-counts-repartition"], info.encode()) for m, info in members.items()}


def _decode(result: dict) -> dict[str, AssignmentInfo]:
    return {m: AssignmentInfo.decode(a.user_data) for m, a in result.items()}


def test_user_data_round_trips() -> None:
    info = SubscriptionInfo("pid", [(0, 1)], {(1, 2): 42, (0, 0): -2}, "host:1")
    assert SubscriptionInfo.decode(info.encode()) == info
    a = AssignmentInfo({(0, 1): [("t", 1)]}, {(1, 0): [("r", 0)]}, {"h:1": [("t", 1)]}, {}, {"t": 2}, 0)
    assert AssignmentInfo.decode(a.encode()) == a


def test_repartition_topics_take_the_upstream_partition_count_and_tasks_follow() -> None:
    counts = {"input": 3, **repartition_counts(WORDCOUNT, {"input": 3})}
    assert counts["app-counts-repartition"] == 3
    tasks = tasks_for(WORDCOUNT, counts)
    assert sorted(tasks) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert tasks[(1, 2)] == [("app-counts-repartition", 2)]


def test_tasks_spread_over_processes_and_threads_and_internal_topics_are_made() -> None:
    created: dict[str, int] = {}
    result = _assignor(created=created).assign(
        _subs(a1=SubscriptionInfo("A", endpoint="a:1"), a2=SubscriptionInfo("A", endpoint="a:1"), b1=SubscriptionInfo("B", endpoint="b:1")),
        {"input": 4},
    )
    assert created == {"app-counts-repartition": 4, "app-counts-changelog": 4}
    infos = _decode(result)
    every = [t for i in infos.values() for t in i.active_tasks]
    assert sorted(every) == sorted({(s, p) for s in (0, 1) for p in range(4)})  # each task exactly once
    assert [len(infos[m].active_tasks) for m in ("a1", "a2", "b1")] == [3, 2, 3] or max(len(i.active_tasks) for i in infos.values()) <= 3
    assert set(result["b1"].partitions) == {tp for t in infos["b1"].active_tasks.values() for tp in t}
    assert set(infos["a1"].partitions_by_host) == {"a:1", "b:1"}


def test_active_tasks_stay_with_their_previous_owner() -> None:
    first = _decode(_assignor().assign(_subs(x=SubscriptionInfo("X"), y=SubscriptionInfo("Y")), {"input": 2}))
    prev = {m: list(i.active_tasks) for m, i in first.items()}
    # a third process joins; X and Y keep what they had as far as balance allows
    again = _decode(
        _assignor().assign(
            _subs(x=SubscriptionInfo("X", prev["x"]), y=SubscriptionInfo("Y", prev["y"]), z=SubscriptionInfo("Z")),
            {"input": 2},
        )
    )
    kept = sum(len(set(again[m].active_tasks) & set(prev[m])) for m in ("x", "y"))
    assert kept >= 2 and len(again["z"].active_tasks) >= 1
    assert sorted(t for i in again.values() for t in i.active_tasks) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_a_task_moves_to_the_process_that_has_its_state() -> None:
    result = _decode(
        _assignor().assign(_subs(x=SubscriptionInfo("X"), y=SubscriptionInfo("Y", task_offset_sums={(1, 0): 500})), {"input": 1})
    )
    assert (1, 0) in result["y"].active_tasks


def test_standbys_go_to_other_processes_for_stateful_tasks_only() -> None:
    result = _decode(_assignor(standbys=1).assign(_subs(x=SubscriptionInfo("X"), y=SubscriptionInfo("Y")), {"input": 2}))
    for m, other in (("x", "y"), ("y", "x")):
        for task in result[m].standby_tasks:
            assert task[0] == 1 and task in result[other].active_tasks and task not in result[m].active_tasks
    assert sorted(t for i in result.values() for t in i.standby_tasks) == [(1, 0), (1, 1)]


def test_missing_source_topic_is_an_assignment_error() -> None:
    result = _decode(_assignor().assign(_subs(x=SubscriptionInfo("X")), {}))
    assert result["x"].error == 1 and not result["x"].active_tasks


def test_copartitioned_topics_with_different_counts_fail_naming_both() -> None:
    join = TopologyMetadata(
        subtopologies=(SubtopologyInfo(0, frozenset({"left", "right"})),), copartition_groups=(frozenset({"left", "right"}),)
    )
    with pytest.raises(CopartitionError, match=r"left=3, right=2"):
        _assignor(join).assign({"x": Subscription(["left", "right"], SubscriptionInfo("X").encode())}, {"left": 3, "right": 2})
