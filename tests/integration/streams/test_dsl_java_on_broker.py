"""Java Kafka Streams 3.9 and Strom's Streams run the same DSL program (DslOutputs.java /
tests/unit/streams/dsl_output_programs.py) with KafkaStreams on a Strom broker, on the same input records: the
output topics hold the same records (keys, values, window bounds, timestamps, in order). Record caches are off on
both sides so every update is emitted."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.testing.broker import BrokerProcess
from tests.integration.test_streams_dsl_java import JAVA, streams_libs
from tests.unit.streams.dsl_output_programs import CONFIG, INPUTS, PROGRAMS

pytestmark = [pytest.mark.java, pytest.mark.slow]

SINGLE_INPUT = ["wordcount", "windowed", "suppress", "session", "sliding", "table_groupby"]


def _inputs(name: str) -> list[list[str]]:
    return [line.split(" ") for line in INPUTS.read_text().splitlines() if line and not line.startswith("#") and line.split(" ")[0] == name]


def _produce(bootstrap: str, rows: list[list[str]]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = sorted({r[1] for r in rows} | {"out"})
    for f in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
        f.result(30)
    admin.close()
    p = Producer({"bootstrap.servers": bootstrap})
    for _, topic, key, value, ts in rows:
        p.produce(topic, None if value == "-" else value.encode(), key=None if key == "-" else key.encode(), timestamp=int(ts))
    p.flush(30)
    p.close()


def _read(bootstrap: str, expected: int, timeout: float = 60) -> list[tuple[Any, ...]]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "auto.offset.reset": "earliest"})
    c.subscribe(["out"])
    out: list[tuple[Any, ...]] = []
    deadline = time.monotonic() + timeout
    quiet_until = time.monotonic() + 3
    while time.monotonic() < deadline and (len(out) < expected or time.monotonic() < quiet_until):
        for m in c.consume(100, 0.2):
            if m.error() is None:
                out.append((m.key(), m.value(), m.timestamp()[1]))
                quiet_until = time.monotonic() + 3
    c.close()
    return out


@pytest.mark.parametrize("name", SINGLE_INPUT)
def test_same_output_records_as_java(name: str, tmp_path: Path) -> None:
    rows = _inputs(name)
    with BrokerProcess() as java_broker:
        _produce(java_broker.bootstrap, rows)
        subprocess.run(
            [
                "java",
                "-cp",
                f"{streams_libs()}/*",
                str(JAVA / "DslOutputs.java"),
                "--broker",
                name,
                java_broker.bootstrap,
                f"java-{name}",
                str(tmp_path / "java"),
                "20",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        java = _read(java_broker.bootstrap, 1)
    assert java
    with BrokerProcess() as broker:
        _produce(broker.bootstrap, rows)
        b = StreamsBuilder()
        PROGRAMS[name](b)
        config = {
            **CONFIG,
            "application.id": f"strom-{name}",
            "bootstrap.servers": broker.bootstrap,
            "state.dir": str(tmp_path / "strom"),
            "statestore.cache.max.bytes": 0,
            "commit.interval.ms": 100,
            "consumer.auto.offset.reset": "earliest",
        }
        with KafkaStreams(b.build(), config) as streams:
            streams.start()
            ours = _read(broker.bootstrap, len(java))
    assert ours == java
