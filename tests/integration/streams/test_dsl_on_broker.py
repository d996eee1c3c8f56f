"""The DSL on a broker: a word count that groups by word (a repartition topic named as Java names it) and counts
into a named store (its changelog), run by KafkaStreams; the last count per word is exact, the internal topics
exist under Java's names, and the store answers interactive queries."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.errors import InvalidStateStoreException
from strom.streams.kafka_streams import KafkaStreams, QueryableStoreTypes, State, StoreQueryParameters
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Materialized, Produced
from strom.streams.serdes import Serdes
from strom.testing.broker import BrokerProcess

LINES = ["the quick brown fox", "jumps over the lazy dog", "the fox"] * 20
EXPECTED = {"the": 60, "quick": 20, "brown": 20, "fox": 40, "jumps": 20, "over": 20, "lazy": 20, "dog": 20}


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess() as b:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        for f in admin.create_topics([NewTopic("dsl-lines", 2, 1), NewTopic("dsl-counts", 2, 1)]).values():
            f.result(30)
        admin.close()
        p = Producer({"bootstrap.servers": b.bootstrap})
        for i, line in enumerate(LINES):
            p.produce("dsl-lines", line.encode(), key=str(i).encode())
        p.flush(30)
        p.close()
        yield b


def _wait(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_word_count_with_repartition_and_changelog(broker: BrokerProcess, tmp_path: Path) -> None:
    builder = StreamsBuilder()
    (
        builder.stream("dsl-lines")
        .flat_map_values(lambda line: re.split(r"\W+", line.lower()))
        .group_by(lambda key, word: word)
        .count(materialized=Materialized.as_("counts"))
        .to_stream()
        .to("dsl-counts", Produced.with_(Serdes.String(), Serdes.Long()))
    )
    config = {
        "application.id": "dsl-wc",
        "bootstrap.servers": broker.bootstrap,
        "state.dir": str(tmp_path),
        "commit.interval.ms": 100,
        "default.key.serde": Serdes.String(),
        "default.value.serde": Serdes.String(),
        "consumer.auto.offset.reset": "earliest",
    }
    streams = KafkaStreams(builder.build(), config)
    streams.start()
    try:
        counts: dict[str, int] = {}
        consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "dsl-wc-reader", "auto.offset.reset": "earliest"})
        consumer.subscribe(["dsl-counts"])
        long_de = Serdes.Long().deserializer()

        def done() -> bool:
            for m in consumer.consume(500, 0.2):
                if m.error() is None:
                    counts[m.key().decode()] = long_de.deserialize("dsl-counts", m.value())
            return counts == EXPECTED

        _wait(done)
        consumer.close()
        _wait(lambda: streams.state() is State.RUNNING, 30)  # a rebalance may follow the internal topics' creation
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        topics = set(admin.list_topics(timeout=10).topics)
        admin.close()
        assert {"dsl-wc-counts-repartition", "dsl-wc-counts-changelog"} <= topics
        store = streams.store(StoreQueryParameters.from_store_name("counts", QueryableStoreTypes.key_value_store()))

        def queryable() -> bool:  # as Java's: a store may be briefly unavailable (a rebalance); retry
            try:
                return bool(dict(store.all()) == EXPECTED and store.get("the") == 60)
            except InvalidStateStoreException:
                return False

        _wait(queryable, 30)
    finally:
        streams.close(30)
