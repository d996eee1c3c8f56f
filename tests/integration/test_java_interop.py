"""Apache Kafka's own Java tools (from Maven Central) against a Strom broker -- the reference client."""

import re
import uuid

import confluent_kafka as ck
import pytest

pytestmark = pytest.mark.java


def test_java_console_producer_and_consumer(strom_broker, kafka_tool):
    topic = f"java-console-{uuid.uuid4().hex[:6]}"
    lines = [f"java line {i}" for i in range(20)]
    prod = kafka_tool(
        "kafka-console-producer.sh", ["--bootstrap-server", strom_broker.bootstrap, "--topic", topic], input="\n".join(lines) + "\n"
    )
    assert prod.returncode == 0, prod.stderr
    cons = kafka_tool(
        "kafka-console-consumer.sh",
        [
            "--bootstrap-server",
            strom_broker.bootstrap,
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            "20",
            "--timeout-ms",
            "30000",
        ],
    )
    assert cons.stdout.splitlines() == lines, cons.stderr
    assert "Processed a total of 20 messages" in cons.stderr


def test_java_topics_tool_matches_ours(strom_broker, kafka_tool):
    topic = f"java-topics-{uuid.uuid4().hex[:6]}"
    created = kafka_tool(
        "kafka-topics.sh", ["--bootstrap-server", strom_broker.bootstrap, "--create", "--topic", topic, "--partitions", "3"]
    )
    assert created.returncode == 0 and f"Created topic {topic}." in created.stdout, created.stderr
    listed = kafka_tool("kafka-topics.sh", ["--bootstrap-server", strom_broker.bootstrap, "--list"])
    assert topic in listed.stdout.splitlines()
    described = kafka_tool("kafka-topics.sh", ["--bootstrap-server", strom_broker.bootstrap, "--describe", "--topic", topic])
    assert described.returncode == 0, described.stderr
    assert re.search(rf"Topic: {topic}\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1", described.stdout)
    assert f"Topic: {topic}\tPartition: 2\tLeader: 0\tReplicas: 0\tIsr: 0" in described.stdout


def test_java_producer_perf_test_idempotent(strom_broker, kafka_tool):
    topic = f"java-perf-{uuid.uuid4().hex[:6]}"
    perf = kafka_tool(
        "kafka-producer-perf-test.sh",
        [
            "--topic",
            topic,
            "--num-records",
            "20000",
            "--record-size",
            "100",
            "--throughput",
            "-1",
            "--producer-props",
            f"bootstrap.servers={strom_broker.bootstrap}",
            "acks=all",
            "enable.idempotence=true",
            "compression.type=lz4",
        ],
    )
    assert perf.returncode == 0, perf.stderr[-2000:]
    assert "20000 records sent" in perf.stdout
    consumer = ck.Consumer({"bootstrap.servers": strom_broker.bootstrap, "group.id": "perf-check"})
    low, high = consumer.get_watermark_offsets(ck.TopicPartition(topic, 0), timeout=10)
    consumer.close()
    assert (low, high) == (0, 20000)


def test_java_consumer_groups_tool(strom_broker, kafka_tool):
    topic = f"java-groups-{uuid.uuid4().hex[:6]}"
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap})
    for i in range(30):
        producer.produce(topic, value=b"%d" % i)
    producer.flush(10)
    group = f"g-{uuid.uuid4().hex[:6]}"
    consumer = ck.Consumer(
        {"bootstrap.servers": strom_broker.bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    consumer.subscribe([topic])
    n = 0
    while n < 10:
        msg = consumer.poll(1)
        if msg is not None and msg.error() is None:
            n += 1
    consumer.commit(offsets=[ck.TopicPartition(topic, 0, 10)], asynchronous=False)
    consumer.close()
    listed = kafka_tool("kafka-consumer-groups.sh", ["--bootstrap-server", strom_broker.bootstrap, "--list"])
    assert group in listed.stdout.split(), listed.stderr
    described = kafka_tool("kafka-consumer-groups.sh", ["--bootstrap-server", strom_broker.bootstrap, "--describe", "--group", group])
    row = [line.split() for line in described.stdout.splitlines() if line.startswith(group)]
    assert row and row[0][1:6] == [topic, "0", "10", "30", "20"], described.stdout + described.stderr
    reset = kafka_tool(
        "kafka-consumer-groups.sh",
        ["--bootstrap-server", strom_broker.bootstrap, "--group", group, "--topic", topic, "--reset-offsets", "--to-earliest", "--execute"],
    )
    assert reset.returncode == 0, reset.stderr
    deleted = kafka_tool("kafka-consumer-groups.sh", ["--bootstrap-server", strom_broker.bootstrap, "--delete", "--group", group])
    assert "successful" in deleted.stdout.lower(), deleted.stdout + deleted.stderr
