"""Automatic preferred-leader rebalancing and the ZooKeeper admin znodes of Kafka 2.8's --zookeeper tools."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from tests.cluster.conftest import wait_until

pytestmark = pytest.mark.zookeeper


def _state(zk, topic: str, p: int) -> dict:
    return json.loads(zk.get(f"/brokers/topics/{topic}/partitions/{p}/state")[0])


def _assignment(zk, topic: str) -> dict[int, list[int]]:
    return {int(p): r for p, r in json.loads(zk.get(f"/brokers/topics/{topic}")[0])["partitions"].items()}


def test_leadership_returns_to_preferred_replicas_and_legacy_admin_znodes(cluster_factory) -> None:
    cluster = cluster_factory(3, leader_imbalance_check_interval_seconds="1")
    zk = cluster.zk_client()
    try:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([NewTopic("pref", 3, 3), NewTopic("legacy", 1, 2)])["pref"].result(30)
        assignment = _assignment(zk, "pref")
        wait_until(lambda: all(zk.exists(f"/brokers/topics/pref/partitions/{p}/state") for p in range(3)))
        led_by_2 = [p for p, r in assignment.items() if r[0] == 2]
        cluster.brokers[2].stop()
        assert all(_state(zk, "pref", p)["leader"] != 2 for p in led_by_2)
        cluster.brokers[2].start()
        # auto.leader.rebalance.enable (default true): once back in the ISR, broker 2 leads its partitions again
        for p in led_by_2:
            wait_until(lambda p=p: _state(zk, "pref", p)["leader"] == 2, timeout=40, message="preferred leader restored")

        # kafka-reassign-partitions.sh --zookeeper (2.8) writes /admin/reassign_partitions
        wait_until(lambda: zk.exists("/brokers/topics/legacy/partitions/0/state"))
        old = _assignment(zk, "legacy")[0]
        target = sorted({0, 1, 2} - {old[0]}) if len(old) == 2 else old
        zk.create(
            "/admin/reassign_partitions",
            json.dumps({"version": 1, "partitions": [{"topic": "legacy", "partition": 0, "replicas": target}]}).encode(),
        )
        wait_until(lambda: _assignment(zk, "legacy")[0] == target, timeout=40, message="legacy reassignment done")
        assert zk.exists("/admin/reassign_partitions") is None
        wait_until(lambda: sorted(_state(zk, "legacy", 0)["isr"]) == sorted(target), timeout=40)
    finally:
        zk.close()
