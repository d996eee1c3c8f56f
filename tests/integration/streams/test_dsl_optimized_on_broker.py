"""topology.optimization=all on a broker. A users table (its input topic is its changelog: no -changelog topic)
counted per region, and clicks re-keyed once, then counted and joined with the table through one repartition
topic. A second instance on an empty state directory restores the users store from the users topic up to the
committed offset only: the update it then processes is subtracted from the region the committed state had (a
restore to the topic's end would count it twice and never move it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams, State
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.serdes import Serdes
from strom.streams.topology import Topology
from strom.testing.broker import BrokerProcess
from tests.unit.streams.dsl_optimized_programs import INPUTS, build, transform
from tests.unit.streams.dsl_programs import golden

OUTPUTS = INPUTS.parent / "dsl_optimized_outputs_golden.txt"

APP = "opt-app"


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess() as b:
        create_topics(b.bootstrap)
        yield b


def create_topics(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = [NewTopic(t, 2, 1) for t in ("opt-users", "opt-clicks", "opt-regions", "opt-click-counts", "opt-enriched")]
    for f in admin.create_topics(topics).values():
        f.result(30)
    admin.close()


def internal_topics(bootstrap: str, app: str) -> list[str]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        return sorted(t for t in admin.list_topics(timeout=10).topics if t.startswith(app + "-"))
    finally:
        admin.close()


def topology() -> Topology:
    """DslOptimized.java's opt_app (describe() checked against Java's in tests/unit/streams/test_dsl_optimized.py)."""
    return build("opt_app")


def produce(bootstrap: str, topic: str, records: list[tuple[str, str]]) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for key, value in records:
        p.produce(topic, value.encode(), key=key.encode())
    p.flush(30)
    p.close()


class Latest:
    """The last value per key of an output topic."""

    def __init__(self, bootstrap: str, topic: str, long_values: bool) -> None:
        self.topic = topic
        self.values: dict[str, Any] = {}
        self._long = Serdes.Long().deserializer() if long_values else None
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": f"reader-{topic}-{uuid.uuid4()}", "auto.offset.reset": "earliest"}
        )
        self._consumer.subscribe([topic])

    def until(self, expected: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while self.values != expected and time.monotonic() < deadline:
            for m in self._consumer.consume(500, 0.2):
                if m.error() is None:
                    v = m.value()
                    self.values[m.key().decode()] = self._long.deserialize(self.topic, v) if self._long else v.decode()
        return self.values

    def close(self) -> None:
        self._consumer.close()


def start(bootstrap: str, state_dir: Path, app: str = APP) -> KafkaStreams:
    config = {
        "application.id": app,
        "bootstrap.servers": bootstrap,
        "state.dir": str(state_dir),
        "commit.interval.ms": 100,
        "statestore.cache.max.bytes": 0,
        "default.key.serde": Serdes.String(),
        "default.value.serde": Serdes.String(),
    }
    streams = KafkaStreams(topology(), config)
    streams.start()
    return streams


def test_optimized_topology_on_a_broker(broker: BrokerProcess, tmp_path: Path) -> None:
    bootstrap = broker.bootstrap
    produce(bootstrap, "opt-users", [("ann", "north"), ("bob", "north"), ("cy", "south")])
    regions = Latest(bootstrap, "opt-regions", True)
    streams = start(bootstrap, tmp_path / "one")
    try:
        assert regions.until({"north": 2, "south": 1}) == {"north": 2, "south": 1}
        deadline = time.monotonic() + 30
        while streams.state() is not State.RUNNING and time.monotonic() < deadline:
            time.sleep(0.05)
        produce(bootstrap, "opt-clicks", [("c1", "ann"), ("c2", "cy"), ("c3", "ann")])
        counts = Latest(bootstrap, "opt-click-counts", True)
        enriched = Latest(bootstrap, "opt-enriched", False)
        assert counts.until({"ann": 2, "cy": 1}) == {"ann": 2, "cy": 1}
        assert enriched.until({"ann": "ann@north", "cy": "cy@south"}) == {"ann": "ann@north", "cy": "cy@south"}
        counts.close()
        enriched.close()
    finally:
        assert streams.close(30)
    assert internal_topics(bootstrap, APP) == [  # Java's names; the users store has none: its changelog is opt-users
        f"{APP}-clicks-changelog",
        f"{APP}-clicks-repartition",  # the count's and the join's repartition, merged
        f"{APP}-per-region-changelog",
        f"{APP}-per-region-repartition",
    ]

    # bob moves while no instance runs; a new instance on an empty state directory restores "users" from opt-users
    # up to the committed offset, then processes the move: north loses bob, south gains him
    produce(bootstrap, "opt-users", [("bob", "south")])
    streams = start(bootstrap, tmp_path / "two")
    try:
        assert regions.until({"north": 1, "south": 2}) == {"north": 1, "south": 2}
    finally:
        regions.close()
        assert streams.close(30)


def test_transformers_on_a_broker(broker: BrokerProcess, tmp_path: Path) -> None:
    """DslOptimized.java's `transform` program (a Transformer with a store and a stream-time punctuator, then
    transform_values, flat_transform_values, flat_transform) on a broker gives the records Java's TopologyTestDriver
    gives. The driver punctuates after each record, a stream thread after each batch (Java's too): so the ticks
    may be fewer, and the last one is the stream time of the last record."""
    bootstrap = broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic("tf-in", 1, 1), NewTopic("tf-out", 1, 1)]).values():
        f.result(30)
    admin.close()
    rows = [line.split(" ") for line in INPUTS.read_text().splitlines() if line.startswith("transform in ")]
    p = Producer({"bootstrap.servers": bootstrap})
    for _, _, key, value, ts in rows:
        p.produce("tf-in", value.encode(), key=key.encode(), timestamp=int(ts))
    p.flush(30)
    p.close()
    expected = [line.split(" ") for line in golden(OUTPUTS.read_text())["transform"].splitlines()]
    b = StreamsBuilder()
    transform(b, "tf-in", "tf-out")
    config = {
        "application.id": "tf-app",
        "bootstrap.servers": bootstrap,
        "state.dir": str(tmp_path),
        "commit.interval.ms": 100,
        "default.key.serde": Serdes.String(),
        "default.value.serde": Serdes.String(),
    }
    got: list[list[str]] = []
    with KafkaStreams(b.build(), config) as streams:
        streams.start()
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "tf-reader", "auto.offset.reset": "earliest"})
        c.subscribe(["tf-out"])
        records = [r for r in expected if r[2] != "tick"]
        deadline = time.monotonic() + 120
        while (len([r for r in got if r[2] != "tick"]) < len(records) or not got or got[-1][2] != "tick") and time.monotonic() < deadline:
            for m in c.consume(100, 0.2):
                if m.error() is None:
                    got.append(["out", m.key().decode(), m.value().decode(), str(m.timestamp()[1])])
        c.close()
    assert [r for r in got if r[2] != "tick"] == records
    assert got[-1] == ["out", "keys=3@25", "tick", "25"]
