"""Transactions on a Strom broker with the pure-Python peers: aiokafka's and kafka-python's transactional
producers commit and abort, and each library's read_committed consumer sees only what was committed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest

from strom.testing.broker import BrokerProcess


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess().start()
    yield b
    b.close()


def test_aiokafka_transactions_and_read_committed(broker: BrokerProcess) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    topic = f"aio-{uuid.uuid4().hex[:6]}"

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id=f"aio-{uuid.uuid4().hex[:6]}")
        await producer.start()
        try:
            async with producer.transaction():
                for i in range(3):
                    await producer.send(topic, b"c%d" % i, partition=0)
            await producer.begin_transaction()
            for i in range(2):
                await producer.send_and_wait(topic, b"a%d" % i, partition=0)
            await producer.abort_transaction()
            async with producer.transaction():
                await producer.send(topic, b"c3", partition=0)
        finally:
            await producer.stop()
        seen = {}
        for level in ("read_committed", "read_uncommitted"):
            consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, isolation_level=level, auto_offset_reset="earliest")
            await consumer.start()
            try:
                tp = TopicPartition(topic, 0)
                consumer.assign([tp])
                await consumer.seek_to_beginning(tp)
                values: list[bytes] = []
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and len(values) < (4 if level == "read_committed" else 6):
                    batch = await consumer.getmany(timeout_ms=300)
                    values += [m.value for msgs in batch.values() for m in msgs]
                seen[level] = values
            finally:
                await consumer.stop()
        return seen["read_committed"], seen["read_uncommitted"]

    committed, everything = asyncio.run(scenario())
    assert committed == [b"c0", b"c1", b"c2", b"c3"]
    assert everything == [b"c0", b"c1", b"c2", b"a0", b"a1", b"c3"]


def test_kafka_python_transactions_and_read_committed(broker: BrokerProcess) -> None:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    topic = f"kp-{uuid.uuid4().hex[:6]}"
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, transactional_id=f"kp-{uuid.uuid4().hex[:6]}")
    producer.init_transactions()
    producer.begin_transaction()
    for i in range(3):
        producer.send(topic, b"c%d" % i, partition=0)
    producer.commit_transaction()
    producer.begin_transaction()
    producer.send(topic, b"a0", partition=0)
    producer.flush()
    producer.abort_transaction()
    producer.close()
    for level, expected in (("read_committed", [b"c0", b"c1", b"c2"]), ("read_uncommitted", [b"c0", b"c1", b"c2", b"a0"])):
        consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, isolation_level=level, consumer_timeout_ms=3000)
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek_to_beginning()
        assert [m.value for m in consumer] == expected, level
        consumer.close()
