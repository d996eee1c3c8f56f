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
