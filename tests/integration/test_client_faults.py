"""A broker that dies mid-request, as the client sees it: a proxy forwards a request to the broker (which
acts on it) and then cuts the connection before the answer comes back. Against Strom AND Apache Kafka 3.9.

The idempotent producer must resend and the broker must drop the duplicate (each record once, in order);
the consumer must refetch without a gap or a repeat; an admin call must end with a clear error in time."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

import confluent_kafka as ck
import pytest

import strom
from strom import KafkaException, NewTopic, TopicPartition
from strom.protocol.errors import ErrorCode
from strom.testing.kafka_proxy import DROP, Exchange, KafkaProxy
from tests.integration.client_peers import PEERS, make_topic, proxied, serve

PRODUCE, FETCH, OFFSET_COMMIT, CREATE_TOPICS = 0, 1, 8, 19


@pytest.fixture(scope="module", params=PEERS)
def bootstrap(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from serve(request)


@pytest.fixture
def proxy(bootstrap: str) -> Iterator[KafkaProxy]:
    yield from proxied(bootstrap)


def cut_the(api_key: int, nth: set[int]) -> Any:
    """A request hook that cuts the connection at the nth requests (1-based) of one API."""
    seen = [0]

    def hook(exchange: Exchange) -> Any:
        if exchange.api_key != api_key:
            return None
        seen[0] += 1
        return DROP if seen[0] in nth else None

    return hook


def read_all(bootstrap: str, topic: str, partitions: int, n: int) -> dict[int, list[bytes]]:
    """Everything in the topic, read straight from the broker with confluent-kafka."""
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"chk-{uuid.uuid4().hex[:6]}", "enable.auto.commit": False})
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    out: dict[int, list[bytes]] = {p: [] for p in range(partitions)}
    deadline = time.monotonic() + 30
    while sum(map(len, out.values())) < n and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            out[m.partition()].append(m.value())
    for m in c.consume(1000, 1.0):  # anything beyond n would be a duplicate
        out[m.partition()].append(m.value())
    c.close()
    return out


def test_idempotent_producer_resends_after_a_cut_and_nothing_is_written_twice(bootstrap: str, proxy: KafkaProxy) -> None:
    topic = make_topic(bootstrap, 2, "cut")
    proxy.on_request = cut_the(PRODUCE, {2, 5})
    reports: list[Any] = []
    p = strom.Producer({"bootstrap.servers": proxy.bootstrap, "linger.ms": 2, "batch.size": 2000, "retry.backoff.ms": 50})
    for i in range(600):  # rounds of 75: several Produce requests, some with others in flight
        p.produce(
            topic, value=b"%04d" % i, partition=i % 2, on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset()))
        )
        if i % 75 == 74:
            assert p.flush(60) == 0
    p.close()
    assert len(reports) == 600 and [r for r in reports if r[0] is not None] == []
    produces = [e for e in proxy.requests if e.api_key == PRODUCE]
    assert len({e.connection for e in produces}) >= 3, [(e.connection, e.correlation_id) for e in produces]  # two reconnects
    got = read_all(bootstrap, topic, 2, 600)
    for partition in (0, 1):
        assert got[partition] == [b"%04d" % i for i in range(partition, 600, 2)]
    # the reported offsets are the records' real offsets
    assert sorted((part, off) for _, part, off in reports) == [(part, o) for part in (0, 1) for o in range(300)]


def test_consumer_refetches_after_a_cut_without_gap_or_repeat(bootstrap: str, proxy: KafkaProxy) -> None:
    topic = make_topic(bootstrap, 2, "cut")
    # idempotent, so a retried first batch (a new topic's leader not known yet) cannot land after later ones:
    # the test checks the consumer, and needs each partition's records in the order they were produced
    producer = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.size": 500, "enable.idempotence": True})
    for i in range(400):
        producer.produce(topic, value=b"%04d" % i, partition=i % 2)
    assert producer.flush(20) == 0
    proxy.on_request = cut_the(FETCH, {2, 4})
    c = strom.Consumer({"bootstrap.servers": proxy.bootstrap, "max.partition.fetch.bytes": 2000, "fetch.max.wait.ms": 100})
    c.assign([TopicPartition(topic, p, strom.OFFSET_BEGINNING) for p in (0, 1)])
    got: dict[int, list[bytes]] = {0: [], 1: []}
    deadline = time.monotonic() + 30
    while sum(map(len, got.values())) < 400 and time.monotonic() < deadline:
        for m in c.consume(100, 0.2):
            assert m.error() is None
            got[m.partition()].append(m.value())
    got_more = c.consume(100, 0.5)
    c.close()
    assert got_more == []
    for partition in (0, 1):
        assert got[partition] == [b"%04d" % i for i in range(partition, 400, 2)]
    assert len({e.connection for e in proxy.requests if e.api_key == FETCH}) >= 3


def test_admin_call_cut_mid_request_ends_with_a_clear_error(bootstrap: str, proxy: KafkaProxy) -> None:
    proxy.on_request = cut_the(CREATE_TOPICS, {1})
    admin = strom.AdminClient({"bootstrap.servers": proxy.bootstrap, "request.timeout.ms": 5000})
    name = f"cut-{uuid.uuid4().hex[:8]}"
    t0 = time.monotonic()
    future = admin.create_topics([NewTopic(name, 1, 1)])[name]
    with pytest.raises(KafkaException) as info:
        future.result(30)
    assert time.monotonic() - t0 < 10
    assert "lost" in str(info.value) or "closed" in str(info.value) or "NETWORK" in str(info.value), info.value
    # the broker did act on it: the topic exists, and the client works again on a new connection
    assert name in admin.list_topics(name).topics
    admin.close()


def answer_not_coordinator(times: int) -> Any:
    """A response hook: the first `times` OffsetCommit answers say NOT_COORDINATOR for every partition, as a
    coordinator that just moved (or a new cluster still creating __consumer_offsets) answers."""
    left = [times]

    def hook(exchange: Exchange) -> Any:
        if exchange.api_key != OFFSET_COMMIT or left[0] == 0:
            return None
        left[0] -= 1
        response = exchange.message
        topics = [
            dataclasses.replace(t, partitions=[dataclasses.replace(p, error_code=ErrorCode.NOT_COORDINATOR) for p in t.partitions])
            for t in response.topics
        ]
        return dataclasses.replace(response, topics=topics)

    return hook


@pytest.mark.parametrize("client", ["strom", "confluent-kafka"])
def test_a_synchronous_commit_waits_out_a_coordinator_move(bootstrap: str, proxy: KafkaProxy, client: str) -> None:
    topic = make_topic(bootstrap, 1, "coord")
    group = f"g-{uuid.uuid4().hex[:6]}"
    proxy.on_response = answer_not_coordinator(2)
    module: Any = strom if client == "strom" else ck
    c = module.Consumer({"bootstrap.servers": proxy.bootstrap, "group.id": group, "enable.auto.commit": False})
    committed = c.commit(offsets=[module.TopicPartition(topic, 0, 7)], asynchronous=False)
    assert [(tp.topic, tp.partition, tp.offset, tp.error) for tp in committed] == [(topic, 0, 7, None)]
    assert c.committed([module.TopicPartition(topic, 0)], timeout=10)[0].offset == 7
    c.close()
    assert len(proxy.requests_of(OFFSET_COMMIT)) >= 3  # two answered NOT_COORDINATOR, the third was taken
