"""Topics in ZooKeeper mode: any broker writes Kafka 2.8's znodes, the controller assigns leaders, every broker
answers Metadata from its UpdateMetadata cache (real clients: confluent-kafka)."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from tests.cluster.conftest import wait_until

pytestmark = pytest.mark.zookeeper


def _admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000})


def test_create_topic_writes_kafka_znodes_and_every_broker_serves_metadata(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        admin = _admin(cluster.brokers[1].bootstrap)
        admin.create_topics([NewTopic("orders", 6, 3, config={"retention.ms": "3600000"})])["orders"].result(30)
        topic = json.loads(zk.get("/brokers/topics/orders")[0])
        assert topic["version"] == 3 and len(topic["topic_id"]) == 22
        assert topic["adding_replicas"] == {} and topic["removing_replicas"] == {}
        assignment = {int(p): r for p, r in topic["partitions"].items()}
        assert sorted(assignment) == list(range(6))
        assert all(sorted(r) == [0, 1, 2] for r in assignment.values())
        # round-robin: each broker is the preferred leader of two partitions
        assert sorted(r[0] for r in assignment.values()) == [0, 0, 1, 1, 2, 2]
        assert json.loads(zk.get("/config/topics/orders")[0]) == {"version": 1, "config": {"retention.ms": "3600000"}}
        for p, replicas in assignment.items():
            state = json.loads(wait_until(lambda p=p: zk.get(f"/brokers/topics/orders/partitions/{p}/state"))[0])
            assert state["leader"] == replicas[0] and sorted(state["isr"]) == [0, 1, 2]
            assert state["leader_epoch"] == 0 and state["version"] == 1 and state["controller_epoch"] >= 1

        controller_id = json.loads(zk.get("/controller")[0])["brokerid"]
        for broker in cluster.brokers.values():

            def leaders_known(broker=broker):
                md = _admin(broker.bootstrap).list_topics("orders", timeout=10)
                parts = md.topics["orders"].partitions
                return md if len(parts) == 6 and all(pm.leader >= 0 for pm in parts.values()) else None

            md = wait_until(leaders_known, message=f"leaders on broker {broker.bootstrap}")
            assert sorted(md.brokers) == [0, 1, 2]
            assert md.controller_id == controller_id
            assert {b.port for b in md.brokers.values()} == {b.port for b in cluster.brokers.values()}
            for p, pm in md.topics["orders"].partitions.items():
                assert pm.leader == assignment[p][0]
                assert pm.replicas == assignment[p] and sorted(pm.isrs) == [0, 1, 2]
    finally:
        zk.close()


def test_create_partitions_delete_topic_and_bad_requests(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        admin = _admin(cluster.bootstrap)
        admin.create_topics([NewTopic("grow", 2, 2)])["grow"].result(30)
        # replication factor larger than the live brokers: Kafka's error, nothing written
        with pytest.raises(Exception, match="INVALID_REPLICATION_FACTOR|larger than available brokers"):
            admin.create_topics([NewTopic("too-wide", 1, 4)])["too-wide"].result(30)
        assert zk.exists("/brokers/topics/too-wide") is None
        with pytest.raises(Exception, match="TOPIC_ALREADY_EXISTS|already exists"):
            admin.create_topics([NewTopic("grow", 1, 1)])["grow"].result(30)

        admin.create_partitions([NewPartitions("grow", 5)])["grow"].result(30)
        topic = json.loads(zk.get("/brokers/topics/grow")[0])
        assert sorted(int(p) for p in topic["partitions"]) == [0, 1, 2, 3, 4]
        assert all(len(r) == 2 and len(set(r)) == 2 for r in topic["partitions"].values())
        wait_until(lambda: all(zk.exists(f"/brokers/topics/grow/partitions/{p}/state") for p in range(5)))
        wait_until(lambda: len(admin.list_topics("grow", timeout=10).topics["grow"].partitions) == 5)

        admin.delete_topics(["grow"])["grow"].result(30)
        wait_until(lambda: zk.exists("/admin/delete_topics/grow") is None, message="deletion completed")
        assert zk.exists("/brokers/topics/grow") is None and zk.exists("/config/topics/grow") is None
        for broker in cluster.brokers.values():
            wait_until(lambda broker=broker: "grow" not in _admin(broker.bootstrap).list_topics(timeout=10).topics)
    finally:
        zk.close()


def test_deleting_a_topic_with_an_offline_replica_completes_when_it_returns(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        admin = _admin(cluster.brokers[0].bootstrap)
        admin.create_topics([NewTopic("gone", 2, 3)])["gone"].result(30)
        data_dir = cluster.brokers[2].base / "data"
        wait_until(lambda: (data_dir / "gone-0").exists() and (data_dir / "gone-1").exists(), message="replica logs on broker 2")
        cluster.brokers[2].kill()
        wait_until(lambda: "2" not in zk.children("/brokers/ids"), message="broker 2 expired")
        admin.delete_topics(["gone"])["gone"].result(30)
        # Kafka's rule: the deletion waits for the offline replica; the topic is gone for clients already
        wait_until(lambda: "gone" not in admin.list_topics(timeout=10).topics, message="topic hidden")
        assert zk.exists("/brokers/topics/gone") is not None and zk.exists("/admin/delete_topics/gone") is not None
        cluster.brokers[2].start()
        wait_until(lambda: zk.exists("/admin/delete_topics/gone") is None, message="deletion completed")
        assert zk.exists("/brokers/topics/gone") is None and zk.exists("/config/topics/gone") is None
        wait_until(lambda: not (data_dir / "gone-0").exists() and not (data_dir / "gone-1").exists(), message="stray logs deleted")
    finally:
        zk.close()
