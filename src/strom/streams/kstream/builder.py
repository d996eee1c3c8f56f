"""StreamsBuilder: the DSL's entry point. stream(), table(), global_table() read topics; build() writes the
graph of DSL operations into a Topology whose describe() and internal topics are Java's for the same program."""

from __future__ import annotations

import re
from typing import Any

from strom.streams.config import TOPOLOGY_OPTIMIZATION_CONFIG, verify_topology_optimization_configs
from strom.streams.kstream.internals import names as n
from strom.streams.kstream.internals.graph import GraphNode, InternalStreamsBuilder
from strom.streams.kstream.internals.materialize import key_value_store
from strom.streams.kstream.internals.table_processors import KTableSource, StoreValueGetterSupplier
from strom.streams.kstream.kstream import KStream
from strom.streams.kstream.ktable import GlobalKTable, KTable, materialized_names
from strom.streams.kstream.options import Consumed, Materialized
from strom.streams.topology import Topology


def _de(serde: Any) -> Any:
    return None if serde is None else serde.deserializer()


class StreamsBuilder:
    def __init__(self) -> None:
        self.topology = Topology()
        self.internal_topology_builder = self.topology.internal_topology_builder
        self.internal_streams_builder = InternalStreamsBuilder(self.internal_topology_builder)
        self._built = False

    def stream(self, topics: str | list[str] | re.Pattern[str], consumed: Consumed[Any] | None = None) -> KStream:
        """One topic, several, or a regex pattern of topics."""
        c = consumed or Consumed()
        isb = self.internal_streams_builder
        name = isb.or_else_generate(c.processor_name, n.SOURCE_NAME)
        pattern = topics if isinstance(topics, re.Pattern) else None
        topic_list: list[str] = []
        if isinstance(topics, str):
            topic_list = [topics]
        elif not isinstance(topics, re.Pattern):
            topic_list = list(topics)

        def write(itb: Any, node: GraphNode) -> None:
            itb.add_source(c.offset_reset, name, c.timestamp_extractor, _de(c.key_serde), _de(c.value_serde), topic_list, pattern)

        node = GraphNode(name, write)
        isb.add_graph_node(isb.root, node)
        return KStream(name, c.key_serde, c.value_serde, {name}, False, node, isb)

    def table(self, topic: str, consumed: Consumed[Any] | None = None, materialized: Materialized[Any] | None = None) -> KTable:
        """The topic as a table: the latest value per key (a None value deletes). Materialized only when named or
        when a later operation reads it (a join, a group_by)."""
        c = consumed or Consumed()
        m = materialized or Materialized()
        isb = self.internal_streams_builder
        store_name, queryable = materialized_names(isb, m, topic + "-")
        source_name = isb.suffix_with_or_else_generate(c.processor_name, n.TABLE_SOURCE_SUFFIX, n.SOURCE_NAME)
        table_source_name = isb.or_else_generate(c.processor_name, n.TABLE_SOURCE_NAME)
        ks = m.key_serde if m.key_serde is not None else c.key_serde
        vs = m.value_serde if m.value_serde is not None else c.value_serde
        supplier = KTableSource(store_name, queryable)

        def write(itb: Any, node: GraphNode) -> None:
            itb.add_source(c.offset_reset, source_name, c.timestamp_extractor, _de(c.key_serde), _de(c.value_serde), [topic])
            itb.add_processor(table_source_name, supplier, source_name)
            if supplier.materialized():
                store = key_value_store(store_name, m, ks, vs)
                if node.reuse_source_topic_for_changelog:  # reuse.ktable.source.topics: the input is the changelog
                    store.with_logging_disabled()
                itb.add_state_store(store, table_source_name)
                if node.reuse_source_topic_for_changelog:
                    itb.connect_source_store_and_topic(store_name, topic)

        node = GraphNode(table_source_name, write)
        node.table_source = True
        isb.add_graph_node(isb.root, node)
        return KTable(table_source_name, c.key_serde, c.value_serde, {source_name}, queryable, supplier, node, isb)

    def global_table(
        self, topic: str, consumed: Consumed[Any] | None = None, materialized: Materialized[Any] | None = None
    ) -> GlobalKTable:
        """A table every instance reads in full from all partitions (no changelog: the topic is its log)."""
        c = consumed or Consumed()
        m = (materialized or Materialized()).with_logging_disabled()
        isb = self.internal_streams_builder
        store_name, _ = materialized_names(isb, m, topic + "-")
        source_name = isb.suffix_with_or_else_generate(c.processor_name, n.TABLE_SOURCE_SUFFIX, n.SOURCE_NAME)
        processor_name = isb.or_else_generate(c.processor_name, n.TABLE_SOURCE_NAME)
        ks = m.key_serde if m.key_serde is not None else c.key_serde
        vs = m.value_serde if m.value_serde is not None else c.value_serde
        supplier = KTableSource(store_name, store_name)

        def write(itb: Any, node: GraphNode) -> None:
            store = key_value_store(store_name, m, ks, vs)
            itb.add_global_store(
                store, source_name, c.timestamp_extractor, _de(c.key_serde), _de(c.value_serde), topic, processor_name, supplier
            )

        isb.add_graph_node(isb.root, GraphNode(processor_name, write))
        return GlobalKTable(StoreValueGetterSupplier(store_name), m.store_name)

    def add_state_store(self, store_builder: Any) -> StreamsBuilder:
        """A store for process()/process_values() to use by name."""
        name = store_builder.name
        self.internal_streams_builder.add_graph_node(
            self.internal_streams_builder.root, GraphNode(name, lambda itb, node: itb.add_state_store(store_builder))
        )
        return self

    def add_global_store(self, store_builder: Any, topic: str, consumed: Consumed[Any], state_update_supplier: Any) -> StreamsBuilder:
        isb = self.internal_streams_builder
        store_builder.with_logging_disabled()
        source_name = isb.suffix_with_or_else_generate(consumed.processor_name, n.TABLE_SOURCE_SUFFIX, n.SOURCE_NAME)
        processor_name = isb.or_else_generate(consumed.processor_name, n.TABLE_SOURCE_NAME)

        def write(itb: Any, node: GraphNode) -> None:
            itb.add_global_store(
                store_builder,
                source_name,
                consumed.timestamp_extractor,
                _de(consumed.key_serde),
                _de(consumed.value_serde),
                topic,
                processor_name,
                state_update_supplier,
            )

        isb.add_graph_node(isb.root, GraphNode(processor_name, write))
        return self

    def build(self, props: Any = None) -> Topology:
        """The topology of everything added so far. As Java's build(props), `topology.optimization` in `props`
        (`all`, `none` (the default) or a list of optimizations) rewrites it first."""
        if not self._built:
            self.internal_streams_builder.build(_optimizations(props))
            self._built = True
        return self.topology


def _optimizations(props: Any) -> set[str]:
    if props is None:
        return set()
    value = props.get(TOPOLOGY_OPTIMIZATION_CONFIG) if hasattr(props, "get") else None
    return set() if value is None else verify_topology_optimization_configs(str(value))
