"""A real Strom broker process driven by clients this project did not write."""

import asyncio
import socket
import struct
import subprocess
import time
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def topic_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def consume_all(bootstrap: str, topic: str, n: int, partitions: int = 1, timeout: float = 20.0, **conf):
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False, **conf})
    consumer.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        out.append(msg)
    consumer.close()
    return out


def test_kcat_metadata_produce_consume(strom_broker, kcat):
    topic = topic_name("kcat")
    lines = "\n".join(f"line-{i}" for i in range(50)) + "\n"
    subprocess.run([kcat, "-b", strom_broker.bootstrap, "-P", "-t", topic], input=lines.encode(), check=True, timeout=30)
    out = subprocess.run(
        [kcat, "-b", strom_broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%o:%s\n"],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout.decode()
    assert out.splitlines() == [f"{i}:line-{i}" for i in range(50)]
    meta = subprocess.run(
        [kcat, "-b", strom_broker.bootstrap, "-L", "-t", topic], capture_output=True, check=True, timeout=30
    ).stdout.decode()
    assert "1 brokers" in meta and f'topic "{topic}" with 1 partitions' in meta


@pytest.mark.parametrize("codec", CODECS)
def test_confluent_every_codec_keys_headers_nulls(strom_broker, codec):
    topic = topic_name(f"codec-{codec}")
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap, "compression.type": codec, "linger.ms": 5})
    sent = []
    for i in range(200):
        key = None if i % 7 == 0 else b"key-%d" % i
        value = None if i % 11 == 0 else (b"value-%d-" % i) * 10
        producer.produce(topic, key=key, value=value, headers=[("n", str(i).encode()), ("empty", None)])
        sent.append((key, value))
    assert producer.flush(20) == 0
    got = consume_all(strom_broker.bootstrap, topic, 200)
    assert [(m.key(), m.value()) for m in got] == sent
    assert [m.offset() for m in got] == list(range(200))
    assert got[3].headers() == [("n", b"3"), ("empty", None)]


def test_confluent_idempotent_producer_and_large_messages(strom_broker):
    topic = topic_name("idem")
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap, "enable.idempotence": True, "message.max.bytes": 2_000_000})
    big = b"x" * (1024 * 1024 - 200)
    errors = []
    producer.produce(topic, value=big, on_delivery=lambda e, m: errors.append(e))
    for i in range(1000):
        producer.produce(topic, value=b"%d" % i, on_delivery=lambda e, m: errors.append(e))
    assert producer.flush(30) == 0
    assert errors == [None] * 1001
    got = consume_all(strom_broker.bootstrap, topic, 1001, **{"fetch.message.max.bytes": 2_000_000})
    assert got[0].value() == big and [m.value() for m in got[1:]] == [b"%d" % i for i in range(1000)]


def test_message_too_large_is_rejected(strom_broker):
    topic = topic_name("toolarge")
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap, "message.max.bytes": 3_000_000, "enable.idempotence": False})
    results = []
    producer.produce(topic, value=b"x" * 2_000_000, on_delivery=lambda e, m: results.append(e))
    producer.flush(20)
    assert results and results[0] is not None and results[0].code() == ck.KafkaError.MSG_SIZE_TOO_LARGE


def test_admin_create_describe_delete_many_partitions(strom_broker):
    admin = AdminClient({"bootstrap.servers": strom_broker.bootstrap})
    topic = topic_name("many")
    admin.create_topics([NewTopic(topic, num_partitions=1000, replication_factor=1, config={"retention.ms": "3600000"})])[topic].result(30)
    meta = admin.list_topics(topic, timeout=10)
    assert len(meta.topics[topic].partitions) == 1000
    with pytest.raises(ck.KafkaException) as exc:
        admin.create_topics([NewTopic(topic, num_partitions=1)])[topic].result(10)
    assert exc.value.args[0].code() == ck.KafkaError.TOPIC_ALREADY_EXISTS
    with pytest.raises(ck.KafkaException) as exc:
        admin.create_topics([NewTopic("bad/name", num_partitions=1)])["bad/name"].result(10)
    assert exc.value.args[0].code() == ck.KafkaError.TOPIC_EXCEPTION
    bad_cfg = topic_name("cfg")
    with pytest.raises(ck.KafkaException) as exc:
        admin.create_topics([NewTopic(bad_cfg, num_partitions=1, config={"cleanup.policy": "nope"})])[bad_cfg].result(10)
    assert exc.value.args[0].code() == ck.KafkaError.INVALID_CONFIG
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap})
    for p in range(0, 1000, 10):
        producer.produce(topic, value=b"p%d" % p, partition=p)
    assert producer.flush(30) == 0
    from confluent_kafka.admin import ConfigResource

    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([res])[res].result(10)
    assert configs["retention.ms"].value == "3600000" and not configs["retention.ms"].is_default
    assert configs["segment.bytes"].is_default
    admin.delete_topics([topic])[topic].result(30)
    assert topic not in admin.list_topics(timeout=10).topics


