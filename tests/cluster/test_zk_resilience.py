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


def test_slow_zookeeper_does_not_stall_produce() -> None:
    """Admin requests wait for ZooKeeper in the executor: while ZooKeeper is paused (SIGSTOP), a CreateTopics
    to the controller hangs, but produce to a partition that broker leads goes on at normal speed."""
    import os
    import signal
    import time

    from confluent_kafka import Producer

    zk_server = ZooKeeperProcess().start()
    cluster = Cluster(zk_server, 2, {"zookeeper.session.timeout.ms": "18000"})  # ZooKeeper ops wait up to 6 s
    try:
        cluster.start()
        zk = cluster.zk_client()
        controller = json.loads(zk.get("/controller")[0])["brokerid"]
        target = cluster.brokers[controller].bootstrap
        admin = AdminClient({"bootstrap.servers": target})
        admin.create_topics([NewTopic("fast", 1, replica_assignment=[[controller]])])["fast"].result(30)
        producer = Producer({"bootstrap.servers": target, "acks": "1", "linger.ms": 0})

        def produce_once() -> float:
            started = time.monotonic()
            producer.produce("fast", b"x", partition=0)
            assert producer.flush(10) == 0
            return time.monotonic() - started

        for _ in range(20):
            produce_once()
        os.kill(zk_server.proc.pid, signal.SIGSTOP)
        try:
            pending = admin.create_topics([NewTopic(f"slow-{i}", 1, 1) for i in range(3)], operation_timeout=20, request_timeout=20)
            time.sleep(0.2)  # the CreateTopics is now waiting for ZooKeeper on the controller
            slowest = max(produce_once() for _ in range(30))
            assert not any(f.done() for f in pending.values())
        finally:
            os.kill(zk_server.proc.pid, signal.SIGCONT)
        assert slowest < 1.0, f"a produce took {slowest:.2f}s while ZooKeeper was paused"
        for f in pending.values():  # answered once ZooKeeper is back: created, or REQUEST_TIMED_OUT (retriable)
            try:
                f.result(30)
            except KafkaException as exc:
                assert exc.args[0].code() == KafkaError.REQUEST_TIMED_OUT, exc
    finally:
        cluster.close()
        zk_server.close()
