"""The 2.8 transformers beyond what DslOptimized.java compares (test_dsl_optimized.py): Java's rules for what a
transformer may do and how it is supplied."""

from __future__ import annotations

from typing import Any

import pytest

from strom.streams.errors import StreamsException
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.transformer import To, Transformer, TransformerContext, ValueTransformer
from strom.streams.serdes import Serdes
from strom.streams.state.stores import Stores
from strom.streams.topology_test_driver import TopologyTestDriver

CONFIG = {"application.id": "t", "default.key.serde": Serdes.String(), "default.value.serde": Serdes.String()}


def _run(b: StreamsBuilder, records: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        src = driver.create_input_topic("in", Serdes.String().serializer(), Serdes.String().serializer())
        for key, value, ts in records:
            src.pipe_input(key, value, timestamp=ts)
        out = driver.create_output_topic("out", Serdes.String().deserializer(), Serdes.String().deserializer())
        return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


class Forwarding(ValueTransformer[str, str]):
    def init(self, context: TransformerContext) -> None:
        self.context = context

    def transform(self, value: str) -> str:
        self.context.forward("k", value)
        return value


def test_a_value_transformer_cannot_forward() -> None:
    b = StreamsBuilder()
    b.stream("in").transform_values(Forwarding).to("out")
    with pytest.raises(StreamsException, match="forward\\(\\) is not supported from this context"):
        _run(b, [("a", "x", 1)])


def test_a_supplier_must_make_a_new_transformer_each_time() -> None:
    shared = Forwarding()
    with pytest.raises(ValueError, match="generates single reference"):
        StreamsBuilder().stream("in").transform_values(lambda: shared)


class Stamping(Transformer[str, str, Any]):
    """Forwards each record twice, the second time to a later timestamp; returns nothing itself."""

    def init(self, context: TransformerContext) -> None:
        self.context = context
        self.store = context.get_state_store("last")

    def transform(self, key: str, value: str) -> None:
        self.store.put(key, value)
        self.context.forward(key, value)
        self.context.forward(key, value + "!", To.all().with_timestamp(self.context.timestamp() + 100))


class StampingSupplier:
    """A supplier with its own store (Java's ConnectedStoreProvider): added and connected, no add_state_store."""

    def get(self) -> Stamping:
        return Stamping()

    def stores(self) -> set[Any]:
        return {Stores.key_value_store_builder(Stores.in_memory_key_value_store("last"), Serdes.String(), Serdes.String())}


def test_forward_from_transform_with_a_timestamp_and_a_supplier_store() -> None:
    b = StreamsBuilder()
    b.stream("in").transform(StampingSupplier()).to("out")
    topology = b.build()
    assert "Processor: KSTREAM-TRANSFORM-0000000001 (stores: [last])" in str(topology.describe())
    assert _run(b, [("a", "x", 1), ("b", "y", 5)]) == [("a", "x", 1), ("a", "x!", 101), ("b", "y", 5), ("b", "y!", 105)]
