"""Incremental fetch sessions (KIP-227) on the wire, and real clients that use them (kafka-python,
the Java consumer through Kafka's console consumer)."""

import asyncio
import time
import uuid

import confluent_kafka as ck
import kafka
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.errors import ErrorCode
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic
from strom.transport.connection import BrokerConnection


def make_topic(bootstrap: str, partitions: int) -> str:
    name = f"fs-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(10)
    return name


def produce(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    producer = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 2})
    for partition, n in per_partition.items():
        for i in range(n):
            producer.produce(topic, value=b"v%d" % i, partition=partition)
    assert producer.flush(10) == 0


def fetch(topic, session_id, epoch, parts=(), max_wait_ms=0):
    topics = [
        FetchTopic(topic=topic, partitions=[FetchPartition(partition=p, fetch_offset=o, partition_max_bytes=1 << 20) for p, o in parts])
    ]
    return FetchRequest(
        max_wait_ms=max_wait_ms, min_bytes=1, max_bytes=1 << 24, session_id=session_id, session_epoch=epoch, topics=topics if parts else []
    )


def included(response):
    return sorted((p.partition_index, p.high_watermark) for t in response.responses for p in t.partitions)


def test_session_on_the_wire(strom_broker):
    topic = make_topic(strom_broker.bootstrap, 3)
    produce(strom_broker.bootstrap, topic, {0: 5, 1: 3})

    async def run():
        conn = BrokerConnection("127.0.0.1", strom_broker.port)
        await conn.connect()
        try:
            full = await conn.send(fetch(topic, 0, 0, [(0, 0), (1, 0), (2, 0)]), version=12)
            assert full.error_code == 0 and full.session_id != 0
            assert included(full) == [(0, 5), (1, 3), (2, 0)]
            sid = full.session_id
            # nothing changed: the partitions the client caught up on are left out; the long poll times out
            t0 = time.monotonic()
            quiet = await conn.send(fetch(topic, sid, 1, [(0, 5), (1, 3)], max_wait_ms=200), version=12)
            assert quiet.error_code == 0 and quiet.session_id == sid and included(quiet) == []
            assert time.monotonic() - t0 >= 0.15
            # a produce to partition 2 wakes an incremental long poll, which carries only partition 2
            waiting = asyncio.ensure_future(conn.send(fetch(topic, sid, 2, max_wait_ms=10000), version=12))
            await asyncio.sleep(0.2)
            t0 = time.monotonic()
            await asyncio.get_running_loop().run_in_executor(None, produce, strom_broker.bootstrap, topic, {2: 1})
            woken = await waiting
            assert time.monotonic() - t0 < 5
            assert included(woken) == [(2, 1)]
            wrong = await conn.send(fetch(topic, sid, 7), version=12)
            assert (wrong.error_code, wrong.session_id, wrong.responses) == (ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0, [])
            unknown = await conn.send(fetch(topic, sid ^ 0x5A5A, 1), version=12)
            assert unknown.error_code == ErrorCode.FETCH_SESSION_ID_NOT_FOUND
            closed = await conn.send(fetch(topic, sid, -1, [(0, 0)]), version=12)
            assert closed.session_id == 0 and included(closed) == [(0, 5)]
            gone = await conn.send(fetch(topic, sid, 3), version=12)
            assert gone.error_code == ErrorCode.FETCH_SESSION_ID_NOT_FOUND
        finally:
            conn.close()

    asyncio.run(run())


def consume_kafka_python(bootstrap: str, topic: str, expected: int, partitions: int) -> list[tuple[int, int]]:
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_incremental_fetch_sessions=True,
        consumer_timeout_ms=10000,
        max_partition_fetch_bytes=512,  # many fetches per partition: the session carries the offsets
    )
    consumer.assign([kafka.TopicPartition(topic, p) for p in range(partitions)])
    consumer.seek_to_beginning()
    seen = []
    for msg in consumer:
        seen.append((msg.partition, msg.offset))
        if len(seen) == expected:
            break
    consumer.close()
    return seen


def test_kafka_python_consumers_with_incremental_sessions_and_a_one_slot_cache(strom_broker_factory):
    broker = strom_broker_factory(max_incremental_fetch_session_cache_slots="1")
    topic = make_topic(broker.bootstrap, 8)
    produce(broker.bootstrap, topic, {p: 50 + p for p in range(8)})
    expected = sum(50 + p for p in range(8))
    for _ in range(2):  # the second consumer evicts or goes sessionless: either way it reads everything
        seen = consume_kafka_python(broker.bootstrap, topic, expected, 8)
        assert sorted(seen) == sorted((p, o) for p in range(8) for o in range(50 + p))
