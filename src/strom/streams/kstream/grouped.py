"""Grouped streams and tables and their aggregations: KGroupedStream (count/reduce/aggregate, windowed_by,
cogroup), TimeWindowedKStream, SessionWindowedKStream, CogroupedKStream, KGroupedTable (adder/subtractor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strom.streams.kstream.internals import names as n
from strom.streams.kstream.internals.aggregates import (
    KStreamAggregate,
    KStreamSessionWindowAggregate,
    KStreamSlidingWindowAggregate,
    KStreamWindowAggregate,
)
from strom.streams.kstream.internals.change import ChangedDeserializer, ChangedSerializer
from strom.streams.kstream.internals.graph import GraphNode, InternalStreamsBuilder, processor_node
from strom.streams.kstream.internals.materialize import key_value_store, session_store, window_store
from strom.streams.kstream.internals.table_processors import KTableAggregate, KTableProcessorSupplier, KTableRepartitionMap
from strom.streams.kstream.kstream import create_repartitioned_source
from strom.streams.kstream.ktable import KTable, materialized_names
from strom.streams.kstream.options import Grouped, Materialized, Named
from strom.streams.kstream.windows import SessionWindows, SlidingWindows, TimeWindows, UnlimitedWindows
from strom.streams.serdes import Serdes
from strom.streams.timestamps import FailOnInvalidTimestamp


def _name(named: Named | str | None) -> str | None:
    return named if isinstance(named, str) or named is None else named.name


def _count_init() -> int:
    return 0


def _count_add(key: Any, value: Any, agg: int) -> int:
    return agg + 1


def _burn_count_name(builder: Any, materialized: Materialized[Any] | None) -> None:
    """Java's count(Materialized) of a grouped, time-windowed or session-windowed stream uses up one index when
    the Materialized has no store name (kept for topology compatibility); the names after it follow."""
    if materialized is not None and materialized.store_name is None:
        builder.new_store_name(n.STREAM_AGGREGATE_NAME)


class _AggregateBuilder:
    """Adds the repartition (when the key changed upstream) and the stateful node of a stream aggregation."""

    def __init__(self, grouped: KGroupedStream) -> None:
        self.g = grouped
        self.repartition_node: GraphNode | None = None
        self.repartition_source: str | None = None

    def build(
        self,
        func_name: str,
        store_name: str,
        store_builder: Any,
        supplier: KTableProcessorSupplier,
        queryable: str | None,
        key_serde: Any,
        value_serde: Any,
        grace_ms: int | None = None,
        windowed: str | None = None,
        window_size_ms: int | None = None,
    ) -> KTable:
        g = self.g
        builder = g.builder
        source_name = g.name
        parent = g.graph_node
        if g.repartition_required:
            prefix = g.grouped.name if g.grouped.name is not None else store_name
            # a named repartition topic is shared by the aggregations of one grouped stream
            shared = self.repartition_node if g.grouped.name is not None else None
            source_name, node = create_repartitioned_source(
                builder, parent, prefix, g.grouped.key_serde, g.grouped.value_serde, existing=shared
            )
            if shared is None:
                self.repartition_node = node
                self.repartition_source = source_name
            else:
                source_name = self.repartition_source or source_name
            parent = node
        node = processor_node(func_name, supplier, (), [store_builder])
        builder.add_graph_node(parent, node)
        sources = g.sub_topology_source_nodes if source_name == g.name else {source_name}
        return KTable(func_name, key_serde, value_serde, sources, queryable, supplier, node, builder, grace_ms, windowed, window_size_ms)


class KGroupedStream:
    def __init__(
        self,
        name: str,
        sub_topology_source_nodes: set[str],
        grouped: Grouped[Any],
        repartition_required: bool,
        graph_node: GraphNode,
        builder: InternalStreamsBuilder,
    ) -> None:
        self.name = name
        self.sub_topology_source_nodes = sub_topology_source_nodes
        self.grouped = grouped
        self.repartition_required = repartition_required
        self.graph_node = graph_node
        self.builder = builder
        self.key_serde = grouped.key_serde
        self.value_serde = grouped.value_serde
        self.aggregate_builder = _AggregateBuilder(self)

    def _do(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized[Any] | None,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
        default_value_serde: Any,
    ) -> KTable:
        m = materialized or Materialized()
        store_name, queryable = materialized_names(self.builder, m, prefix)
        func_name = self.builder.or_else_generate(_name(named), prefix)
        ks = m.key_serde if m.key_serde is not None else self.key_serde
        vs = m.value_serde if m.value_serde is not None else default_value_serde
        supplier = KStreamAggregate(store_name, initializer, aggregator)
        return self.aggregate_builder.build(func_name, store_name, key_value_store(store_name, m, ks, vs), supplier, queryable, ks, vs)

    def count(self, named: Named | str | None = None, materialized: Materialized[Any] | None = None) -> KTable:
        _burn_count_name(self.builder, materialized)
        return self._do(n.STREAM_AGGREGATE_NAME, named, materialized, _count_init, _count_add, Serdes.Long())

    def reduce(
        self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        return self._do(n.STREAM_REDUCE_NAME, named, materialized, None, lambda k, v, agg: reducer(agg, v), self.value_serde)

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized[Any] | None = None,
    ) -> KTable:
        """`aggregator(key, value, aggregate)` returns the new aggregate."""
        return self._do(n.STREAM_AGGREGATE_NAME, named, materialized, initializer, aggregator, None)

    def windowed_by(self, windows: Any) -> Any:
        if isinstance(windows, SessionWindows):
            return SessionWindowedKStream(self, windows)
        if isinstance(windows, (TimeWindows, UnlimitedWindows)):
            return TimeWindowedKStream(self, windows)
        if isinstance(windows, SlidingWindows):
            return SlidingWindowedKStream(self, windows)
        raise TypeError(f"cannot window by {type(windows).__name__}")

    def cogroup(self, aggregator: Callable[[Any, Any, Any], Any]) -> CogroupedKStream:
        return CogroupedKStream(self.builder).cogroup(self, aggregator)


class _WindowedAggregations:
    """What every windowed aggregation shares: the store and processor names, and the key and value serdes,
    resolved from Materialized and the grouping as Java resolves them."""

    def __init__(self, grouped: KGroupedStream) -> None:
        self.g = grouped

    def _resolve(
        self, prefix: str, named: Named | str | None, materialized: Materialized[Any] | None, default_value_serde: Any
    ) -> tuple[Materialized[Any], str, str | None, str, Any, Any]:
        """(materialized, store name, queryable, processor name, key serde, value serde)."""
        g = self.g
        m = materialized or Materialized()
        store_name, queryable = materialized_names(g.builder, m, prefix)
        func_name = g.builder.or_else_generate(_name(named), prefix)
        ks = m.key_serde if m.key_serde is not None else g.key_serde
        vs = m.value_serde if m.value_serde is not None else default_value_serde
        return m, store_name, queryable, func_name, ks, vs


class _TimeWindowedAggregations(_WindowedAggregations):
    """count / reduce / aggregate over fixed-size windows (tumbling, hopping, unlimited, sliding)."""

    def _do(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized[Any] | None,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
        default_value_serde: Any,
    ) -> KTable:
        raise NotImplementedError

    def _build(
        self, func_name: str, store_name: str, store: Any, supplier: Any, queryable: str | None, ks: Any, vs: Any, grace: int, size: int
    ) -> KTable:
        out_ks = None
        if ks is not None:
            from strom.streams.serdes import WindowedSerdes

            out_ks = WindowedSerdes.time_windowed_serde_from(ks, size)
        return self.g.aggregate_builder.build(func_name, store_name, store, supplier, queryable, out_ks, vs, grace, "time", size)

    def count(self, named: Named | str | None = None, materialized: Materialized[Any] | None = None) -> KTable:
        return self._do(n.STREAM_AGGREGATE_NAME, named, materialized, _count_init, _count_add, Serdes.Long())

    def reduce(
        self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        return self._do(n.STREAM_REDUCE_NAME, named, materialized, None, lambda k, v, agg: reducer(agg, v), self.g.value_serde)

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized[Any] | None = None,
    ) -> KTable:
        return self._do(n.STREAM_AGGREGATE_NAME, named, materialized, initializer, aggregator, None)


class TimeWindowedKStream(_TimeWindowedAggregations):
    def __init__(self, grouped: KGroupedStream, windows: TimeWindows | UnlimitedWindows) -> None:
        super().__init__(grouped)
        self.windows = windows

    def count(self, named: Named | str | None = None, materialized: Materialized[Any] | None = None) -> KTable:
        _burn_count_name(self.g.builder, materialized)
        return super().count(named, materialized)

    def _do(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized[Any] | None,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
        default_value_serde: Any,
    ) -> KTable:
        m, store_name, queryable, func_name, ks, vs = self._resolve(prefix, named, materialized, default_value_serde)
        grace = self.windows.grace_period_ms()
        store = window_store(store_name, m, self.windows.size(), grace, ks, vs)
        supplier = KStreamWindowAggregate(self.windows, store_name, initializer, aggregator)
        return self._build(func_name, store_name, store, supplier, queryable, ks, vs, grace, self.windows.size())


class SlidingWindowedKStream(_TimeWindowedAggregations):
    def __init__(self, grouped: KGroupedStream, windows: SlidingWindows) -> None:
        super().__init__(grouped)
        self.windows = windows

    def _do(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized[Any] | None,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
        default_value_serde: Any,
    ) -> KTable:
        m, store_name, queryable, func_name, ks, vs = self._resolve(prefix, named, materialized, default_value_serde)
        d, grace = self.windows.time_difference_ms, self.windows.grace_period_ms()
        if m.retention_ms is None:  # Java keeps two time differences plus the grace
            m = m.with_retention(2 * d + grace)
        store = window_store(store_name, m, d, grace, ks, vs)
        supplier = KStreamSlidingWindowAggregate(self.windows, store_name, initializer, aggregator)
        return self._build(func_name, store_name, store, supplier, queryable, ks, vs, grace, d)


class SessionWindowedKStream(_WindowedAggregations):
    def __init__(self, grouped: KGroupedStream, windows: SessionWindows) -> None:
        super().__init__(grouped)
        self.windows = windows

    def _do(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized[Any] | None,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
        default_value_serde: Any,
    ) -> KTable:
        m, store_name, queryable, func_name, ks, vs = self._resolve(prefix, named, materialized, default_value_serde)
        g = self.g
        grace = self.windows.grace_period_ms()
        store = session_store(store_name, m, self.windows.inactivity_gap(), grace, ks, vs)
        supplier = KStreamSessionWindowAggregate(self.windows, store_name, initializer, aggregator, merger)
        out_ks = None
        if ks is not None:
            from strom.streams.serdes import WindowedSerdes

            out_ks = WindowedSerdes.session_windowed_serde_from(ks)
        return g.aggregate_builder.build(func_name, store_name, store, supplier, queryable, out_ks, vs, grace, "session")

    def count(self, named: Named | str | None = None, materialized: Materialized[Any] | None = None) -> KTable:
        _burn_count_name(self.g.builder, materialized)
        return self._do(n.STREAM_AGGREGATE_NAME, named, materialized, _count_init, _count_add, lambda k, a, b: a + b, Serdes.Long())

    def reduce(
        self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        return self._do(
            n.STREAM_REDUCE_NAME,
            named,
            materialized,
            None,
            lambda k, v, agg: reducer(agg, v),
            lambda k, a, b: reducer(a, b),
            self.g.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        session_merger: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized[Any] | None = None,
    ) -> KTable:
        return self._do(n.STREAM_AGGREGATE_NAME, named, materialized, initializer, aggregator, session_merger, None)


class CogroupedKStream:
    """Several grouped streams aggregated into one store: each stream has its aggregator, all share the result."""

    def __init__(self, builder: InternalStreamsBuilder) -> None:
        self.builder = builder
        self.groups: list[tuple[KGroupedStream, Callable[[Any, Any, Any], Any]]] = []

    def cogroup(self, grouped: KGroupedStream, aggregator: Callable[[Any, Any, Any], Any]) -> CogroupedKStream:
        self.groups.append((grouped, aggregator))
        return self

    def windowed_by(
        self, windows: TimeWindows | UnlimitedWindows | SlidingWindows | SessionWindows
    ) -> TimeWindowedCogroupedKStream | SlidingWindowedCogroupedKStream | SessionWindowedCogroupedKStream:
        if isinstance(windows, (TimeWindows, UnlimitedWindows)):
            return TimeWindowedCogroupedKStream(self, windows)
        if isinstance(windows, SlidingWindows):
            return SlidingWindowedCogroupedKStream(self, windows)
        if isinstance(windows, SessionWindows):
            return SessionWindowedCogroupedKStream(self, windows)
        raise TypeError(f"cannot window a cogrouped stream by {type(windows).__name__}")

    def materialize(self, materialized: Materialized[Any] | None) -> tuple[Materialized[Any], str, str | None, Any, Any]:
        """(materialized, store name, queryable name, key serde, value serde) of the shared aggregate store: the key
        serde defaults to the first grouped stream's, as Java's CogroupedStreamAggregateBuilder takes it."""
        m = materialized or Materialized()
        store_name, queryable = materialized_names(self.builder, m, n.COGROUP_AGGREGATE_NAME)
        ks = m.key_serde if m.key_serde is not None else self.groups[0][0].key_serde
        return m, store_name, queryable, ks, m.value_serde

    def aggregate(
        self, initializer: Callable[[], Any], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        m, store_name, queryable, ks, vs = self.materialize(materialized)
        store = key_value_store(store_name, m, ks, vs)
        return self.build(
            named, store_name, queryable, store, lambda aggregator: KStreamAggregate(store_name, initializer, aggregator), ks, vs
        )

    def build(
        self,
        named: Named | str | None,
        store_name: str,
        queryable: str | None,
        store: Any,
        aggregate: Callable[[Callable[[Any, Any, Any], Any]], Any],
        key_serde: Any,
        value_serde: Any,
        grace_ms: int | None = None,
        windowed: str | None = None,
        window_size_ms: int | None = None,
    ) -> KTable:
        """One aggregate node per grouped stream (`aggregate(aggregator)` makes its supplier) on the shared store,
        and the merge node after them, as Java's CogroupedStreamAggregateBuilder."""
        from strom.streams.kstream.internals import stream_processors as sp

        parents: list[GraphNode] = []
        sources: set[str] = set()
        suppliers: list[Any] = []
        for grouped, aggregator in self.groups:
            parent = grouped.graph_node
            src = grouped.sub_topology_source_nodes
            if grouped.repartition_required:
                prefix = grouped.grouped.name if grouped.grouped.name is not None else store_name
                source, parent = create_repartitioned_source(
                    self.builder, parent, prefix, grouped.grouped.key_serde, grouped.grouped.value_serde
                )
                src = {source}
            func_name = self.builder.or_else_generate(
                None if _name(named) is None else f"{_name(named)}-cogroup-agg-{len(parents)}", n.COGROUP_AGGREGATE_NAME
            )
            supplier = aggregate(aggregator)
            suppliers.append(supplier)
            node = processor_node(func_name, supplier, [store_name] if parents else [], [] if parents else [store])
            self.builder.add_graph_node(parent, node)
            parents.append(node)
            sources |= src
        self.builder.internal_topology_builder.copartition_sources(sources)
        merge_name = self.builder.or_else_generate(None if _name(named) is None else f"{_name(named)}-cogroup-merge", n.COGROUP_MERGE_NAME)
        merge = processor_node(merge_name, sp.pass_through_supplier())
        self.builder.add_graph_node(parents, merge)
        supplier = _CogroupSupplier(store_name, suppliers)
        return KTable(
            merge_name, key_serde, value_serde, sources, queryable, supplier, merge, self.builder, grace_ms, windowed, window_size_ms
        )


