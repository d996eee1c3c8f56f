"""ZooKeeper unreachable, duplicate broker ids, a ZooKeeper restart, config changes seen by every broker."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

from strom.testing.broker import BrokerProcess, free_port
from strom.testing.zookeeper import ZooKeeperProcess
from tests.cluster.conftest import Cluster, wait_until

pytestmark = pytest.mark.zookeeper


def test_unreachable_zookeeper_is_one_line_and_exit_1() -> None:
    broker = BrokerProcess(overrides={"zookeeper.connect": f"127.0.0.1:{free_port()}", "zookeeper.connection.timeout.ms": "1500"})
    try:
        with pytest.raises(RuntimeError, match="broker exited with 1"):
            broker.start()
        assert "Timed out waiting for connection to ZooKeeper" in broker.output()
        assert "Traceback" not in broker.output()
    finally:
        broker.close()


def test_duplicate_broker_id_is_refused(cluster_factory) -> None:
    cluster = cluster_factory(1)
    twin = BrokerProcess(overrides={"broker.id": "0", "zookeeper.connect": cluster.connect, "zookeeper.session.timeout.ms": "2000"})
    try:
        with pytest.raises(RuntimeError, match="broker exited with 1"):
            twin.start()
        assert "node already exists" in twin.output()
    finally:
        twin.close()


def test_topic_config_change_reaches_every_broker(cluster_factory) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    try:
        admin = AdminClient({"bootstrap.servers": cluster.brokers[0].bootstrap})
        admin.create_topics([NewTopic("cfg", 1, 3)])["cfg"].result(30)
        entry = ConfigEntry("retention.ms", "12345", incremental_operation=AlterConfigOpType.SET)
        res = ConfigResource(ConfigResource.Type.TOPIC, "cfg", incremental_configs=[entry])
        admin.incremental_alter_configs([res])[res].result(30)
        assert json.loads(zk.get("/config/topics/cfg")[0])["config"]["retention.ms"] == "12345"
        changes = zk.children("/config/changes")
        assert any(json.loads(zk.get(f"/config/changes/{c}")[0]) == {"version": 2, "entity_path": "topics/cfg"} for c in changes)

        def seen_by(broker):
            admin = AdminClient({"bootstrap.servers": broker.bootstrap})
            configs = next(iter(admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, "cfg")]).values())).result(10)
            return configs["retention.ms"].value == "12345"

        for broker in cluster.brokers.values():
            wait_until(lambda broker=broker: seen_by(broker), message=f"config on {broker.bootstrap}")
    finally:
        zk.close()


def test_zookeeper_restart_keeps_the_cluster_working() -> None:
    zk_server = ZooKeeperProcess().start()
    cluster = Cluster(zk_server, 3, {})
    try:
        cluster.start()
        zk = cluster.zk_client()
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        admin.create_topics([NewTopic("before", 3, 3)])["before"].result(30)
        epoch = int(zk.get("/controller_epoch")[0])

        zk_server.stop()
        zk_server.start()
        zk = cluster.zk_client()
        wait_until(lambda: zk.children("/brokers/ids") == ["0", "1", "2"], message="brokers registered after restart")

        def created() -> bool:
            # REQUEST_TIMED_OUT while a broker's ZooKeeper session is still reconnecting is retriable
            try:
                admin.create_topics([NewTopic("after", 3, 3)])["after"].result(30)
                return True
            except KafkaException as exc:
                assert exc.args[0].code() in (KafkaError.REQUEST_TIMED_OUT, KafkaError.TOPIC_ALREADY_EXISTS), exc
                return exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS

        wait_until(created, timeout=30, interval=0.5, message="topic created after the restart")
        wait_until(lambda: all(zk.exists(f"/brokers/topics/after/partitions/{p}/state") for p in range(3)))
        # watches survived: a broker death is still noticed and handled
        controller = json.loads(zk.get("/controller")[0])["brokerid"]
        assert int(zk.get("/controller_epoch")[0]) == epoch
        victim = next(b for b in (0, 1, 2) if b != controller)
        cluster.brokers[victim].kill()
        for t in ("before", "after"):
            for p in range(3):
                wait_until(
                    lambda t=t, p=p: json.loads(zk.get(f"/brokers/topics/{t}/partitions/{p}/state")[0])["leader"] not in (victim, -1),
                    message=f"{t}-{p} leader moved",
                )
    finally:
        cluster.close()
        zk_server.close()
