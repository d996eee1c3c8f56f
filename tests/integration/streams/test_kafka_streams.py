"""KafkaStreams on a broker: a word count's output and interactive queries, the state listener's transitions,
restore from the changelog after cleanup(), start() failing on a missing source topic or mismatched
co-partitioned topics, and the deserialization handlers (log-and-continue skips, log-and-fail stops)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.errors import MissingSourceTopicException, StreamThreadExceptionResponse, TopologyException
from strom.streams.kafka_streams import KafkaStreams, QueryableStoreTypes, State, StoreQueryParameters
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Consumed, Materialized, Produced
from strom.streams.processor.api import Processor, ProcessorContext, Record
from strom.streams.serdes import Serdes
from strom.streams.topology import Topology
from strom.testing.broker import BrokerProcess
from tests.integration.streams.eos_word_count_app import topology as word_count

LINES = ["the quick brown fox", "jumps over the lazy dog", "the fox"] * 20
EXPECTED = {"the": 60, "quick": 20, "brown": 20, "fox": 40, "jumps": 20, "over": 20, "lazy": 20, "dog": 20}


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        topics = [NewTopic("wc-lines", 2, 1), NewTopic("wc-counts", 2, 1), NewTopic("left", 3, 1), NewTopic("right", 2, 1)]
        topics += [NewTopic("raw", 1, 1), NewTopic("raw-out", 1, 1), NewTopic("customers", 3, 1), NewTopic("orders", 2, 1)]
        topics += [NewTopic("enriched", 2, 1)]
        for f in admin.create_topics(topics).values():
            f.result(30)
        admin.close()
        p = Producer({"bootstrap.servers": b.bootstrap})
        for i, line in enumerate(LINES):
            p.produce("wc-lines", line.encode(), key=str(i).encode())
        p.flush(30)
        p.close()
        yield b


def _config(broker: BrokerProcess, app: str, state_dir: Path, **extra: Any) -> dict[str, Any]:
    return {"application.id": app, "bootstrap.servers": broker.bootstrap, "state.dir": str(state_dir), "commit.interval.ms": 100, **extra}


def _wait(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_word_count_queries_and_restore(broker: BrokerProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    states: list[tuple[str, str]] = []
    streams = KafkaStreams(word_count("wc-lines", "wc-counts"), _config(broker, "wc", tmp_path, **{"application.server": "localhost:7070"}))
    streams.set_state_listener(lambda new, old: states.append((old.name, new.name)))
    assert streams.state() == State.CREATED
    streams.start()
    final: dict[str, int] = {}
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "wc-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["wc-counts"])
    deadline = time.monotonic() + 60
    while final != EXPECTED and time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is not None and msg.error() is None:
            final[msg.key().decode()] = int.from_bytes(msg.value(), "big")
    consumer.close()
    assert final == EXPECTED
    _wait(lambda: streams.state() == State.RUNNING)
    store = streams.store(StoreQueryParameters.from_store_name("counts", QueryableStoreTypes.key_value_store()))
    assert store.get("fox") == 40 and store.get("nope") is None
    assert dict(store.all()) == EXPECTED and store.approximate_num_entries() == len(EXPECTED)
    meta = streams.query_metadata_for_key("counts", "fox", Serdes.String().serializer())
    assert meta.active_host.host == "localhost" and meta.active_host.port == 7070 and meta.partition in (0, 1)
    [thread] = streams.metadata_for_local_threads()
    assert thread.thread_state == "RUNNING" and {str(t.task_id) for t in thread.active_tasks} == {"0_0", "0_1", "1_0", "1_1"}
    assert streams.close(30)
    assert states[0] == ("CREATED", "REBALANCING") and ("REBALANCING", "RUNNING") in states
    assert states[-2:] == [("RUNNING", "PENDING_SHUTDOWN"), ("PENDING_SHUTDOWN", "NOT_RUNNING")]
    streams.cleanup()
    assert not any(p.is_dir() for p in (tmp_path / "wc").iterdir())
    # a new instance on the wiped state dir restores the counts from the changelog before it runs
    caplog.set_level(logging.INFO, "org.apache.kafka.streams.processor.internals.StoreChangelogReader")
    again = KafkaStreams(word_count("wc-lines", "wc-counts"), _config(broker, "wc", tmp_path))
    again.start()
    try:
        _wait(lambda: again.state() == State.RUNNING)
        store = again.store(StoreQueryParameters.from_store_name("counts", QueryableStoreTypes.key_value_store()))
        assert dict(store.all()) == EXPECTED
        assert "Finished restoring changelog wc-counts-changelog" in caplog.text
    finally:
        again.close(30)


def test_start_fails_on_missing_source_topic_and_on_copartitioning(broker: BrokerProcess, tmp_path: Path) -> None:
    streams = KafkaStreams(_long_topology("no-such-topic"), _config(broker, "missing", tmp_path))
    with pytest.raises(MissingSourceTopicException, match=r"no-such-topic"):
        streams.start()
    streams.close()
    t = Topology()
    s = Serdes.String()
    t.add_source("l", "left", key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_source("r", "right", key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("join", Forward, "l", "r")
    t.internal_topology_builder.copartition_sources(["l", "r"])
    streams = KafkaStreams(t, _config(broker, "copart", tmp_path))
    with pytest.raises(TopologyException, match=r"left=3, right=2"):
        streams.start()
    streams.close()


class Forward(Processor[Any, Any, Any, Any]):
    def init(self, context: ProcessorContext) -> None:
        self.context = context

    def process(self, record: Record[Any, Any]) -> None:
        self.context.forward(record)


def _long_topology(source: str = "raw") -> Topology:
    t = Topology()
    t.add_source("src", source, key_deserializer=Serdes.String().deserializer(), value_deserializer=Serdes.Long().deserializer())
    t.add_processor("fwd", Forward, "src")
    t.add_sink("out", "raw-out", "fwd", key_serializer=Serdes.String().serializer(), value_serializer=Serdes.Long().serializer())
    return t


def test_deserialization_handlers(broker: BrokerProcess, tmp_path: Path) -> None:
    p = Producer({"bootstrap.servers": broker.bootstrap})
    p.produce("raw", (1).to_bytes(8, "big"), key=b"a")
    p.produce("raw", b"bad", key=b"b")  # 3 bytes are no Long
    p.produce("raw", (3).to_bytes(8, "big"), key=b"c")
    p.flush(30)
    p.close()
    handler = "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler"
    streams = KafkaStreams(
        _long_topology(), _config(broker, "skip", tmp_path / "a", **{"default.deserialization.exception.handler": handler})
    )
    streams.start()
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "raw-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["raw-out"])
    got: list[tuple[str, int]] = []
    deadline = time.monotonic() + 60
    while len(got) < 2 and time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is not None and msg.error() is None:
            got.append((msg.key().decode(), int.from_bytes(msg.value(), "big")))
    consumer.close()
    assert got == [("a", 1), ("c", 3)]
    assert streams.close(30)
    errors: list[BaseException] = []

    def uncaught(exc: BaseException) -> StreamThreadExceptionResponse:
        errors.append(exc)
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT

    failing = KafkaStreams(_long_topology(), _config(broker, "fail", tmp_path / "b"))  # LogAndFail is the default
    failing.set_uncaught_exception_handler(uncaught)
    failing.start()
    _wait(lambda: failing.state() == State.ERROR)
    assert "Deserialization exception handler is set to fail" in str(errors[0]) and "offset 1" in str(errors[0])
    failing.close()


def test_global_table_is_loaded_before_processing_and_followed(broker: BrokerProcess, tmp_path: Path) -> None:
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for cid, name in (("c1", "ada"), ("c2", "bob"), ("c3", "cy")):
        p.produce("customers", name.encode(), key=cid.encode())
    p.flush(30)
    s = Serdes.String()
    builder = StreamsBuilder()
    customers = builder.global_table("customers", Consumed.with_(s, s), Materialized.as_("customers-store"))
    orders = builder.stream("orders", Consumed.with_(s, s))
    orders.join(customers, lambda order_id, customer_id: customer_id, lambda customer_id, name: f"{customer_id}:{name}").to(
        "enriched", Produced.with_(s, s)
    )
    streams = KafkaStreams(builder.build(), _config(broker, "enrich", tmp_path))
    streams.start()  # returns once the global table holds the three customers
    try:
        store = streams.store(StoreQueryParameters.from_store_name("customers-store", QueryableStoreTypes.key_value_store()))
        assert store.get("c2") == "bob" and store.approximate_num_entries() == 3
        p.produce("orders", b"c1", key=b"o1")
        p.produce("customers", b"dee", key=b"c4")
        p.flush(30)
        _wait(lambda: store.get("c4") == "dee")  # the global thread follows the topic
        p.produce("orders", b"c4", key=b"o2")
        p.flush(30)
        consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "enriched-check", "auto.offset.reset": "earliest"})
        consumer.subscribe(["enriched"])
        got: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while len(got) < 2 and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                got[msg.key().decode()] = msg.value().decode()
        consumer.close()
        assert got == {"o1": "c1:ada", "o2": "c4:dee"}
    finally:
        streams.close(30)