def _time_windowed_aggregate(
    c: CogroupedKStream,
    named: Named | str | None,
    materialized: Materialized[Any] | None,
    size_ms: int,
    grace_ms: int,
    default_retention_ms: int | None,
    processor: Callable[[str, Callable[[Any, Any, Any], Any]], Any],
) -> KTable:
    """A cogrouped aggregate over time windows (tumbling, hopping or sliding): one window store, keys windowed by
    `size_ms`; `processor(store name, aggregator)` is each grouped stream's windowed aggregate processor."""
    from strom.streams.serdes import WindowedSerdes

    m, store_name, queryable, ks, vs = c.materialize(materialized)
    if default_retention_ms is not None and m.retention_ms is None:
        m = m.with_retention(default_retention_ms)
    store = window_store(store_name, m, size_ms, grace_ms, ks, vs)
    out_ks = None if ks is None else WindowedSerdes.time_windowed_serde_from(ks, size_ms)
    return c.build(
        named,
        store_name,
        queryable,
        store,
        lambda aggregator: processor(store_name, aggregator),
        out_ks,
        vs,
        grace_ms,
        "time",
        size_ms,
    )


class TimeWindowedCogroupedKStream:
    """A cogrouped stream aggregated per key and time window (Java's TimeWindowedCogroupedKStream): every grouped
    stream's records go through its own windowed aggregator into one window store."""

    def __init__(self, cogrouped: CogroupedKStream, windows: TimeWindows | UnlimitedWindows) -> None:
        self.cogrouped = cogrouped
        self.windows = windows

    def aggregate(
        self, initializer: Callable[[], Any], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        windows = self.windows
        return _time_windowed_aggregate(
            self.cogrouped,
            named,
            materialized,
            windows.size(),
            windows.grace_period_ms(),
            None,
            lambda store_name, aggregator: KStreamWindowAggregate(windows, store_name, initializer, aggregator),
        )


class SlidingWindowedCogroupedKStream:
    """A cogrouped stream aggregated per key over sliding windows (Java's sliding TimeWindowedCogroupedKStream)."""

    def __init__(self, cogrouped: CogroupedKStream, windows: SlidingWindows) -> None:
        self.cogrouped = cogrouped
        self.windows = windows

    def aggregate(
        self, initializer: Callable[[], Any], named: Named | str | None = None, materialized: Materialized[Any] | None = None
    ) -> KTable:
        windows = self.windows
        d, grace = windows.time_difference_ms, windows.grace_period_ms()
        return _time_windowed_aggregate(
            self.cogrouped,
            named,
            materialized,
            d,
            grace,
            2 * d + grace,  # Java keeps two time differences plus the grace
            lambda store_name, aggregator: KStreamSlidingWindowAggregate(windows, store_name, initializer, aggregator),
        )


class SessionWindowedCogroupedKStream:
    """A cogrouped stream aggregated per key and session (Java's SessionWindowedCogroupedKStream): sessions of any
    stream merge with `session_merger`."""

    def __init__(self, cogrouped: CogroupedKStream, windows: SessionWindows) -> None:
        self.cogrouped = cogrouped
        self.windows = windows

    def aggregate(
        self,
        initializer: Callable[[], Any],
        session_merger: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized[Any] | None = None,
    ) -> KTable:
        from strom.streams.serdes import WindowedSerdes

        c = self.cogrouped
        m, store_name, queryable, ks, vs = c.materialize(materialized)
        grace = self.windows.grace_period_ms()
        store = session_store(store_name, m, self.windows.inactivity_gap(), grace, ks, vs)
        windows = self.windows
        out_ks = None if ks is None else WindowedSerdes.session_windowed_serde_from(ks)
        return c.build(
            named,
            store_name,
            queryable,
            store,
            lambda aggregator: KStreamSessionWindowAggregate(windows, store_name, initializer, aggregator, session_merger),
            out_ks,
            vs,
            grace,
            "session",
        )


class _CogroupSupplier(KTableProcessorSupplier):
    def __init__(self, store_name: str, parents: list[KStreamAggregate]) -> None:
        self.store_name = store_name
        self.parents = parents

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        for p in self.parents:
            p.enable_sending_old_values(force_materialization)
        self.send_old_values = True
        return True

    def view(self) -> Any:
        return self.parents[0].view()

    def get(self) -> Any:
        from strom.streams.kstream.internals.stream_processors import _PassThrough

        return _PassThrough()


class KGroupedTable:
    """A re-keyed table: aggregations add each new value and subtract the value it replaced."""

    def __init__(
        self,
        builder: InternalStreamsBuilder,
        name: str,
        sub_topology_source_nodes: set[str],
        grouped: Grouped[Any],
        graph_node: GraphNode,
        select_supplier: KTableRepartitionMap,
    ) -> None:
        self.builder = builder
        self.select_supplier = select_supplier
        self.name = name
        self.sub_topology_source_nodes = sub_topology_source_nodes
        self.grouped = grouped
        self.graph_node = graph_node
        self.repartition_node: GraphNode | None = None

    def _do(
        self,
        prefix: str,
        named: Named | str | None,
        materialized: Materialized[Any] | None,
        supplier_for: Callable[[str], KTableAggregate],
        default_vs: Any,
    ) -> KTable:
        builder = self.builder
        m = materialized or Materialized()
        store_name, queryable = materialized_names(builder, m, n.TABLE_AGGREGATE_NAME)
        name = _name(named)
        sink_name = builder.suffix_with_or_else_generate(name, "-sink", n.SINK_NAME)
        source_name = builder.suffix_with_or_else_generate(name, "-source", n.SOURCE_NAME)
        func_name = builder.or_else_generate(name, prefix)
        topic = (self.grouped.name if self.grouped.name is not None else store_name) + n.REPARTITION_TOPIC_SUFFIX
        ks, vs = self.grouped.key_serde, self.grouped.value_serde
        changed_ser = ChangedSerializer(None if vs is None else vs.serializer())
        changed_de = ChangedDeserializer(None if vs is None else vs.deserializer())

        def write(itb: Any, node: GraphNode) -> None:
            itb.add_internal_topic(topic)
            itb.add_sink(sink_name, topic, None if ks is None else ks.serializer(), changed_ser, None, *node.parent_names())
            itb.add_source(None, source_name, FailOnInvalidTimestamp(), None if ks is None else ks.deserializer(), changed_de, [topic])

        if self.repartition_node is None or self.grouped.name is None:
            self.repartition_node = GraphNode(source_name, write)
        builder.add_graph_node(self.graph_node, self.repartition_node)
        out_ks = m.key_serde if m.key_serde is not None else ks
        out_vs = m.value_serde if m.value_serde is not None else default_vs
        supplier = supplier_for(store_name)
        supplier.changed_deserializers.append(changed_de)
        self.select_supplier.changed_serializers.append(changed_ser)
        node = processor_node(func_name, supplier, (), [key_value_store(store_name, m, out_ks, out_vs)])
        builder.add_graph_node(self.repartition_node, node)
        return KTable(func_name, out_ks, out_vs, {source_name}, queryable, supplier, node, builder)

    def count(self, named: Named | str | None = None, materialized: Materialized[Any] | None = None) -> KTable:
        return self._do(
            n.TABLE_AGGREGATE_NAME,
            named,
            materialized,
            lambda store: KTableAggregate(store, _count_init, lambda k, v, a: a + 1, lambda k, v, a: a - 1),
            Serdes.Long(),
        )

    def reduce(
        self,
        adder: Callable[[Any, Any], Any],
        subtractor: Callable[[Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized[Any] | None = None,
    ) -> KTable:
        return self._do(
            n.TABLE_REDUCE_NAME,
            named,
            materialized,
            lambda store: KTableAggregate(store, None, lambda k, v, a: adder(a, v), lambda k, v, a: subtractor(a, v)),
            self.grouped.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        adder: Callable[[Any, Any, Any], Any],
        subtractor: Callable[[Any, Any, Any], Any],
        named: Named | str | None = None,
        materialized: Materialized[Any] | None = None,
    ) -> KTable:
        return self._do(
            n.TABLE_AGGREGATE_NAME, named, materialized, lambda store: KTableAggregate(store, initializer, adder, subtractor), None
        )
