"""Kafka's own Java tools against a 3-broker Strom cluster: kafka-topics --describe, kafka-leader-election,
kafka-reassign-partitions (AlterPartitionReassignments / ListPartitionReassignments)."""

from __future__ import annotations

import json
import re

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from tests.cluster.conftest import wait_until

pytestmark = [pytest.mark.zookeeper, pytest.mark.java]


def _state(zk, topic: str, p: int) -> dict:
    return json.loads(zk.get(f"/brokers/topics/{topic}/partitions/{p}/state")[0])


def _assignment(zk, topic: str) -> dict[int, list[int]]:
    return {int(p): r for p, r in json.loads(zk.get(f"/brokers/topics/{topic}")[0])["partitions"].items()}


def test_topics_describe_leader_election_and_reassignment(cluster_factory, kafka_tool, tmp_path) -> None:
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    boot = cluster.bootstrap
    try:
        created = kafka_tool(
            "kafka-topics.sh",
            ["--bootstrap-server", boot, "--create", "--topic", "tools", "--partitions", "3", "--replication-factor", "3"],
        )
        assert created.returncode == 0 and "Created topic tools." in created.stdout, created.stderr
        assignment = _assignment(zk, "tools")
        wait_until(lambda: all(zk.exists(f"/brokers/topics/tools/partitions/{p}/state") for p in range(3)))

        def described_all():
            out = kafka_tool("kafka-topics.sh", ["--bootstrap-server", boot, "--describe", "--topic", "tools"]).stdout
            return out if "Leader: none" not in out and out.count("Isr:") == 3 else None

        out = wait_until(described_all, timeout=30, interval=0.5)
        assert re.search(r"Topic: tools\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 3", out), out
        for p, replicas in assignment.items():
            state = _state(zk, "tools", p)
            isr = ",".join(map(str, state["isr"]))
            assert f"Partition: {p}\tLeader: {replicas[0]}\tReplicas: {','.join(map(str, replicas))}\tIsr: {isr}" in out, out

        # move leadership away from broker 1 with a controlled shutdown, bring it back, then elect the preferred leaders
        led_by_1 = [p for p, r in assignment.items() if r[0] == 1]
        cluster.brokers[1].stop()
        cluster.brokers[1].start()
        for p in led_by_1:
            assert _state(zk, "tools", p)["leader"] != 1
            wait_until(lambda p=p: 1 in _state(zk, "tools", p)["isr"], timeout=30, message="broker 1 back in the ISR")
        elected = kafka_tool(
            "kafka-leader-election.sh", ["--bootstrap-server", boot, "--election-type", "preferred", "--all-topic-partitions"]
        )
        assert elected.returncode == 0, elected.stdout + elected.stderr
        for p in led_by_1:
            assert f"tools-{p}" in elected.stdout
            assert _state(zk, "tools", p)["leader"] == 1
        again = kafka_tool(
            "kafka-leader-election.sh", ["--bootstrap-server", boot, "--election-type", "preferred", "--topic", "tools", "--partition", "0"]
        )
        assert "Valid replica already elected for partitions" in again.stdout + again.stderr

        # reassignment: partition 0 from three replicas to two, with a new preferred leader
        target = [r for r in assignment[0] if r != assignment[0][0]]
        plan = tmp_path / "plan.json"
        plan.write_text(json.dumps({"version": 1, "partitions": [{"topic": "tools", "partition": 0, "replicas": target}]}))
        run = kafka_tool("kafka-reassign-partitions.sh", ["--bootstrap-server", boot, "--reassignment-json-file", str(plan), "--execute"])
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Successfully started partition reassignment" in run.stdout

        def verified():
            out = kafka_tool(
                "kafka-reassign-partitions.sh", ["--bootstrap-server", boot, "--reassignment-json-file", str(plan), "--verify"]
            )
            return out.stdout if "Reassignment of partition tools-0 is completed" in out.stdout else None

        wait_until(verified, timeout=40, interval=1.0, message="reassignment completed")
        assert _assignment(zk, "tools")[0] == target
        state = _state(zk, "tools", 0)
        assert state["leader"] == target[0] and sorted(state["isr"]) == sorted(target)
        topic = json.loads(zk.get("/brokers/topics/tools")[0])
        assert topic["adding_replicas"] == {} and topic["removing_replicas"] == {}
        removed = assignment[0][0]
        wait_until(lambda: not (cluster.brokers[removed].base / "data" / "tools-0").exists(), message="removed replica's log deleted")

        # the Java client follows the moved leaders: produce with acks=all, consume everything back
        lines = [f"java-{i}" for i in range(60)]
        produced = kafka_tool(
            "kafka-console-producer.sh",
            ["--bootstrap-server", boot, "--topic", "tools", "--producer-property", "acks=all"],
            input="\n".join(lines) + "\n",
        )
        assert produced.returncode == 0, produced.stderr
        consumed = kafka_tool(
            "kafka-console-consumer.sh",
            ["--bootstrap-server", boot, "--topic", "tools", "--from-beginning", "--max-messages", "60", "--timeout-ms", "30000"],
        )
        assert sorted(consumed.stdout.split()) == sorted(lines), consumed.stderr[-2000:]
    finally:
        zk.close()


