"""Broker death and return, controlled shutdown, controller failover -- with real ZooKeeper and kill -9."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from tests.cluster.conftest import wait_until

pytestmark = pytest.mark.zookeeper


def _state(zk, topic: str, p: int) -> dict:
    return json.loads(zk.get(f"/brokers/topics/{topic}/partitions/{p}/state")[0])


def _leaders(bootstrap: str, topic: str) -> dict[int, int]:
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    return {p: pm.leader for p, pm in md.topics[topic].partitions.items()}


def test_leader_kill9_elects_from_isr_and_controller_failover(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([NewTopic("fail", 3, 3)])["fail"].result(30)
        wait_until(lambda: all(zk.exists(f"/brokers/topics/fail/partitions/{p}/state") for p in range(3)))
        controller = json.loads(zk.get("/controller")[0])["brokerid"]
        epoch = int(zk.get("/controller_epoch")[0])
        victim = controller  # kill the controller: it also leads one partition
        led = [p for p in range(3) if _state(zk, "fail", p)["leader"] == victim]
        assert led
        before = {p: _state(zk, "fail", p) for p in range(3)}
        killed_at = time.monotonic()
        cluster.brokers[victim].kill()

        # another broker wins /controller with a higher epoch
        new_controller = wait_until(
            lambda: (c := zk.get("/controller")) and json.loads(c[0])["brokerid"] != victim and json.loads(c[0])["brokerid"],
            message="new controller",
        )
        assert new_controller in (0, 1, 2) and new_controller != victim
        assert int(zk.get("/controller_epoch")[0]) == epoch + 1
        for p in led:
            state = wait_until(lambda p=p: (s := _state(zk, "fail", p))["leader"] not in (victim, -1) and s, message="new leader")
            assert state["leader_epoch"] == before[p]["leader_epoch"] + 1
            assert victim not in state["isr"] and state["leader"] in before[p]["isr"]
        failover_s = time.monotonic() - killed_at
        # followers of the dead broker's partitions leave the ISR too
        for p in range(3):
            wait_until(lambda p=p: victim not in _state(zk, "fail", p)["isr"], message="ISR shrink")
        survivor = next(b for i, b in cluster.brokers.items() if i != victim)
        leaders = wait_until(lambda: (ls := _leaders(survivor.bootstrap, "fail")) and victim not in ls.values() and ls)
        assert set(leaders.values()) <= {0, 1, 2} - {victim}
        md = AdminClient({"bootstrap.servers": survivor.bootstrap}).list_topics(timeout=10)
        assert victim not in md.brokers and md.controller_id == new_controller
        assert failover_s < 15, failover_s

        # the broker returns: registered with a new epoch, back in the ISR of nothing until it catches up,
        # but listed again by every broker
        cluster.brokers[victim].start()
        wait_until(lambda: str(victim) in zk.children("/brokers/ids"))
        wait_until(lambda: victim in AdminClient({"bootstrap.servers": survivor.bootstrap}).list_topics(timeout=10).brokers)
    finally:
        zk.close()


def test_controlled_shutdown_moves_leadership_before_stopping(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([NewTopic("cs", 6, 3)])["cs"].result(30)
        wait_until(lambda: all(zk.exists(f"/brokers/topics/cs/partitions/{p}/state") for p in range(6)))
        controller = json.loads(zk.get("/controller")[0])["brokerid"]
        target = next(b for b in (0, 1, 2) if b != controller)
        assert any(_state(zk, "cs", p)["leader"] == target for p in range(6))
        started = time.monotonic()
        assert cluster.brokers[target].stop() == 0
        took = time.monotonic() - started
        # leadership moved during the shutdown itself, long before a session timeout would notice
        for p in range(6):
            state = _state(zk, "cs", p)
            assert state["leader"] != target and target not in state["isr"]
        assert took < 10, took
        assert "Controlled shutdown succeeded" in (cluster.brokers[target].base / "logs" / "server.log").read_text()
    finally:
        zk.close()


def test_no_live_isr_means_offline_unless_unclean_election(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        futures = admin.create_topics(
            [
                NewTopic("clean", 1, replica_assignment=[[1, 2]]),
                NewTopic("dirty", 1, replica_assignment=[[1, 2]], config={"unclean.leader.election.enable": "true"}),
            ]
        )
        for f in futures.values():
            f.result(30)
        for t in ("clean", "dirty"):
            wait_until(lambda t=t: zk.exists(f"/brokers/topics/{t}/partitions/0/state"))
        # broker 2 dies and leaves the ISR; then the leader 1 dies too: no live replica at all
        for t in ("clean", "dirty"):
            assert _state(zk, t, 0)["leader"] == 1
        cluster.brokers[2].kill()
        for t in ("clean", "dirty"):
            wait_until(lambda t=t: _state(zk, t, 0)["isr"] == [1], message="ISR [1]")
        cluster.brokers[1].kill()
        for t in ("clean", "dirty"):
            wait_until(lambda t=t: _state(zk, t, 0)["leader"] == -1, message="offline partition")
            assert _state(zk, t, 0)["isr"] == [1]  # the ISR keeps its last member
        # the out-of-sync replica 2 returns: only the topic allowing unclean election takes it as leader
        cluster.brokers[2].start()
        wait_until(lambda: _state(zk, "dirty", 0)["leader"] == 2, message="unclean election")
        assert _state(zk, "dirty", 0)["isr"] == [2]
        assert _state(zk, "clean", 0)["leader"] == -1
        # the clean partition comes back when its ISR member does
        cluster.brokers[1].start()
        wait_until(lambda: _state(zk, "clean", 0)["leader"] == 1, message="clean leader back")
    finally:
        zk.close()
