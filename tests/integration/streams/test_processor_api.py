"""The Processor API on a broker: a word counter with a store, child routing by name, headers, timestamps and
record metadata. The same topology run by Kafka Streams 3.9 itself (streams_java/ProcessorApiApp.java) on the
same input must write the same records (slow test)."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.processor.api import ContextualProcessor, ProcessorContext, PunctuationType, Record
from strom.streams.serdes import Serdes
from strom.streams.state.stores import Stores
from strom.streams.topology import Topology
from strom.testing.apache_kafka import kafka_libs, kafka_streams_jar
from strom.testing.broker import BrokerProcess

JAVA_APP = Path(__file__).resolve().parents[1] / "streams_java" / "ProcessorApiApp.java"
LINES = [
    ("k1", "Hello Kafka Streams", 1_000),
    (None, "hello strom streams", 2_000),
    ("k3", "Streams   everywhere  HELLO", 2_500),
    ("k4", "", 3_000),
    ("k5", "exactly once processing semantics", 10_000),
]


class WordCounter(ContextualProcessor[str, str, str, Any]):
    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.counts = context.get_state_store("Counts")
        context.schedule(1000, PunctuationType.STREAM_TIME, lambda ts: context.forward(Record("tick", str(ts), ts), "Ticks-Sink"))

    def process(self, record: Record[str, str]) -> None:
        meta = self.context().record_metadata()
        source = "none" if meta is None else f"{meta.topic}/{meta.partition}/{meta.offset}"
        for word in record.value.lower().split(" "):
            if not word:
                continue
            count = (self.counts.get(word) or 0) + 1
            self.counts.put(word, count)
            out = record.with_key(word).with_value(count)
            out.headers.append(("source", source.encode()))
            self.context().forward(out, "Counts-Sink")
            if len(word) > 5:
                self.context().forward(record.with_key(word).with_value(word.upper()).with_timestamp(record.timestamp + 1), "Long-Sink")


def topology(input_topic: str, prefix: str) -> Topology:
    s = Serdes.String()
    t = Topology()
    t.add_source("Source", input_topic)
    t.add_processor("Process", WordCounter, "Source")
    t.add_state_store(Stores.key_value_store_builder(Stores.in_memory_key_value_store("Counts"), s, Serdes.Long()), "Process")
    t.add_sink("Counts-Sink", prefix + "-counts", "Process", key_serializer=s.serializer(), value_serializer=Serdes.Long().serializer())
    t.add_sink("Long-Sink", prefix + "-long", "Process")
    t.add_sink("Ticks-Sink", prefix + "-ticks", "Process")
    return t


def expected_counts(input_topic: str) -> list[tuple[str, int, int, str]]:
    counts: dict[str, int] = {}
    out = []
    for offset, (_, line, ts) in enumerate(LINES):
        for word in line.lower().split(" "):
            if word:
                counts[word] = counts.get(word, 0) + 1
                out.append((word, counts[word], ts, f"{input_topic}/0/{offset}"))
    return out


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    broker = BrokerProcess(overrides={"group.initial.rebalance.delay.ms": "0"}).start()
    yield broker.bootstrap
    broker.close()


@pytest.fixture(params=["strom", pytest.param("kafka", marks=[pytest.mark.java, pytest.mark.slow])])
def any_bootstrap(request: pytest.FixtureRequest, bootstrap: str) -> str:
    """Strom's broker, and Apache Kafka 3.9's (the same application must behave the same on both)."""
    if request.param == "kafka":
        return str(request.getfixturevalue("apache_kafka").bootstrap)
    return bootstrap


def make_input(bootstrap: str, prefix: str) -> str:
    topic = f"{prefix}-in"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, 1, 1) for t in (topic, f"{prefix}-counts", f"{prefix}-long", f"{prefix}-ticks")])
    for f in futures.values():
        f.result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    for key, line, ts in LINES:
        producer.produce(topic, value=line.encode(), key=None if key is None else key.encode(), timestamp=ts)
    assert producer.flush(30) == 0
    return topic


def read(bootstrap: str, topic: str, count: int, timeout: float = 60) -> list[Any]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4()}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                out.append(msg)
        # nothing more than expected
        extra = consumer.poll(0.5)
        assert extra is None or extra.error() is not None, f"unexpected extra record on {topic}"
    finally:
        consumer.close()
    assert len(out) == count, f"{topic}: {len(out)} of {count} records"
    return out


def check_ticks(bootstrap: str, topic: str) -> None:
    """Stream-time punctuation: ticks carry stream times (record timestamps), increasing, up to the last one.

    How many fire depends on how records were batched (Java's too), so only their shape is checked."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"ticks-{uuid.uuid4()}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    ticks: list[int] = []
    deadline = time.monotonic() + 30
    try:
        while (not ticks or ticks[-1] < LINES[-1][2]) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                assert msg.key() == b"tick" and int(msg.value()) == msg.timestamp()[1]
                ticks.append(msg.timestamp()[1])
    finally:
        consumer.close()
    assert ticks and ticks[-1] == LINES[-1][2], ticks
    assert ticks == sorted(set(ticks)) and set(ticks) <= {ts for _, _, ts in LINES}, ticks


def config(bootstrap: str, app_id: str, state_dir: Path) -> dict[str, Any]:
    return {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "statestore.cache.max.bytes": 0,
        "commit.interval.ms": 100,
        "state.dir": str(state_dir),
        "default.key.serde": "org.apache.kafka.common.serialization.Serdes$StringSerde",
        "default.value.serde": "org.apache.kafka.common.serialization.Serdes$StringSerde",
        "consumer.auto.offset.reset": "earliest",
    }


def run_strom(bootstrap: str, input_topic: str, prefix: str, tmp_path: Path) -> tuple[list[Any], list[Any]]:
    n_counts = len(expected_counts(input_topic))
    n_long = sum(1 for w in expected_counts(input_topic) if len(w[0]) > 5)
    streams = KafkaStreams(topology(input_topic, prefix), config(bootstrap, f"papi-{prefix}", tmp_path))
    streams.start()
    try:
        out = read(bootstrap, prefix + "-counts", n_counts), read(bootstrap, prefix + "-long", n_long)
        check_ticks(bootstrap, prefix + "-ticks")
        return out
    finally:
        streams.close(30)


def test_processor_api_on_a_broker(bootstrap: str, tmp_path: Path) -> None:
    input_topic = make_input(bootstrap, "py")
    counts, longs = run_strom(bootstrap, input_topic, "py", tmp_path)
    got = [
        (m.key().decode(), int.from_bytes(m.value(), "big", signed=True), m.timestamp()[1], dict(m.headers() or [])["source"].decode())
        for m in counts
    ]
    assert got == expected_counts(input_topic)
    assert [(m.key().decode(), m.value().decode(), m.timestamp()[1]) for m in longs] == [
        (w, w.upper(), ts + 1) for w, _, ts, _ in expected_counts(input_topic) if len(w) > 5
    ]


@pytest.mark.slow
@pytest.mark.java
def test_same_records_as_java_kafka_streams(any_bootstrap: str, tmp_path: Path) -> None:
    bootstrap = any_bootstrap
    input_topic = make_input(bootstrap, "cmp")
    py_counts, py_longs = run_strom(bootstrap, input_topic, "cmp", tmp_path)
    classpath = f"{kafka_streams_jar()}:{kafka_libs()}/*"
    java = subprocess.Popen(
        ["java", "-Xmx256m", "-cp", classpath, str(JAVA_APP), bootstrap, "papi-java", input_topic, "java"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for f in admin.create_topics([NewTopic(t, 1, 1) for t in ("java-counts", "java-long", "java-ticks")]).values():
            f.result(30)
        java_counts = read(bootstrap, "java-counts", len(py_counts), timeout=120)
        java_longs = read(bootstrap, "java-long", len(py_longs), timeout=60)
        check_ticks(bootstrap, "java-ticks")
    except AssertionError:
        java.terminate()
        print(java.communicate(timeout=60)[1][-5000:])
        raise
    finally:
        if java.poll() is None:
            java.terminate()
    out, err = java.communicate(timeout=60)

    def view(msgs: list[Any]) -> list[tuple[Any, ...]]:
        return [(m.key(), m.value(), m.timestamp(), m.headers()) for m in msgs]

    assert view(py_counts) == view(java_counts)
    assert view(py_longs) == view(java_longs)
    assert out == str(topology(input_topic, "java").describe()), err[-2000:]
