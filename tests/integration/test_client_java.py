"""strom's client beside Apache Kafka's Java client: same key -> same partition, identical records read by
the Java console consumer, one consumer group shared with a Java consumer, and read_committed against
Apache Kafka's transactions (written by confluent-kafka's transactional producer)."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator

import confluent_kafka as ck
import pytest

import strom
from strom import NewTopic, TopicPartition
from strom.testing.apache_kafka import TOOLS, java_command
from strom.testing.broker import BrokerProcess

pytestmark = pytest.mark.java


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides={"group.min.session.timeout.ms": "1000"}).start()
    yield b
    b.close()


def make_topic(bootstrap: str, partitions: int) -> str:
    name = f"jv-{uuid.uuid4().hex[:8]}"
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(20)
    admin.close()
    return name


def test_java_console_tools_agree_with_strom_producer(broker: BrokerProcess, kafka_tool) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = make_topic(broker.bootstrap, 5), make_topic(broker.bootstrap, 5)
    keys = [f"user-{i}" for i in range(30)]
    p = strom.Producer({"bootstrap.servers": broker.bootstrap})
    for i, k in enumerate(keys):
        p.produce(ours, f"value {i}", key=k)
    assert p.flush(30) == 0
    p.close()
    java_in = "".join(f"{k}\tvalue {i}\n" for i, k in enumerate(keys))
    prod = kafka_tool(
        "kafka-console-producer.sh",
        ["--bootstrap-server", broker.bootstrap, "--topic", theirs, "--property", "parse.key=true"],
        input=java_in,
    )
    assert prod.returncode == 0, prod.stderr

    def read(topic: str) -> dict[str, tuple[int, str]]:
        out = kafka_tool(
            "kafka-console-consumer.sh",
            [
                "--bootstrap-server",
                broker.bootstrap,
                "--topic",
                topic,
                "--from-beginning",
                "--max-messages",
                "30",
                "--timeout-ms",
                "30000",
                "--property",
                "print.key=true",
                "--property",
                "print.partition=true",
            ],
        )
        rows = {}
        for line in out.stdout.splitlines():
            part, key, value = line.split("\t")
            rows[key] = (int(part.removeprefix("Partition:")), value)
        return rows

    ours_rows, theirs_rows = read(ours), read(theirs)
    assert len(ours_rows) == 30
    assert ours_rows == theirs_rows  # same values, and the Java producer put each key where we did


def test_group_shared_with_a_java_consumer(broker: BrokerProcess, kafka_tool) -> None:  # type: ignore[no-untyped-def]
    topic = make_topic(broker.bootstrap, 4)
    group = f"jg-{uuid.uuid4().hex[:6]}"
    java = subprocess.Popen(
        java_command(
            TOOLS["kafka-console-consumer.sh"],
            ["--bootstrap-server", broker.bootstrap, "--topic", topic, "--group", group, "--consumer-property", "session.timeout.ms=6000"],
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    admin = strom.AdminClient({"bootstrap.servers": broker.bootstrap})
    c = None
    try:
        deadline = time.monotonic() + 60

        def members() -> list[list[int]]:
            try:
                desc = admin.describe_consumer_groups([group])[group].result(10)
            except strom.KafkaError:
                return []
            if desc.state != "Stable":
                return []
            return sorted(sorted(tp.partition for tp in m.assignment.topic_partitions) for m in desc.members)

        while members() != [[0, 1, 2, 3]]:
            assert time.monotonic() < deadline, "the Java consumer did not join"
            time.sleep(0.3)
        c = strom.Consumer(
            {"bootstrap.servers": broker.bootstrap, "group.id": group, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
        )
        c.subscribe([topic])
        while True:
            c.poll(0.2)
            mine = sorted(tp.partition for tp in c.assignment())
            if len(mine) == 2 and len(members()) == 2:
                break
            assert time.monotonic() < deadline, (mine, members())
        others = [m for m in members() if m != mine]
        assert len(others) == 1 and not set(others[0]) & set(mine) and sorted(others[0] + mine) == [0, 1, 2, 3]
    finally:
        if c is not None:
            c.close()
        java.terminate()
        java.wait(30)
        admin.close()


def test_read_committed_hides_aborted_transactions(apache_kafka) -> None:  # type: ignore[no-untyped-def]
    bootstrap = apache_kafka.bootstrap
    topic = make_topic(bootstrap, 1)
    tx = ck.Producer({"bootstrap.servers": bootstrap, "transactional.id": f"tx-{uuid.uuid4().hex[:6]}"})
    tx.init_transactions(30)
    for label, commit in (("a", True), ("b", False), ("c", True), ("d", False)):
        tx.begin_transaction()
        for i in range(5):
            tx.produce(topic, f"{label}{i}".encode())
        assert tx.flush(30) == 0  # aborted records must reach the log, or there is nothing to hide
        if commit:
            tx.commit_transaction(30)
        else:
            tx.abort_transaction(30)

    def read(level: str) -> list[bytes]:
        c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": f"rc-{uuid.uuid4().hex[:6]}", "isolation.level": level})
        c.assign([TopicPartition(topic, 0, strom.OFFSET_BEGINNING)])
        got: list[bytes] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            msgs = c.consume(100, 1)
            got += [m.value() for m in msgs]
            if not msgs and got:
                break
        c.close()
        return got

    assert read("read_committed") == [f"{x}{i}".encode() for x in "ac" for i in range(5)]
    assert read("read_uncommitted") == [f"{x}{i}".encode() for x in "abcd" for i in range(5)]
