"""Brokers with zookeeper.connect join a cluster: Kafka 2.8's znodes, one controller, every broker in Metadata."""

from __future__ import annotations

import json

import pytest

from tests.cluster.conftest import wait_until

pytestmark = pytest.mark.zookeeper


def test_three_brokers_register_and_elect_one_controller(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        assert wait_until(lambda: zk.children("/brokers/ids") == ["0", "1", "2"])
        data, stat = zk.get("/brokers/ids/1")
        info = json.loads(data)
        assert info["version"] == 5 and info["endpoints"] == [f"PLAINTEXT://127.0.0.1:{cluster.brokers[1].port}"]
        assert info["host"] == "127.0.0.1" and info["port"] == cluster.brokers[1].port and info["jmx_port"] == -1
        assert stat.ephemeral_owner != 0
        controller = json.loads(zk.get("/controller")[0])
        assert controller["version"] == 1 and controller["brokerid"] in (0, 1, 2)
        assert int(zk.get("/controller_epoch")[0]) >= 1
        cluster_id = json.loads(zk.get("/cluster/id")[0])
        assert cluster_id["version"] == "1" and len(cluster_id["id"]) == 22
        for path in ("/brokers/topics", "/config/topics", "/admin/delete_topics", "/isr_change_notification", "/brokers/seqid"):
            assert zk.exists(path) is not None, path
    finally:
        zk.close()


def test_a_killed_broker_leaves_metadata_even_when_it_led_and_followed_nothing(cluster_factory) -> None:
    """Kafka's controller tells the remaining brokers about a failed broker even when no partition changed
    (onReplicasBecomeOffline sends UpdateMetadata either way): Metadata lists live brokers only."""
    import strom

    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        assert wait_until(lambda: zk.children("/brokers/ids") == ["0", "1", "2"])
        controller = json.loads(zk.get("/controller")[0])["brokerid"]
        victim = next(b for b in (2, 1, 0) if b != controller)
        survivor = next(b for b in (0, 1, 2) if b not in (victim, controller))
        admin = strom.AdminClient({"bootstrap.servers": cluster.brokers[survivor].bootstrap})
        assert wait_until(lambda: sorted(admin.list_topics(timeout=10).brokers) == [0, 1, 2])
        cluster.brokers[victim].kill()  # no topic exists: it leads nothing and is in no ISR
        assert wait_until(lambda: zk.children("/brokers/ids") == sorted(str(b) for b in (0, 1, 2) if b != victim))
        assert wait_until(lambda: victim not in admin.list_topics(timeout=10).brokers, timeout=15, message="dead broker in Metadata")
        admin.close()
    finally:
        zk.close()
