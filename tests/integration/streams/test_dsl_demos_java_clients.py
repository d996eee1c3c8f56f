"""Kafka's WordCountDemo ported to Strom's DSL, fed by confluent-kafka and by Kafka's Java console producer, its
output read by Kafka's Java console consumer with Kafka's LongDeserializer: the counts are exact. Against Strom
and against Apache Kafka 3.9."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer as ConfluentProducer

from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Consumed, Materialized, Produced
from strom.streams.serdes import Serdes
from strom.testing.apache_kafka import ApacheKafka, run_kafka_tool
from strom.testing.broker import BrokerProcess

pytestmark = [pytest.mark.java, pytest.mark.slow]

PY_LINES = ["all streams lead to kafka", "hello kafka streams"]
JAVA_LINES = ["join kafka summit", "kafka streams hello"]


def word_count(builder: StreamsBuilder) -> None:
    """WordCountDemo: the same operations, in the same order, as Kafka's example."""
    (
        builder.stream("streams-plaintext-input", Consumed.with_(Serdes.String(), Serdes.String()))
        .flat_map_values(lambda value: re.split(r"\W+", value.lower()))
        .group_by(lambda key, value: value)
        .count(materialized=Materialized.as_("counts-store"))
        .to_stream()
        .to("streams-wordcount-output", Produced.with_(Serdes.String(), Serdes.Long()))
    )


def expected() -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in PY_LINES + JAVA_LINES:
        for word in re.split(r"\W+", line.lower()):
            counts[word] = counts.get(word, 0) + 1
    return counts


@pytest.fixture(params=["strom", "kafka"], scope="module")
def bootstrap(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "strom":
        with BrokerProcess() as broker:
            yield broker.bootstrap
        return
    kafka = ApacheKafka().start()
    try:
        yield kafka.bootstrap
    finally:
        kafka.close()


def test_word_count_demo_with_java_clients(bootstrap: str, tmp_path: Path) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic("streams-plaintext-input", 1, 1), NewTopic("streams-wordcount-output", 1, 1)]).values():
        f.result(30)
    admin.close()
    p = ConfluentProducer({"bootstrap.servers": bootstrap})
    for line in PY_LINES:
        p.produce("streams-plaintext-input", line.encode())
    p.flush(30)
    proc = run_kafka_tool(
        "kafka-console-producer.sh",
        ["--bootstrap-server", bootstrap, "--topic", "streams-plaintext-input"],
        input="\n".join(JAVA_LINES) + "\n",
    )
    assert proc.returncode == 0, proc.stderr

    builder = StreamsBuilder()
    word_count(builder)
    config = {  # WordCountDemo's settings
        "application.id": "streams-wordcount",
        "bootstrap.servers": bootstrap,
        "state.dir": str(tmp_path),
        "statestore.cache.max.bytes": 0,
        "default.key.serde": Serdes.String(),
        "default.value.serde": Serdes.String(),
        "consumer.auto.offset.reset": "earliest",
    }
    want = expected()
    with KafkaStreams(builder.build(), config) as streams:
        streams.start()
        deadline = time.monotonic() + 90
        counts: dict[str, int] = {}
        while counts != want and time.monotonic() < deadline:
            out = run_kafka_tool(
                "kafka-console-consumer.sh",
                [
                    "--bootstrap-server",
                    bootstrap,
                    "--topic",
                    "streams-wordcount-output",
                    "--from-beginning",
                    "--timeout-ms",
                    "5000",
                    "--property",
                    "print.key=true",
                    "--property",
                    "value.deserializer=org.apache.kafka.common.serialization.LongDeserializer",
                ],
            )
            counts = {}
            for line in out.stdout.splitlines():
                key, _, value = line.partition("\t")
                counts[key] = int(value)
    assert counts == want