def _topic_config_on(broker_bootstrap: str, topic: str, key: str) -> tuple[str, int]:
    """(value, source) of a topic config as one given broker computes it (its dynamic broker configs apply)."""
    import asyncio

    from strom.protocol.schema.describe_configs import DescribeConfigsRequest, DescribeConfigsResource
    from strom.transport.connection import BrokerConnection

    async def ask() -> tuple[str, int]:
        host, port = broker_bootstrap.split(":")
        conn = BrokerConnection(host, int(port))
        await conn.connect()
        try:
            response = await conn.send(
                DescribeConfigsRequest(resources=[DescribeConfigsResource(resource_type=2, resource_name=topic, configuration_keys=[key])]),
                version=1,
            )
        finally:
            conn.close()
        entries = response.results[0].configs  # none while this broker does not know the topic yet
        return (entries[0].value, entries[0].config_source) if entries else ("", -1)

    return asyncio.run(ask())


def _broker_config_of(admin, broker_id: int, key: str) -> tuple[str, int]:
    resource = ConfigResource(ConfigResource.Type.BROKER, str(broker_id))
    entry = admin.describe_configs([resource])[resource].result(30)[key]
    return entry.value, int(entry.source)


def test_kafka_configs_dynamic_broker_configs(cluster_factory, kafka_tool) -> None:
    """kafka-configs --entity-type brokers (--entity-name N / --entity-default) writes /config/brokers/<id> or
    <default> plus a /config/changes notification; each broker applies the ones meant for it, and describes
    them with DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG as their source (Kafka 2.8)."""
    cluster = cluster_factory(3)
    zk = cluster.zk_client()
    boot = cluster.bootstrap

    def configs(*args: str) -> str:
        done = kafka_tool("kafka-configs.sh", ["--bootstrap-server", boot, "--entity-type", "brokers", *args])
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    try:
        admin = AdminClient({"bootstrap.servers": boot})
        admin.create_topics([NewTopic("dyn", 1, 3)])["dyn"].result(30)
        configs("--entity-default", "--alter", "--add-config", "log.retention.bytes=5000000,log.segment.bytes=2000000")
        configs("--entity-name", "1", "--alter", "--add-config", "log.retention.bytes=1000000")
        # ZooKeeper holds what Kafka 2.8 writes
        assert json.loads(zk.get("/config/brokers/<default>")[0]) == {
            "version": 1,
            "config": {"log.retention.bytes": "5000000", "log.segment.bytes": "2000000"},
        }
        assert json.loads(zk.get("/config/brokers/1")[0]) == {"version": 1, "config": {"log.retention.bytes": "1000000"}}
        changes = [json.loads(zk.get(f"/config/changes/{c}")[0])["entity_path"] for c in zk.children("/config/changes")]
        assert "brokers/<default>" in changes and "brokers/1" in changes

        # each broker applies its own: broker 1 its override, brokers 0 and 2 the cluster default
        expected = {0: ("5000000", 3), 1: ("1000000", 2), 2: ("5000000", 3)}
        wait_until(
            lambda: {b: _topic_config_on(p.bootstrap, "dyn", "retention.bytes") for b, p in cluster.brokers.items()} == expected,
            message="dynamic configs applied on every broker",
        )
        out = configs("--entity-name", "1", "--describe")
        assert "log.retention.bytes=1000000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.bytes=1000000, " in out, out
        assert "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.bytes=5000000" in out, out
        out = configs("--entity-default", "--describe")
        assert "log.segment.bytes=2000000" in out and "log.retention.bytes=5000000" in out, out
        assert _broker_config_of(admin, 2, "log.retention.bytes") == ("5000000", 3)  # DYNAMIC_DEFAULT_BROKER_CONFIG
        assert _broker_config_of(admin, 1, "log.retention.bytes") == ("1000000", 2)  # DYNAMIC_BROKER_CONFIG

        # a restarted broker reads them back from ZooKeeper; a deleted override falls back to the default
        cluster.brokers[2].stop()
        cluster.brokers[2].start()
        wait_until(lambda: _topic_config_on(cluster.brokers[2].bootstrap, "dyn", "segment.bytes") == ("2000000", 3))
        configs("--entity-name", "1", "--alter", "--delete-config", "log.retention.bytes")
        wait_until(lambda: _topic_config_on(cluster.brokers[1].bootstrap, "dyn", "retention.bytes") == ("5000000", 3))
    finally:
        zk.close()
