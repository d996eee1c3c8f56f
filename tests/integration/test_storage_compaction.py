"""Compaction in a running broker: real clients see only the latest value per key; __consumer_offsets is compacted."""

import time
import uuid

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic


def read_all(bootstrap: str, topic: str, idle_s: float = 1.5) -> list:
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    consumer.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    out = []
    last = time.monotonic()
    while time.monotonic() - last < idle_s:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        out.append((msg.offset(), msg.key(), msg.value()))
        last = time.monotonic()
    consumer.close()
    return out


def test_compacted_topic_keeps_latest_value_per_key(strom_broker_factory):
    broker = strom_broker_factory(log_cleaner_backoff_ms="200")
    topic = f"compacted-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    config = {"cleanup.policy": "compact", "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.01"}
    admin.create_topics([NewTopic(topic, 1, config=config)])[topic].result(10)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 2, "batch.size": 1000, "compression.type": "lz4"})
    expected = {}
    errors = []
    for i in range(600):
        key = b"key-%d" % (i % 12)
        value = None if i % 97 == 0 else b"value-%d-" % i + b"x" * 50
        producer.produce(topic, key=key, value=value, on_delivery=lambda e, m: e and errors.append(e))
        expected[key] = value
    producer.flush(20)
    assert not errors
    deadline = time.monotonic() + 20
    while True:
        got = read_all(broker.bootstrap, topic)
        if len(got) < 300 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(got) < 300, "the cleaner did not compact the topic"
    offsets = [o for o, _, _ in got]
    assert offsets == sorted(offsets)
    latest = {}
    for _, key, value in got:
        latest[key] = value
    assert latest == expected  # records in the active segment and the latest of each key are all there
    # a restart reads the compacted segments (and the cleaner checkpoint) back
    broker.stop()
    broker.start()
    assert read_all(broker.bootstrap, topic)[: len(got)] == got
    assert "cleaner-offset-checkpoint" in {p.name for p in (broker.base / "data").iterdir()}


def test_consumer_offsets_is_compacted_and_commits_survive(strom_broker_factory):
    broker = strom_broker_factory(log_cleaner_backoff_ms="200", offsets_topic_segment_bytes="2048", offsets_topic_num_partitions="1")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic("some-topic", 1)])["some-topic"].result(10)
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "compacting", "enable.auto.commit": False})
    for i in range(400):
        consumer.commit(offsets=[ck.TopicPartition("some-topic", 0, i)], asynchronous=False)
    consumer.close()
    part = broker.base / "data" / "__consumer_offsets-0"
    deadline = time.monotonic() + 20
    while len(list(part.glob("*.log"))) > 3 and time.monotonic() < deadline:
        time.sleep(0.3)
    total = sum(p.stat().st_size for p in part.glob("*.log"))
    assert total < 400 * 60, f"__consumer_offsets not compacted: {total} bytes"
    broker.kill()
    broker.start()
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "compacting"})
    assert consumer.committed([ck.TopicPartition("some-topic", 0)], timeout=10)[0].offset == 399
    consumer.close()


def test_keyless_produce_to_compacted_topic_is_invalid_record(strom_broker_factory):
    broker = strom_broker_factory()
    topic = f"compacted-nokey-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, config={"cleanup.policy": "compact"})])[topic].result(10)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    results = []
    producer.produce(topic, value=b"no key", on_delivery=lambda e, m: results.append(e))
    producer.flush(20)  # its own batch: a batch with one keyless record fails whole, as in Kafka
    producer.produce(topic, key=b"k", value=b"keyed", on_delivery=lambda e, m: results.append(e))
    producer.flush(20)
    assert results[0] is not None and results[0].code() == ck.KafkaError.INVALID_RECORD
    assert results[1] is None
