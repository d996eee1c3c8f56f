"""KTable (a changelog stream: the latest value per key) and GlobalKTable (a full copy of a topic in every
instance, for lookups by any key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strom.streams.kstream.internals import names as n
from strom.streams.kstream.internals.graph import GraphNode, InternalStreamsBuilder, processor_node
from strom.streams.kstream.internals.joins import KTableKTableJoin, KTableKTableJoinMerger
from strom.streams.kstream.internals.materialize import key_value_store
from strom.streams.kstream.internals.suppress import KTableSuppress, TimeOrderedBufferBuilder
from strom.streams.kstream.internals.table_processors import (
    KTableProcessorSupplier,
    KTableRepartitionMap,
    KTableSource,
    KTableTransform,
    ValueGetterSupplier,
    to_stream_supplier,
)
from strom.streams.kstream.options import Grouped, Materialized, Named, Suppressed, TableJoined
from strom.streams.serdes import Serdes

if TYPE_CHECKING:
    from strom.streams.kstream.grouped import KGroupedTable
    from strom.streams.kstream.kstream import KStream


def _name(named: Named | str | None) -> str | None:
    return named if isinstance(named, str) or named is None else named.name


def materialized_names(builder: InternalStreamsBuilder, materialized: Materialized[Any], prefix: str) -> tuple[str, str | None]:
    """(store name, queryable name): a user's name is queryable; otherwise a name is generated (not queryable)."""
    if materialized.store_name is not None:
        return materialized.store_name, materialized.store_name
    return builder.new_store_name(prefix), None


