"""suppress(until_window_closes) across a restart: the first instance stops with windows still buffered, the second
starts on an empty state directory and restores the aggregate store and the suppression buffer from their
changelogs; together they emit the final results an uninterrupted run emits (Java's, dsl_outputs_golden.txt)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.testing.broker import BrokerProcess
from tests.unit.streams.dsl_output_programs import CONFIG, suppress
from tests.unit.streams.test_dsl_outputs import _section

pytestmark = pytest.mark.slow

ROWS = [("a", 1), ("a", 6), ("b", 9), ("a", 12), ("b", 16), ("a", 30), ("b", 31)]


def test_final_results_survive_a_restart_on_empty_state(tmp_path: Path) -> None:
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("in", 1, 1), NewTopic("out", 1, 1)]).values():
            f.result(30)
        admin.close()
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        for run, rows in enumerate((ROWS[:4], ROWS[4:])):
            b = StreamsBuilder()
            suppress(b)
            config = {
                **CONFIG,
                "application.id": "suppress-restore",
                "bootstrap.servers": broker.bootstrap,
                "state.dir": str(tmp_path / str(run)),  # a fresh directory: everything comes back from the changelogs
                "commit.interval.ms": 100,
                "statestore.cache.max.bytes": 0,
            }
            streams = KafkaStreams(b.build(), config)
            streams.start()
            for key, ts in rows:
                producer.produce("in", b"x", key=key.encode(), timestamp=ts)
            producer.flush(10)
            time.sleep(6)
            streams.close(30)
        producer.close()
        consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "reader", "auto.offset.reset": "earliest"})
        consumer.subscribe(["out"])
        got: list[str] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            got += [
                f"out {m.key().decode()} {m.value().decode()} {m.timestamp()[1]}" for m in consumer.consume(100, 0.5) if m.error() is None
            ]
        consumer.close()
    assert got == _section("suppress")[1:]
