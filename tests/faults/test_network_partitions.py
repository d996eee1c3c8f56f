"""Network partitions of a 3-broker cluster (RF=3, min.insync.replicas=2, acks=all idempotent producer, a
consumer group), each broker and ZooKeeper in its own network namespace. After every fault is healed the
checker finds no acknowledged record lost, none duplicated or reordered, and no committed offset going back.

The CI slice is the zombie leader (the case Jepsen found in Kafka-like systems): a leader cut off from
ZooKeeper and the other brokers but not from its clients must not acknowledge acks=all writes. The rest of
the fault classes, and the campaigns, are marked slow.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.faults.cluster import NetnsCluster
from tests.faults.netfault_harness import FaultRun, assert_ok, running_cluster, wait_until

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(300)]

BROKERS = ["b0", "b1", "b2"]


@pytest.fixture(scope="module")
def netns_cluster() -> Iterator[NetnsCluster]:
    yield from running_cluster()


def others(node: str) -> list[str]:
    return [n for n in BROKERS if n != node]


def test_zombie_leader_cut_off_from_zookeeper_and_brokers_acknowledges_nothing(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    run = FaultRun(netns_cluster, "zombie", tmp_path, seed=19).start()
    victim = run.leader(0)
    node = netns_cluster.node_of(victim)
    netns_cluster.net.isolate(node, [*others(node), "zk"])
    run.history.fault("partition", f"{node} | zk,{','.join(others(node))} (clients reach both)")
    acked_at_cut = {p: run.producer.acked for p in range(1)}
    # the controller sees the session expire and moves leadership to the majority
    wait_until(lambda: victim not in run.registered(), timeout=30, message="the zombie's session expired")
    wait_until(lambda: run.leader(0) not in (victim, -1), timeout=30, message="a new leader for partition 0")
    run.stats["failover_s"] = run.wait_acks(50, message="acks from the majority")
    run.stats["recovery_s"] = run.heal_and_recover()
    report = run.finish()
    assert_ok(run, report)
    assert acked_at_cut[0] < report.acked


@pytest.mark.slow
def test_leader_cut_off_from_the_other_brokers_but_not_zookeeper(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    """The leader keeps its ZooKeeper session, so no election happens. Its followers stop fetching: it can
    shrink the ISR to itself only if it can reach the controller (AlterIsr, as Kafka 2.8), and then refuses
    acks=all writes (NOT_ENOUGH_REPLICAS under min.insync.replicas=2); otherwise the high watermark stands
    still. Either way nothing sent to it after the cut is acknowledged until the link is back."""
    run = FaultRun(netns_cluster, "isolated-leader", tmp_path, seed=20).start()
    victim = run.leader(0)
    node = netns_cluster.node_of(victim)
    netns_cluster.net.isolate(node, others(node))
    run.history.fault("partition", f"{node} | {','.join(others(node))} (zk and clients reach all)")
    sent_before = {e.value for e in run.history.events("send")}  # what is sent from now on cannot be replicated
    time.sleep(12)  # past replica.lag.time.max.ms (10 s): the ISR shrink, if any, has happened
    run.stats["isr_during_cut"] = run.state(0).isr
    late = [e for e in run.history.events("ack") if e.partition == 0 and e.value not in sent_before and run.leader(0) == victim]
    assert not late, f"the cut-off leader acknowledged {len(late)} writes, e.g. {late[:3]}"
    run.stats["recovery_s"] = run.heal_and_recover()
    assert_ok(run, run.finish())


@pytest.mark.slow
def test_leader_cut_off_from_zookeeper_only(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    run = FaultRun(netns_cluster, "zk-cut-leader", tmp_path, seed=21).start()
    victim = run.leader(0)
    node = netns_cluster.node_of(victim)
    netns_cluster.net.isolate(node, ["zk"])
    run.history.fault("partition", f"{node} | zk")
    wait_until(lambda: run.leader(0) not in (victim, -1), timeout=30, message="a new leader")
    run.stats["failover_s"] = run.wait_acks(50, message="acks from the new leader")
    run.stats["recovery_s"] = run.heal_and_recover()
    assert_ok(run, run.finish())


@pytest.mark.slow
def test_minority_broker_cut_off_from_everyone(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    run = FaultRun(netns_cluster, "minority", tmp_path, seed=22).start()
    victim = run.leader(1)
    node = netns_cluster.node_of(victim)
    netns_cluster.net.isolate(node, [*others(node), "zk", "clients"])
    run.history.fault("partition", f"{node} | everyone")
    wait_until(lambda: run.leader(1) not in (victim, -1), timeout=30, message="a new leader")
    run.stats["failover_s"] = run.wait_acks(50, message="acks from the majority")
    run.stats["recovery_s"] = run.heal_and_recover()
    assert_ok(run, run.finish())


@pytest.mark.slow
def test_flapping_leader_link(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    run = FaultRun(netns_cluster, "flapping", tmp_path, seed=23).start()
    for cycle in range(6):
        victim = run.leader(cycle % 2)
        node = netns_cluster.node_of(victim)
        cut = [*others(node), "zk"]
        netns_cluster.net.isolate(node, cut)
        run.history.fault("partition", f"{node} | {','.join(cut)}")
        time.sleep(run.history.random.uniform(1.0, 8.0))
        netns_cluster.net.heal()
        run.history.fault("heal")
        time.sleep(run.history.random.uniform(0.5, 3.0))
    run.stats["recovery_s"] = run.heal_and_recover()
    assert_ok(run, run.finish())


@pytest.mark.slow
def test_packet_loss_between_brokers(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    run = FaultRun(netns_cluster, "loss", tmp_path, seed=24).start()
    for node in BROKERS:
        netns_cluster.net.loss(node, others(node), 20)
    run.history.fault("loss", "20% between all brokers")
    run.stats["acks_under_loss_s"] = run.wait_acks(500, timeout=120, message="acks under 20% loss")
    run.stats["recovery_s"] = run.heal_and_recover()
    assert_ok(run, run.finish())


def test_paused_leader_resumes_after_its_session_expired_and_steps_down(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    """SIGSTOP the leader of partition 0 past the ZooKeeper session timeout: the controller elects another
    leader; SIGCONT: the old leader finds its session gone, re-registers, follows the new leader and truncates
    what it appended alone -- and acknowledged none of it."""
    run = FaultRun(netns_cluster, "paused-leader", tmp_path, seed=25).start()
    victim = run.leader(0)
    broker = netns_cluster.brokers[victim]
    broker.pause()
    run.history.fault("pause", f"broker {victim} (leader of partition 0)")
    try:
        wait_until(lambda: run.leader(0) not in (victim, -1), timeout=30, message="a new leader")
        run.stats["failover_s"] = run.wait_acks(50, message="acks from the new leader")
    finally:
        broker.resume()
        run.history.fault("resume", f"broker {victim}")
    run.stats["recovery_s"] = run.heal_and_recover()
    assert_ok(run, run.finish())


@pytest.mark.slow
def test_paused_controller_resumes_and_is_fenced(netns_cluster: NetnsCluster, tmp_path: Path) -> None:
    """SIGSTOP the controller past the session timeout: another broker becomes controller with a higher epoch;
    SIGCONT: the old one resigns, and what it sends or writes with its old epoch is refused."""
    run = FaultRun(netns_cluster, "paused-controller", tmp_path, seed=26).start()
    victim = run.controller()
    epoch = int(run.zk.get("/controller_epoch")[0])
    broker = netns_cluster.brokers[victim]
    broker.pause()
    run.history.fault("pause", f"broker {victim} (controller, epoch {epoch})")
    try:
        wait_until(lambda: run.controller() not in (victim, -1), timeout=30, message="a new controller")
        assert int(run.zk.get("/controller_epoch")[0]) > epoch
        run.stats["failover_s"] = run.wait_acks(50, message="acks after the controller moved")
    finally:
        broker.resume()
        run.history.fault("resume", f"broker {victim}")
    new_controller = run.controller()
    run.stats["recovery_s"] = run.heal_and_recover()
    assert run.controller() == new_controller
    assert_ok(run, run.finish())