def test_consumer_group_commits_and_two_groups_each_read_everything(strom_broker):
    topic = topic_name("groups")
    admin = AdminClient({"bootstrap.servers": strom_broker.bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=3)])[topic].result(10)
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap})
    for i in range(300):
        producer.produce(topic, key=b"%d" % i, value=b"%d" % i)
    assert producer.flush(20) == 0
    for group in ("ga", "gb"):
        consumer = ck.Consumer(
            {"bootstrap.servers": strom_broker.bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
        )
        consumer.subscribe([topic])
        seen = set()
        deadline = time.monotonic() + 30
        while len(seen) < 300 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen.add(msg.value())
        assert len(seen) == 300
        consumer.commit(asynchronous=False)
        committed = consumer.committed([ck.TopicPartition(topic, p) for p in range(3)], timeout=10)
        assert sum(tp.offset for tp in committed) == 300
        consumer.close()


def test_kafka_python_produce_and_consume(strom_broker):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    topic = topic_name("kpy")
    producer = KafkaProducer(bootstrap_servers=strom_broker.bootstrap, compression_type="gzip")
    for i in range(100):
        producer.send(topic, key=b"k", value=b"v%d" % i)
    producer.flush(20)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=strom_broker.bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=5000)
    consumer.assign([TopicPartition(topic, 0)])
    values = [m.value for m in consumer]
    consumer.close()
    assert values == [b"v%d" % i for i in range(100)]


def test_aiokafka_produce_and_group_consume(strom_broker):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    topic = topic_name("aio")

    async def run():
        producer = AIOKafkaProducer(bootstrap_servers=strom_broker.bootstrap)
        await producer.start()
        for i in range(100):
            await producer.send(topic, b"m%d" % i)
        await producer.flush()
        await producer.stop()
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=strom_broker.bootstrap, group_id="aio-group", auto_offset_reset="earliest")
        await consumer.start()
        out = []
        try:
            while len(out) < 100:
                batch = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
                for msgs in batch.values():
                    out.extend(m.value for m in msgs)
        finally:
            await consumer.stop()
        return out

    assert asyncio.run(run()) == [b"m%d" % i for i in range(100)]


def test_long_poll_returns_promptly_after_produce(strom_broker):
    topic = topic_name("poll")
    producer = ck.Producer({"bootstrap.servers": strom_broker.bootstrap, "linger.ms": 0})
    producer.produce(topic, value=b"warmup")
    producer.flush(10)
    consumer = ck.Consumer(
        {"bootstrap.servers": strom_broker.bootstrap, "group.id": "lp", "fetch.wait.max.ms": 5000, "enable.auto.commit": False}
    )
    consumer.assign([ck.TopicPartition(topic, 0, 1)])
    consumer.poll(1.0)  # connect and park a fetch
    latencies = []
    for i in range(5):
        sent = time.monotonic()
        producer.produce(topic, value=b"%d" % i)
        producer.flush(10)
        msg = None
        while msg is None or msg.error() is not None:
            msg = consumer.poll(10)
        latencies.append(time.monotonic() - sent)
    consumer.close()
    # a poll loop would add up to fetch.wait.max.ms (5 s); woken by the append it is milliseconds
    assert max(latencies) < 0.5, latencies


def _frame(api_key: int, version: int, body: bytes = b"", corr: int = 1) -> bytes:
    payload = struct.pack(">hhih", api_key, version, corr, -1) + body
    return struct.pack(">i", len(payload)) + payload


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xff\xff\xff garbage",
        struct.pack(">i", 200 * 1024 * 1024),
        _frame(9999, 0),
        _frame(0, 99),
        _frame(3, 1, b"\x00\x00\x00\x05\x00"),  # truncated metadata request
    ],
    ids=["negative-size", "oversize-frame", "unknown-api", "unsupported-version", "truncated-body"],
)
def test_bad_input_closes_only_that_connection(strom_broker, payload):
    with socket.create_connection(("127.0.0.1", strom_broker.port)) as sock:
        sock.sendall(payload)
        assert _closed(sock)
    admin = AdminClient({"bootstrap.servers": strom_broker.bootstrap})
    assert admin.list_topics(timeout=10).brokers  # everyone else is still served


def test_unsupported_api_versions_version_gets_v0_answer(strom_broker):
    with socket.create_connection(("127.0.0.1", strom_broker.port)) as sock:
        sock.sendall(_frame(18, 99, b"\x00", corr=7))  # header v2: empty tagged fields
        sock.settimeout(5)
        size = struct.unpack(">i", sock.recv(4))[0]
        data = b""
        while len(data) < size:
            data += sock.recv(size - len(data))
    corr, error = struct.unpack(">ih", data[:6])
    assert corr == 7 and error == 35  # UNSUPPORTED_VERSION, with our versions in a v0 body


def test_kill_9_with_flush_loses_no_acked_record_and_no_commit(strom_broker_factory):
    broker = strom_broker_factory(log_flush_interval_messages="1")
    topic = topic_name("durable")
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 1})
    acked = []
    for i in range(2000):
        producer.produce(topic, value=b"%d" % i, on_delivery=lambda e, m: acked.append(m.offset()) if e is None else None)
        if i % 100 == 0:
            producer.poll(0)
    producer.flush(30)
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "durable-g", "enable.auto.commit": False})
    consumer.commit(offsets=[ck.TopicPartition(topic, 0, 1234)], asynchronous=False)
    consumer.close()
    broker.kill()
    broker.start()
    got = consume_all(broker.bootstrap, topic, len(acked))
    assert [m.offset() for m in got] == sorted(acked) and len(acked) == 2000
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "durable-g"})
    assert consumer.committed([ck.TopicPartition(topic, 0)], timeout=10)[0].offset == 1234
    consumer.close()


def test_retention_deletes_old_segments(strom_broker_factory):
    broker = strom_broker_factory(log_retention_check_interval_ms="200")
    topic = topic_name("retention")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, config={"segment.bytes": "2000", "retention.ms": "500"})])[topic].result(10)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for _ in range(50):
        producer.produce(topic, value=b"x" * 200)
        producer.flush(10)
    time.sleep(2.5)
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "ret"})
    low, high = consumer.get_watermark_offsets(ck.TopicPartition(topic, 0), timeout=10)
    consumer.close()
    assert high == 50 and low >= 40