class KTable:
    def __init__(
        self,
        name: str,
        key_serde: Any,
        value_serde: Any,
        sub_topology_source_nodes: set[str],
        queryable_store_name: str | None,
        processor_supplier: KTableProcessorSupplier,
        graph_node: GraphNode,
        builder: InternalStreamsBuilder,
        window_grace_ms: int | None = None,
        windowed: str | None = None,
        window_size_ms: int | None = None,
    ) -> None:
        self.name = name
        self.window_size_ms = window_size_ms
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.sub_topology_source_nodes = sub_topology_source_nodes
        self.queryable_store_name = queryable_store_name
        self.processor_supplier = processor_supplier
        self.graph_node = graph_node
        self.builder = builder
        self.window_grace_ms = window_grace_ms
        self.windowed = windowed

    def query_store_name(self) -> str | None:
        """The store an interactive query reads (None when the table is not materialized under a user's name)."""
        return self.queryable_store_name

    def value_getter_supplier(self) -> ValueGetterSupplier:
        return self.processor_supplier.view()

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        return self.processor_supplier.enable_sending_old_values(force_materialization)

    def _derive(
        self, name: str, supplier: KTableProcessorSupplier, node: GraphNode, key_serde: Any, value_serde: Any, queryable: str | None
    ) -> KTable:
        self.builder.add_graph_node(self.graph_node, node)
        return KTable(
            name,
            key_serde,
            value_serde,
            self.sub_topology_source_nodes,
            queryable,
            supplier,
            node,
            self.builder,
            self.window_grace_ms,
            self.windowed,
        )

    def _transform(
        self,
        prefix: str,
        compute: Callable[[Any, Any], Any],
        named: Named | str | None,
        materialized: Materialized[Any] | None,
        is_filter: bool,
    ) -> KTable:
        store_name = queryable = None
        if materialized is not None:
            store_name, queryable = materialized_names(self.builder, materialized, prefix)
        name = self.builder.or_else_generate(_name(named), prefix)
        builders: list[Any] = []
        ks, vs = self.key_serde, (self.value_serde if is_filter else None)
        if materialized is not None and store_name is not None:
            ks = materialized.key_serde if materialized.key_serde is not None else ks
            vs = materialized.value_serde if materialized.value_serde is not None else vs
            builders.append(key_value_store(store_name, materialized, ks, vs))
        supplier = KTableTransform(self.processor_supplier, compute, store_name, is_filter)
        return self._derive(name, supplier, processor_node(name, supplier, (), builders), ks, vs, queryable)

    def filter(
        self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        return self._transform(n.TABLE_FILTER_NAME, lambda k, v: v if predicate(k, v) else None, named, materialized, True)

    def filter_not(
        self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        return self._transform(n.TABLE_FILTER_NAME, lambda k, v: None if predicate(k, v) else v, named, materialized, True)

    def map_values(
        self, mapper: Callable[..., Any], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        return self._transform(n.TABLE_MAPVALUES_NAME, n.with_key(mapper, 1), named, materialized, False)

    def transform_values(
        self,
        transformer_supplier: Any,
        *store_names: str,
        materialized: Materialized[Any] | None = None,
        named: Named | str | None = None,
    ) -> KTable:
        """A ValueTransformerWithKey (or ValueTransformer) per task sees every update, deletes (None) too, and
        returns the new value; materialized (and queryable) only when `materialized` names a store."""
        from strom.streams.kstream.internals.transform_processors import KTableTransformValues

        queryable = None if materialized is None else materialized.store_name
        name = self.builder.or_else_generate(_name(named), n.TABLE_TRANSFORMVALUES_NAME)
        ks, vs = self.key_serde, None
        builders: list[Any] = []
        if materialized is not None:
            ks = materialized.key_serde if materialized.key_serde is not None else ks
            vs = materialized.value_serde
            if queryable is not None:
                builders.append(key_value_store(queryable, materialized, ks, vs))
        supplier = KTableTransformValues(self.processor_supplier, transformer_supplier, queryable)
        return self._derive(name, supplier, processor_node(name, supplier, store_names, builders), ks, vs, queryable)

    def to_stream(self, mapper: Callable[[Any, Any], Any] | Named | str | None = None, named: Named | str | None = None) -> KStream:
        """to_stream() / to_stream(named) / to_stream(key_mapper(key, value)[, named])."""
        from strom.streams.kstream.kstream import KStream

        if callable(mapper):  # Java: toStream(named).selectKey(mapper)
            return self.to_stream(named).select_key(mapper)
        named = mapper if named is None else named
        name = self.builder.or_else_generate(_name(named), n.TABLE_TOSTREAM_NAME)
        node = processor_node(name, to_stream_supplier(None))
        self.builder.add_graph_node(self.graph_node, node)
        return KStream(name, self.key_serde, self.value_serde, self.sub_topology_source_nodes, False, node, self.builder)

    def suppress(self, suppressed: Suppressed) -> KTable:
        name = suppressed.name if suppressed.name is not None else self.builder.new_processor_name(n.TABLE_SUPPRESS_NAME)
        store_name = suppressed.name + "-store" if suppressed.name is not None else self.builder.new_store_name(n.TABLE_SUPPRESS_NAME)
        if suppressed.time_to_wait_ms is None:
            if self.window_grace_ms is None:
                raise ValueError("suppress(Suppressed.until_window_closes(...)) needs a windowed KTable (a windowed aggregation upstream)")
            duration = self.window_grace_ms
        else:
            duration = suppressed.time_to_wait_ms
        supplier = KTableSuppress(
            self.processor_supplier, suppressed, duration, self.windowed, store_name, self.key_serde, self.value_serde
        )
        config = suppressed.buffer_config
        node = processor_node(name, supplier, (), [TimeOrderedBufferBuilder(store_name, config.logging_enabled, config.topic_config)])
        return self._derive(name, supplier, node, self.key_serde, self.value_serde, None)

    # --- grouping -------------------------------------------------------------------------------------------

    def group_by(self, selector: Callable[[Any, Any], Any], grouped: Grouped[Any] | None = None) -> KGroupedTable:
        """`selector(key, value)` returns the new (key, value); the table's old values are subtracted downstream."""
        from strom.streams.kstream.grouped import KGroupedTable

        g = grouped or Grouped()
        select_name = self.builder.or_else_generate(g.name, n.TABLE_SELECT_NAME)
        supplier = KTableRepartitionMap(self.processor_supplier, selector)
        self.enable_sending_old_values(True)
        node = processor_node(select_name, supplier)  # Java's TableRepartitionMapNode: not key-changing
        self.builder.add_graph_node(self.graph_node, node)
        return KGroupedTable(self.builder, select_name, self.sub_topology_source_nodes, g, node, supplier)

    # --- joins ----------------------------------------------------------------------------------------------

    def join(self, other: KTable, *args: Any, **kwargs: Any) -> KTable:
        """join(other, joiner[, named][, materialized]), or the foreign-key join
        join(other, foreign_key_extractor(value), joiner[, TableJoined][, Materialized])."""
        return self._dispatch(other, "inner", args, kwargs)

    def left_join(self, other: KTable, *args: Any, **kwargs: Any) -> KTable:
        return self._dispatch(other, "left", args, kwargs)

    def outer_join(
        self,
        other: KTable,
        joiner: Callable[[Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized[Any] | None = None,
    ) -> KTable:
        return self._join(other, joiner, named, materialized, "outer")

    def _dispatch(self, other: KTable, kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> KTable:
        if len(args) >= 2 and callable(args[0]) and callable(args[1]):
            options = list(args[2:]) + list(kwargs.values())
            table_joined = next((o for o in options if isinstance(o, TableJoined)), TableJoined())
            materialized = next((o for o in options if isinstance(o, Materialized)), None)
            return self._fk_join(other, args[0], args[1], table_joined, materialized, kind == "left")
        joiner = args[0] if args else kwargs.pop("joiner")
        rest = list(args[1:])
        named = kwargs.get("named", rest[0] if rest and not isinstance(rest[0], Materialized) else None)
        materialized = kwargs.get("materialized", next((o for o in rest if isinstance(o, Materialized)), None))
        return self._join(other, joiner, named, materialized, kind)

    def _fk_join(
        self,
        other: KTable,
        extractor: Callable[[Any], Any],
        joiner: Callable[[Any, Any], Any],
        table_joined: TableJoined[Any],
        materialized: Materialized[Any] | None,
        left_join: bool,
    ) -> KTable:
        from strom.streams.kstream.internals import fk_join as fk
        from strom.streams.kstream.internals.graph import sink_node
        from strom.streams.state.stores import Stores

        b, itb = self.builder, self.builder.internal_topology_builder
        name = table_joined.name
        other.enable_sending_old_values(True)
        self.enable_sending_old_values(True)
        topic = b.suffix_with_or_else_generate(name, "-subscription-registration", n.FK_SUBSCRIPTION_REGISTRATION) + "-topic"
        itb.add_internal_topic(topic)
        serdes = fk.Serdes2(self.key_serde, self.value_serde, other.key_serde, other.value_serde)
        wrapper_serde = fk.SubscriptionWrapperSerde(serdes, topic)
        response_serde = fk.SubscriptionResponseWrapperSerde(serdes, topic)

        send_name = b.suffix_with_or_else_generate(name, "-subscription-registration-processor", n.FK_SUBSCRIPTION_REGISTRATION)
        send = processor_node(send_name, fk.subscription_send_supplier(serdes, topic, extractor, left_join))
        b.add_graph_node(self.graph_node, send)
        sink_name = b.suffix_with_or_else_generate(name, "-subscription-registration-sink", n.TABLE_SINK_NAME)
        fk_ser = None if other.key_serde is None else other.key_serde.serializer()
        sink = sink_node(sink_name, topic, fk_ser, wrapper_serde.serializer(), table_joined.other_partitioner)
        b.add_graph_node(send, sink)
        source_name = b.suffix_with_or_else_generate(name, "-subscription-registration-source", n.TABLE_SOURCE_NAME)
        fk_de = None if other.key_serde is None else other.key_serde.deserializer()
        source = GraphNode(
            source_name, lambda itb_, node: itb_.add_source(None, source_name, None, fk_de, wrapper_serde.deserializer(), [topic])
        )
        b.add_graph_node(sink, source)
        itb.copartition_sources(other.sub_topology_source_nodes | {source_name})

        store_name = b.suffix_with_or_else_generate(name, "-subscription-store", n.FK_SUBSCRIPTION_STATE_STORE)
        store = Stores.timestamped_key_value_store_builder(
            Stores.persistent_timestamped_key_value_store(store_name), Serdes.ByteArray(), wrapper_serde
        ).with_caching_disabled()
        b.add_graph_node(b.root, GraphNode(store_name, lambda itb_, node: itb_.add_state_store(store)))
        receive_name = b.suffix_with_or_else_generate(name, "-subscription-receive", n.FK_SUBSCRIPTION_PROCESSOR)
        receive = processor_node(receive_name, fk.subscription_receive_supplier(serdes, topic, store_name), [store_name])
        b.add_graph_node(source, receive)
        other_getter = other.value_getter_supplier()
        join_name = b.suffix_with_or_else_generate(name, "-subscription-join-foreign", n.FK_SUBSCRIPTION_PROCESSOR)
        join = processor_node(join_name, fk.subscription_join_supplier(other_getter), other_getter.store_names())
        b.add_graph_node(receive, join)
        foreign_name = b.suffix_with_or_else_generate(name, "-foreign-join-subscription", n.FK_SUBSCRIPTION_PROCESSOR)
        foreign = processor_node(foreign_name, fk.foreign_table_join_supplier(serdes, topic, store_name), [store_name])
        b.add_graph_node(other.graph_node, foreign)

        response_topic = b.suffix_with_or_else_generate(name, "-subscription-response", n.FK_SUBSCRIPTION_RESPONSE) + "-topic"
        itb.add_internal_topic(response_topic)
        response_sink_name = b.suffix_with_or_else_generate(name, "-subscription-response-sink", n.TABLE_SINK_NAME)
        key_ser = None if self.key_serde is None else self.key_serde.serializer()
        partitioner = table_joined.partitioner or fk.ResponsePartitioner()
        response_sink = sink_node(response_sink_name, response_topic, key_ser, response_serde.serializer(), partitioner)
        b.add_graph_node(join, response_sink)
        b.add_graph_node(foreign, response_sink)
        response_source_name = b.suffix_with_or_else_generate(name, "-subscription-response-source", n.TABLE_SOURCE_NAME)
        key_de = None if self.key_serde is None else self.key_serde.deserializer()
        response_source = GraphNode(
            response_source_name,
            lambda itb_, node: itb_.add_source(None, response_source_name, None, key_de, response_serde.deserializer(), [response_topic]),
        )
        b.add_graph_node(response_sink, response_source)
        result_sources = self.sub_topology_source_nodes | {response_source_name}
        itb.copartition_sources(result_sources)

        this_getter = self.value_getter_supplier()
        resolver_name = b.suffix_with_or_else_generate(name, "-subscription-response-resolver", n.FK_RESPONSE_RESOLVER)
        resolver = processor_node(
            resolver_name, fk.response_join_supplier(serdes, topic, this_getter, joiner, left_join), this_getter.store_names()
        )
        b.add_graph_node(response_source, resolver)
        result_name = b.suffix_with_or_else_generate(name, "-result", n.FK_JOIN_OUTPUT)
        m = materialized or Materialized()
        result_store, queryable = materialized_names(b, m, n.FK_JOIN_OUTPUT)
        ks = m.key_serde if m.key_serde is not None else self.key_serde
        vs = m.value_serde
        supplier = KTableSource(result_store, queryable)

        def write(itb_: Any, node: GraphNode) -> None:
            itb_.add_processor(result_name, supplier, *node.parent_names())
            if supplier.materialized():
                itb_.add_state_store(key_value_store(result_store, m, ks, vs), result_name)

        result = GraphNode(result_name, write)
        b.add_graph_node(resolver, result)
        return KTable(result_name, ks, vs, result_sources, queryable, supplier, result, b)

    def _join(
        self, other: KTable, joiner: Callable[[Any, Any], Any], named: Named | str | None, materialized: Materialized[Any] | None, kind: str
    ) -> KTable:
        builder = self.builder
        join_name = _name(named)
        store_name = None
        if materialized is not None:
            store_name, _ = materialized_names(builder, materialized, n.TABLE_MERGE_NAME)
        merge_name = builder.or_else_generate(join_name, n.TABLE_MERGE_NAME)
        sources = self.sub_topology_source_nodes | other.sub_topology_source_nodes
        builder.internal_topology_builder.copartition_sources(sources)
        if kind in ("left", "outer"):
            self.enable_sending_old_values(True)
        if kind == "outer":
            other.enable_sending_old_values(True)
        join_this = KTableKTableJoin(self.processor_supplier, other.processor_supplier, joiner, kind, True)
        join_other = KTableKTableJoin(other.processor_supplier, self.processor_supplier, joiner, kind, False)
        this_name = builder.suffix_with_or_else_generate(join_name, "-join-this", n.TABLE_JOINTHIS_NAME)
        other_name = builder.suffix_with_or_else_generate(join_name, "-join-other", n.TABLE_JOINOTHER_NAME)
        ks, vs = self.key_serde, None
        queryable = None
        store_builder = None
        if materialized is not None and store_name is not None:
            ks = materialized.key_serde if materialized.key_serde is not None else self.key_serde
            vs = materialized.value_serde
            store_builder = key_value_store(store_name, materialized, ks, vs)
            queryable = store_name
        merger = KTableKTableJoinMerger(join_this, join_other, queryable)
        this_stores = self.value_getter_supplier().store_names()
        other_stores = other.value_getter_supplier().store_names()
        this_parent, other_parent = self.name, other.name

        def write(itb: Any, node: GraphNode) -> None:
            itb.add_processor(this_name, join_this, this_parent)
            itb.add_processor(other_name, join_other, other_parent)
            itb.add_processor(merge_name, merger, this_name, other_name)
            itb.connect_processor_and_state_stores(this_name, *other_stores)
            itb.connect_processor_and_state_stores(other_name, *this_stores)
            if store_builder is not None:
                itb.add_state_store(store_builder, merge_name)

        node = GraphNode(merge_name, write)
        builder.add_graph_node([self.graph_node, other.graph_node], node)
        return KTable(merge_name, ks, vs, sources, queryable, merger, node, builder)


class GlobalKTable:
    """A table read in full by every instance; joined from a stream by any key the stream maps to."""

    def __init__(self, value_getter_supplier: ValueGetterSupplier, queryable_store_name: str | None) -> None:
        self.value_getter_supplier = value_getter_supplier
        self.queryable_store_name = queryable_store_name

    def query_store_name(self) -> str | None:
        return self.queryable_store_name
