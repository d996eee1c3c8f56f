"""Consumer groups with the pure-Python clients: kafka-python and aiokafka split partitions and commit."""

from __future__ import annotations

import asyncio
import time
import uuid

import confluent_kafka as ck
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaConsumer
from kafka import TopicPartition as KTopicPartition

from strom.testing.broker import BrokerProcess
from tests.integration.test_groups_confluent import PARTITIONS, broker, new_topic, produce  # noqa: F401 - fixture


def test_kafka_python_group_splits_partitions_and_commits(broker: BrokerProcess) -> None:  # noqa: F811
    topic = new_topic(broker.bootstrap)
    produce(broker.bootstrap, topic, 120)
    group = f"kp-{uuid.uuid4().hex[:6]}"
    conf = {
        "bootstrap_servers": broker.bootstrap,
        "group_id": group,
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 500,
    }
    members = [KafkaConsumer(topic, **conf) for _ in range(2)]
    try:
        deadline = time.monotonic() + 30
        seen: dict[int, set[bytes]] = {0: set(), 1: set()}
        while time.monotonic() < deadline:
            for i, c in enumerate(members):
                for records in c.poll(timeout_ms=50).values():
                    seen[i].update(r.value for r in records)
            parts = [{tp.partition for tp in c.assignment()} for c in members]
            if [len(p) for p in parts] == [3, 3] and parts[0] | parts[1] == set(range(PARTITIONS)):
                break
        assert [len(p) for p in parts] == [3, 3] and not parts[0] & parts[1]
        for c in members:
            c.commit()
        offsets = members[0].committed(KTopicPartition(topic, next(iter(parts[0]))))
        assert offsets is not None and offsets >= 0
    finally:
        for c in members:
            c.close()


def test_aiokafka_group_splits_partitions_and_commits(broker: BrokerProcess) -> None:  # noqa: F811
    topic = new_topic(broker.bootstrap)
    produce(broker.bootstrap, topic, 60)
    group = f"aio-{uuid.uuid4().hex[:6]}"

    async def run() -> None:
        members = [
            AIOKafkaConsumer(
                topic, bootstrap_servers=broker.bootstrap, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
            )
            for _ in range(2)
        ]
        for c in members:
            await c.start()
        try:
            got: list[bytes] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                for c in members:
                    batch = await c.getmany(timeout_ms=50)
                    for records in batch.values():
                        got.extend(r.value for r in records)
                parts = [{tp.partition for tp in c.assignment()} for c in members]
                if [len(p) for p in parts] == [3, 3] and len(set(got)) == 60:
                    break
            assert [len(p) for p in parts] == [3, 3] and parts[0] | parts[1] == set(range(PARTITIONS))
            assert {v for v in got} == {b"v%d" % i for i in range(60)}
            for c in members:
                await c.commit()
            total = 0
            for p in range(PARTITIONS):
                committed = await members[0].committed(TopicPartition(topic, p))
                total += committed or 0
            assert total == 60
        finally:
            for c in members:
                await c.stop()

    asyncio.run(run())
    # the commits are visible to any client, e.g. librdkafka
    c = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        committed = c.committed([ck.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        assert sum(tp.offset for tp in committed) == 60
    finally:
        c.close()
