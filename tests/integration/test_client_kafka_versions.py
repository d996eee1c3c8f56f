"""API version negotiation across Kafka releases: strom's Producer, Consumer and AdminClient against
Apache Kafka 2.8.1 (ZooKeeper mode), the oldest release the client promises, and 4.0.0 (KRaft, which
dropped many old request versions, KIP-896); jars from Maven Central. 3.9 is covered by every other
client test. Through a recording proxy: every request uses the highest version both sides know
(2.8's maxima are below Strom's and Kafka 3.9's: Produce 9, Fetch 12, Metadata 11, ...)."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import strom
from strom import NewTopic, TopicPartition
from strom.client.admin_types import ConsumerGroupTopicPartitions
from strom.protocol.messages import SUPPORTED_VERSIONS
from strom.testing.apache_kafka import ApacheKafka, java_command
from strom.testing.broker import free_port
from strom.testing.kafka_proxy import KafkaProxy
from strom.testing.zookeeper import ZooKeeperProcess

pytestmark = pytest.mark.java

API_VERSIONS = 18
# the highest versions Apache Kafka 2.8.1 serves for APIs the client uses (its ApiVersions answer)
KAFKA_28_MAX = {0: 9, 1: 12, 2: 6, 3: 11, 8: 8, 9: 7, 10: 3, 11: 7, 12: 4, 13: 4, 14: 5, 15: 5, 16: 4, 19: 7, 21: 2, 22: 4, 32: 4, 60: 0}


@pytest.fixture(scope="module", params=[pytest.param("2.8.1", marks=pytest.mark.zookeeper), "4.0.0"])
def kafka(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if request.param == "2.8.1":
        yield from kafka28(tmp_path_factory)
        return
    broker = ApacheKafka(version=request.param).start()
    try:
        yield request.param, broker.bootstrap
    finally:
        broker.close()


def kafka28(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    zk = ZooKeeperProcess().start()
    base = tmp_path_factory.mktemp("kafka28")
    port = free_port()
    props = {
        "broker.id": "0",
        "listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "zookeeper.connect": f"{zk.connect}/kafka28",
        "log.dirs": str(base / "data"),
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    cfg = base / "server.properties"
    cfg.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    out = open(base / "kafka.out", "wb")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(java_command("kafka.Kafka", [str(cfg)], "2.8.1", heap="512m"), stdout=out, stderr=subprocess.STDOUT)
    out.close()
    try:
        wait_serving(proc, port, base / "kafka.out")
        yield "2.8.1", f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        zk.close()


def wait_serving(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(2.0)  # the socket opens a moment before the broker registers in ZooKeeper
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"Kafka 2.8.1 did not start: {log.read_text()[-2000:]}")


def test_client_negotiates_versions_and_works(kafka: tuple[str, str]) -> None:
    version, address = kafka
    host, port = address.rsplit(":", 1)
    proxy = KafkaProxy(host, int(port)).start()
    try:
        bootstrap = proxy.bootstrap
        topic = f"k28-{uuid.uuid4().hex[:8]}"
        admin = strom.AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, 2, 1, config={"retention.ms": "3600000"})])[topic].result(30)

        producer = strom.Producer({"bootstrap.servers": bootstrap, "compression.type": "zstd"})  # zstd needs Produce v7+
        reports: list[tuple[object, int, int]] = []
        for i in range(40):
            producer.produce(topic, b"v%d" % i, key=b"k%d" % i, on_delivery=lambda e, m: reports.append((e, m.partition(), m.offset())))
        assert producer.flush(30) == 0
        assert len(reports) == 40 and all(e is None for e, _, _ in reports)

        group = f"g-{uuid.uuid4().hex[:6]}"
        consumer = strom.Consumer(
            {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
        )
        consumer.subscribe([topic])
        got = []
        deadline = time.monotonic() + 60
        while len(got) < 40 and time.monotonic() < deadline:
            got += [m for m in consumer.consume(100, 0.5) if m.error() is None]
        assert sorted(m.value() for m in got) == sorted(b"v%d" % i for i in range(40))
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        assert sum(tp.offset for tp in committed) == 40
        consumer.close()

        assert any(g.group_id == group for g in admin.list_consumer_groups().result(20).valid)
        offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(20)
        assert sum(tp.offset for tp in offsets.topic_partitions) == 40
        deleted = admin.delete_records([TopicPartition(topic, 0, 1)])
        assert [f.result(20).low_watermark for f in deleted.values()] == [1]
        cluster = admin.describe_cluster().result(20)
        assert len(cluster.nodes) == 1
        admin.close()
    finally:
        proxy.close()

    theirs = {k.api_key: k.max_version for k in proxy.responses_of(API_VERSIONS)[0].api_keys}
    used = {(e.api_key, e.version) for e in proxy.requests if e.api_key != API_VERSIONS}
    assert used, "nothing went through the proxy"
    for api_key, v in used:
        assert v == min(theirs[api_key], SUPPORTED_VERSIONS[api_key][1], 12 if api_key == 1 else 99), (api_key, v)
    if version == "2.8.1":
        assert all(v <= KAFKA_28_MAX.get(k, v) for k, v in used), sorted(used)
        assert (0, 9) in used and (1, 12) in used and (3, 11) in used
    assert {0, 1, 3, 8, 9, 10, 11, 14, 19} <= {k for k, _ in used}  # produce, fetch, metadata, groups, admin
    fetches = proxy.requests_of(1)
    assert any(f.session_epoch > 0 for f in fetches)  # 2.8 keeps incremental fetch sessions too


@pytest.mark.slow  # Kafka 4.0's 5 s heartbeat interval makes its rebalances take ~30 s
def test_consumer_protocol_members_share_a_group_on_kafka_40(kafka: tuple[str, str]) -> None:
    """group.protocol=consumer (KIP-848) against Apache Kafka 4.0's coordinator: two Strom members and a
    librdkafka one split the partitions and read every record once; a leaving Strom member's share moves."""
    import confluent_kafka as ck

    version, bootstrap = kafka
    if version != "4.0.0":
        pytest.skip("Kafka 2.8 has no KIP-848 coordinator")
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    topic = f"kip848-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, 6, 1)])[topic].result(30)
    producer = strom.Producer({"bootstrap.servers": bootstrap})
    for i in range(60):
        producer.produce(topic, value=b"%d" % i, partition=i % 6)
    assert producer.flush(30) == 0
    group = f"g-{uuid.uuid4().hex[:6]}"
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer", "auto.offset.reset": "earliest"}
    ours = [strom.Consumer(conf) for _ in range(2)]
    members: list = [*ours, ck.Consumer(conf)]
    for c in members:
        c.subscribe([topic])
    seen: set[bytes] = set()

    def settled(cs: list, each: int) -> bool:
        for c in cs:
            msg = c.poll(0.05)
            if msg is not None and msg.error() is None:
                seen.add(msg.value())
        return all(len(c.assignment()) == each for c in cs)

    deadline = time.monotonic() + 90
    while not (settled(members, 2) and len(seen) == 60):
        assert time.monotonic() < deadline, ([len(c.assignment()) for c in members], len(seen))
    ours[0].close()
    rest = members[1:]
    while not settled(rest, 3):
        assert time.monotonic() < deadline, [len(c.assignment()) for c in rest]
    for c in rest:
        c.close()
