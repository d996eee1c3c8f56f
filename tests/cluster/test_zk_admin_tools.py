"""Kafka's own Java tools against a 3-broker Strom cluster: kafka-topics --describe, kafka-leader-election,
kafka-reassign-partitions (AlterPartitionReassignments / ListPartitionReassignments)."""

from __future__ import annotations

import json
import re

import pytest

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
