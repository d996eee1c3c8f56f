"""What a task commits besides its offsets, on a broker: the partition time in the commit metadata (Java's
TopicPartitionMetadata, base64), from which a restarted task resumes stream time, whether Strom or Java wrote it;
the records of repartition topics below the committed offsets are deleted (repartition.purge.interval.ms); and a
record with timestamp 0 keeps it on the way through the repartition topic to the output."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.client.types import TopicPartition
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Produced
from strom.streams.processor.api import ContextualFixedKeyProcessor, FixedKeyRecord
from strom.streams.runtime.topic_partition_metadata import decode
from strom.streams.serdes import Serdes
from strom.testing.broker import BrokerProcess

# TopicPartitionMetadata(123456, empty ProcessorMetadata).encode() as Kafka Streams 3.9.1 writes it
# (tests/integration/test_streams_runtime_java_golden.py checks this string against Java's class)
JAVA_METADATA_123456 = "AgAAAAAAAeJA"
INPUT = [(0, "zero"), (5000, "five"), (7000, "seven")]  # (timestamp, value)


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for f in admin.create_topics([NewTopic("cm-in", 1, 1), NewTopic("cm-out", 1, 1)]).values():
            f.result(30)
        admin.close()
        p = Producer({"bootstrap.servers": b.bootstrap})
        for ts, value in INPUT:
            p.produce("cm-in", value.encode(), key=b"k", create_time=ts)
        p.flush(30)
        p.close()
        yield b


class StreamTimeAtInit(ContextualFixedKeyProcessor[str, str, str]):
    """Notes the stream time its task starts with (the committed partition time, or -1)."""

    seen: list[int] = []

    def init(self, context: Any) -> None:
        super().init(context)
        StreamTimeAtInit.seen.append(context.current_stream_time_ms())

    def process(self, record: FixedKeyRecord[str, str]) -> None:
        self.context().forward(record)


def _streams(broker: BrokerProcess, app_id: str, state_dir: Path) -> KafkaStreams:
    builder = StreamsBuilder()
    (
        builder.stream("cm-in")
        .process_values(StreamTimeAtInit)
        .group_by(lambda key, value: value)
        .count()
        .to_stream()
        .to("cm-out", Produced.with_(Serdes.String(), Serdes.Long()))
    )
    config = {
        "application.id": app_id,
        "bootstrap.servers": broker.bootstrap,
        "state.dir": str(state_dir),
        "commit.interval.ms": 100,
        "repartition.purge.interval.ms": 0,
        "default.key.serde": Serdes.String(),
        "default.value.serde": Serdes.String(),
    }
    return KafkaStreams(builder.build(), config)


def _wait(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _committed(broker: BrokerProcess, group: str, topic: str) -> TopicPartition:
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        return c.committed([TopicPartition(topic, 0)], timeout=30)[0]
    finally:
        c.close()


def test_commit_metadata_purge_and_timestamp_zero(broker: BrokerProcess, tmp_path: Path) -> None:
    StreamTimeAtInit.seen = []
    streams = _streams(broker, "cm-app", tmp_path / "a")
    streams.start()
    out: dict[str, tuple[int, int]] = {}
    reader = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "cm-reader", "auto.offset.reset": "earliest"})
    reader.subscribe(["cm-out"])
    repartition = "cm-app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition"
    try:

        def counted() -> bool:
            for m in reader.consume(100, 0.2):
                if m.error() is None:
                    out[m.key().decode()] = (Serdes.Long().deserializer().deserialize("cm-out", m.value()), m.timestamp()[1])
            return len(out) == 3

        _wait(counted)
        # a timestamp of 0 stays 0 through the repartition topic and the count's output
        assert out == {"zero": (1, 0), "five": (1, 5000), "seven": (1, 7000)}

        def purged() -> bool:
            low, high = reader.get_watermark_offsets(TopicPartition(repartition, 0), timeout=30)
            return low == high == 3

        _wait(purged)
    finally:
        streams.close(30)
        reader.close()
    assert StreamTimeAtInit.seen == [-1]
    committed = _committed(broker, "cm-app", "cm-in")
    assert committed.offset == 3 and decode(committed.metadata) == (7000, {})

    # a new instance (empty state directory) resumes stream time from Strom's commit ...
    again = _streams(broker, "cm-app", tmp_path / "b")
    again.start()
    try:
        _wait(lambda: bool(StreamTimeAtInit.seen[1:]))
    finally:
        again.close(30)
    assert StreamTimeAtInit.seen == [-1, 7000]

    # ... and from the metadata Java's Kafka Streams commits
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "cm-java"})
    c.commit(offsets=[TopicPartition("cm-in", 0, 3, JAVA_METADATA_123456)], asynchronous=False)
    c.close()
    java = _streams(broker, "cm-java", tmp_path / "c")
    java.start()
    try:
        _wait(lambda: bool(StreamTimeAtInit.seen[2:]))
    finally:
        java.close(30)
    assert StreamTimeAtInit.seen == [-1, 7000, 123456]


def test_producer_create_time_zero_is_zero_and_timestamp_zero_is_now(broker: BrokerProcess) -> None:
    p = Producer({"bootstrap.servers": broker.bootstrap})
    before = int(time.time() * 1000)
    p.produce("cm-ts", b"confluent", timestamp=0)  # confluent-kafka's 0: now
    p.produce("cm-ts", b"java", create_time=0)  # Java's ProducerRecord timestamp 0: 0
    p.produce("cm-ts", b"given", timestamp=0, create_time=42)
    assert p.flush(30) == 0
    p.close()
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "cm-ts", "auto.offset.reset": "earliest"})
    c.subscribe(["cm-ts"])
    got: dict[bytes, int] = {}
    deadline = time.monotonic() + 30
    while len(got) < 3 and time.monotonic() < deadline:
        for m in c.consume(10, 0.5):
            if m.error() is None:
                got[m.value()] = m.timestamp()[1]
    c.close()
    assert got[b"java"] == 0 and got[b"given"] == 42 and got[b"confluent"] >= before
