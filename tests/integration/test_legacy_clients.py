"""Clients speaking the pre-0.11 protocol: kafka-python pinned to api_version=(0, 10) produces magic v1 message
sets (Produce v2) and fetches with Fetch v2/v3, which must come back as message sets, not v2 batches. A modern
consumer then reads the same records, so the up-conversion is lossless."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

pytestmark = pytest.mark.timeout(120)

MESSAGES = [(b"key-%d" % i if i % 3 else None, b"value-%d" % i, 1_700_000_000_000 + i) for i in range(50)]


def _produce(bootstrap: str, topic: str, api_version: tuple[int, ...], compression: str | None) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=api_version, compression_type=compression, linger_ms=5)
    futures = [producer.send(topic, key=k, value=v, timestamp_ms=ts) for k, v, ts in MESSAGES]
    offsets = [f.get(timeout=30).offset for f in futures]
    producer.close()
    assert offsets == list(range(len(MESSAGES)))


def _consume(bootstrap: str, topic: str, api_version: tuple[int, ...] | None) -> list[tuple]:
    kwargs = {"api_version": api_version} if api_version else {}
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=10_000, **kwargs)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got: list[tuple] = []
    deadline = time.monotonic() + 30
    while len(got) < len(MESSAGES) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            got += [(r.offset, r.key, r.value, r.timestamp) for r in records]
    consumer.close()
    return got


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_kafka_python_0_10_round_trip(strom_broker, compression):
    topic = f"legacy-{compression or 'none'}"
    _produce(strom_broker.bootstrap, topic, (0, 10), compression)
    expected = [(i, k, v, ts) for i, (k, v, ts) in enumerate(MESSAGES)]
    assert _consume(strom_broker.bootstrap, topic, (0, 10)) == expected  # Fetch v2: magic 1 message sets
    assert _consume(strom_broker.bootstrap, topic, (0, 10, 1)) == expected  # Fetch v3
    assert _consume(strom_broker.bootstrap, topic, None) == expected  # a current client reads v2 batches


@pytest.mark.parametrize("version,magic", [(0, 0), (2, 1), (3, 1), (4, 2)])
def test_fetch_below_v4_answers_with_message_sets(strom_broker, version, magic):
    from strom.protocol.records import iter_legacy_messages
    from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic

    from .test_protocol_api_versions import RawConnection

    topic = f"legacy-fetch-v{version}"
    _produce(strom_broker.bootstrap, topic, (2, 0), None)
    conn = RawConnection(strom_broker.bootstrap)
    try:
        request = FetchRequest(
            replica_id=-1,
            max_wait_ms=0,
            min_bytes=1,
            topics=[FetchTopic(topic=topic, partitions=[FetchPartition(partition=0, fetch_offset=10, partition_max_bytes=1 << 20)])],
        )
        records = bytes(conn.request(request, version).responses[0].partitions[0].records)
    finally:
        conn.close()
    assert records[16] == magic
    if magic < 2:
        messages = list(iter_legacy_messages(records))
        # the batch holding offset 10 comes whole (the client skips what precedes its offset)
        assert messages[-1].offset == len(MESSAGES) - 1 and messages[0].offset <= 10
        assert [m.value for m in messages] == [v for _, v, _ in MESSAGES[messages[0].offset :]]
