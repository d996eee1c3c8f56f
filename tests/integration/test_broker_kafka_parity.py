"""Broker behaviours real clients rely on, checked on the wire against Apache Kafka 3.9 side by side: each test
sends the same requests to a Strom broker and to Kafka and expects the same answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.errors import ErrorCode
from strom.protocol.records import BatchBuilder
from strom.protocol.schema import produce
from strom.testing.broker import BrokerProcess
from strom.transport.connection import BrokerConnection


@pytest.fixture(scope="module")
def strom() -> Iterator[BrokerProcess]:
    b = BrokerProcess().start()
    yield b
    b.close()


@pytest.fixture(params=["strom", pytest.param("kafka", marks=pytest.mark.java)])
def bootstrap(request: pytest.FixtureRequest) -> str:
    """The broker under test: Strom, then Apache Kafka 3.9 (the reference) for the same checks."""
    server = request.getfixturevalue("strom" if request.param == "strom" else "apache_kafka")
    return str(server.bootstrap)


def send(bootstrap: str, *requests: Any) -> list[Any]:
    """Sends the requests one after another on one connection; their responses."""

    async def go() -> list[Any]:
        host, port = bootstrap.rsplit(":", 1)
        conn = BrokerConnection(host, int(port))
        await conn.connect()
        try:
            return [await conn.send(r) for r in requests]
        finally:
            conn.close()

    return asyncio.run(go())


def new_topic(bootstrap: str, config: dict[str, str] | None = None, partitions: int = 1) -> str:
    topic = f"parity-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1, config=config or {})])[topic].result(30)
    return topic


def produce_request(topic: str, records: bytes, acks: int = -1) -> produce.ProduceRequest:
    return produce.ProduceRequest(
        transactional_id=None,
        acks=acks,
        timeout_ms=10_000,
        topic_data=[produce.TopicProduceData(name=topic, partition_data=[produce.PartitionProduceData(index=0, records=records)])],
    )


# ---- Produce: per-record errors (KIP-467) ----------------------------------------------------------------------


def test_keyless_records_in_a_compacted_topic_are_listed_by_index(bootstrap: str) -> None:
    topic = new_topic(bootstrap, {"cleanup.policy": "compact"})
    b = BatchBuilder()
    keyless = [3, 17, 42, 99]
    for i in range(100):
        b.append(b"v%d" % i, key=None if i in keyless else b"k%d" % i)
    [response] = send(bootstrap, produce_request(topic, b.build()))
    part = response.responses[0].partition_responses[0]
    text = f"Compacted topic cannot accept message without key in topic partition {topic}-0"
    assert part.error_code == ErrorCode.INVALID_RECORD
    assert [(e.batch_index, e.batch_index_error_message) for e in part.record_errors] == [(i, text) for i in keyless]
    shown = ", ".join(f"RecordError(batchIndex={i}, message='{text}')" for i in keyless[:3])
    assert part.error_message == (
        "One or more records have been rejected due to 4 record errors in total, "
        f"and only showing the first three errors at most: [{shown}]"
    )
    assert part.base_offset == -1 and part.log_start_offset == 0
