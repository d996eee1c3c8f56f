"""KIP-415 assignment rounds as Kafka's IncrementalCooperativeAssignor plays them: new work to the least loaded,
balance by revocation then a follow-up round, lost work held for scheduled.rebalance.max.delay.ms."""

from __future__ import annotations

from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.config_store import ClusterConfigState
from strom.connect.runtime.connect_protocol import CONFIG_MISMATCH, ExtendedAssignment, WorkerState
from strom.connect.runtime.incremental_cooperative_assignor import IncrementalCooperativeAssignor, eager_assignment


def snapshot(tasks: dict[str, int], offset: int = 10) -> ClusterConfigState:
    return ClusterConfigState(
        offset,
        None,
        dict(tasks),
        {c: {} for c in tasks},
        {},
        {ConnectorTaskId(c, i): {} for c, n in tasks.items() for i in range(n)},
    )


class Cluster:
    """Members that apply their assignments as workers do, for a sequence of rounds."""

    def __init__(self, assignor: IncrementalCooperativeAssignor) -> None:
        self.assignor = assignor
        self.running: dict[str, tuple[set[str], set[ConnectorTaskId]]] = {}
        self.generation = 0
        self.last: dict[str, ExtendedAssignment] = {}

    def round(self, members: list[str], snap: ClusterConfigState, now: int = 0) -> dict[str, ExtendedAssignment]:
        self.generation += 1
        for m in members:
            self.running.setdefault(m, (set(), set()))
        for m in list(self.running):
            if m not in members:
                del self.running[m]
        states = {
            m: WorkerState(f"http://{m}/", snap.offset, ExtendedAssignment(1, 0, "l", "u", 0, tuple(sorted(c)), tuple(sorted(t))))
            for m, (c, t) in self.running.items()
        }
        out = self.assignor.perform_assignment("l", "u", snap.offset, snap, states, self.generation, self.generation - 1, 1, now)
        for m, a in out.items():
            c, t = self.running[m]
            c.difference_update(a.revoked_connectors)
            t.difference_update(a.revoked_tasks)
            c.update(a.connectors)
            t.update(a.tasks)
        self.last = out
        return out

    def tasks(self, m: str) -> set[ConnectorTaskId]:
        return self.running[m][1]


def test_new_work_then_balance_on_join() -> None:
    cl = Cluster(IncrementalCooperativeAssignor(max_delay_ms=300000))
    snap = snapshot({"a": 4})
    first = cl.round(["w1"], snap)
    assert first["w1"].connectors == ("a",) and len(first["w1"].tasks) == 4
    # w2 joins: w1 revokes its excess (2 tasks); the follow-up round gives them to w2
    second = cl.round(["w1", "w2"], snap)
    assert len(second["w1"].revoked_tasks) == 2 and second["w2"].tasks == ()
    third = cl.round(["w1", "w2"], snap)
    assert len(cl.tasks("w1")) == 2 and len(cl.tasks("w2")) == 2
    assert third["w1"].revoked_tasks == () and set(third["w2"].tasks) == set(second["w1"].revoked_tasks)
    # stable: nothing moves
    fourth = cl.round(["w1", "w2"], snap)
    assert all(a.tasks == () and a.revoked_tasks == () and a.connectors == () for a in fourth.values())


def test_lost_work_held_for_the_delay_then_reassigned() -> None:
    cl = Cluster(IncrementalCooperativeAssignor(max_delay_ms=10000))
    snap = snapshot({"a": 2, "b": 2})
    cl.round(["w1", "w2"], snap)
    cl.round(["w1", "w2"], snap)
    lost = set(cl.tasks("w2"))
    assert lost
    # w2 dies: its work is held, not moved, and members are told when to rejoin
    held = cl.round(["w1"], snap, now=1000)
    assert held["w1"].delay == 10000 and held["w1"].tasks == ()
    again = cl.round(["w1"], snap, now=5000)
    assert again["w1"].delay == 6000 and again["w1"].tasks == ()
    # the delay ends: the lost work goes to the workers present
    done = cl.round(["w1"], snap, now=11000)
    assert done["w1"].delay == 0 and set(done["w1"].tasks) == lost
    assert len(cl.tasks("w1")) == 4


def test_returning_worker_gets_lost_work_within_the_delay() -> None:
    cl = Cluster(IncrementalCooperativeAssignor(max_delay_ms=10000))
    snap = snapshot({"a": 4})
    cl.round(["w1", "w2"], snap)
    cl.round(["w1", "w2"], snap)
    cl.round(["w1"], snap, now=1000)  # w2 gone, its 2 tasks held
    back = cl.round(["w1", "w3"], snap, now=3000)  # a fresh worker joins before the delay ends
    assert back["w3"].tasks == () and back["w3"].delay == 8000
    cl.round(["w1", "w3"], snap, now=13000)
    assert len(cl.tasks("w1")) == 2 and len(cl.tasks("w3")) == 2


def test_deleted_connector_revoked_and_duplicates_resolved() -> None:
    cl = Cluster(IncrementalCooperativeAssignor(max_delay_ms=0))
    cl.round(["w1", "w2"], snapshot({"a": 2, "b": 2}))
    cl.round(["w1", "w2"], snapshot({"a": 2, "b": 2}))
    out = cl.round(["w1", "w2"], snapshot({"a": 2}))
    revoked = {t for a in out.values() for t in a.revoked_tasks} | {c for a in out.values() for c in a.revoked_connectors}
    assert revoked == {"b", ConnectorTaskId("b", 0), ConnectorTaskId("b", 1)}
    # a task reported by two workers stays with one of them
    cl.running["w2"][1].add(ConnectorTaskId("a", 0))
    cl.running["w1"][1].add(ConnectorTaskId("a", 0))
    cl.round(["w1", "w2"], snapshot({"a": 2}))
    owners = [m for m in ("w1", "w2") if ConnectorTaskId("a", 0) in cl.tasks(m)]
    assert len(owners) == 1


def test_config_mismatch_when_a_member_is_ahead() -> None:
    a = IncrementalCooperativeAssignor(max_delay_ms=0)
    states = {"w1": WorkerState("u1", 10), "w2": WorkerState("u2", 12)}
    out = a.perform_assignment("w1", "u1", 10, snapshot({"a": 1}), states, 1, 0, 2, 0)
    assert {x.error for x in out.values()} == {CONFIG_MISMATCH}


def test_eager_round_robin() -> None:
    states = {"w2": WorkerState("u2", 10), "w1": WorkerState("u1", 10)}
    out = eager_assignment("w1", "u1", 10, snapshot({"a": 3}), states)
    assert out["w1"].connectors == ("a",) and out["w2"].connectors == ()
    assert [t.task for t in out["w1"].tasks] == [0, 2] and [t.task for t in out["w2"].tasks] == [1]


def test_distributed_config_requires_kafkas_keys() -> None:
    import pytest

    from strom.connect.runtime.distributed import DistributedConfig

    with pytest.raises(ValueError, match='Missing required configuration "group.id" which has no default value.'):
        DistributedConfig({"config.storage.topic": "c"})
    conf = DistributedConfig({"group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s"})
    assert conf.int("scheduled.rebalance.max.delay.ms") == 300000 and conf.compatibility.protocol == "sessioned"
