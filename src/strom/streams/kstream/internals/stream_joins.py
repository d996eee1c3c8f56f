"""How KStream joins are wired into the graph (names, stores, repartitioning, co-partitioning), as Java's
KStreamImpl / KStreamImplJoin do it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strom.streams.kstream.internals import names as n
from strom.streams.kstream.internals import stream_processors as sp
from strom.streams.kstream.internals.graph import GraphNode
from strom.streams.kstream.internals.joins import (
    KStreamKStreamJoin,
    KStreamKTableJoin,
    LeftOrRightValueSerde,
    TimestampedKeyAndJoinSideSerde,
    _LateSerde,
    _SharedTimeTrackers,
    join_window_supplier,
)
from strom.streams.kstream.internals.materialize import join_window_store, outer_join_store
from strom.streams.kstream.internals.self_join import KStreamKStreamSelfJoin, self_join_window_supplier
from strom.streams.kstream.options import Joined, StreamJoined

if TYPE_CHECKING:
    from strom.streams.kstream.kstream import KStream
    from strom.streams.kstream.ktable import GlobalKTable, KTable
    from strom.streams.kstream.windows import JoinWindows


def _repartition_for_join(stream: KStream, name: str, key_serde: Any, value_serde: Any) -> KStream:
    from strom.streams.kstream.kstream import KStream, create_repartitioned_source

    ks = key_serde if key_serde is not None else stream.key_serde
    vs = value_serde if value_serde is not None else stream.value_serde
    source, node = create_repartitioned_source(stream.builder, stream.graph_node, name, ks, vs)
    return KStream(source, ks, vs, {source}, False, node, stream.builder)


def stream_table_join(stream: KStream, table: KTable, joiner: Callable[[Any, Any, Any], Any], joined: Joined[Any], left: bool) -> KStream:
    from strom.streams.kstream.kstream import KStream

    builder = stream.builder
    this = stream
    if stream.repartition_required:
        this = _repartition_for_join(stream, joined.name if joined.name is not None else stream.name, joined.key_serde, joined.value_serde)
    sources = this.sub_topology_source_nodes | table.sub_topology_source_nodes
    builder.internal_topology_builder.copartition_sources(sources)
    name = builder.or_else_generate(joined.name, n.LEFTJOIN_NAME if left else n.JOIN_NAME)
    getter = table.value_getter_supplier()
    supplier = KStreamKTableJoin(getter, lambda k, v: k, joiner, left)

    def write(itb: Any, node: GraphNode) -> None:
        itb.add_processor(name, supplier, *node.parent_names())
        itb.connect_processor_and_state_stores(name, *getter.store_names())

    node = GraphNode(name, write)
    builder.add_graph_node(this.graph_node, node)
    return KStream(name, this.key_serde, None, sources, False, node, builder)


def global_table_join(
    stream: KStream,
    table: GlobalKTable,
    key_mapper: Callable[[Any, Any], Any],
    joiner: Callable[[Any, Any, Any], Any],
    named: str | None,
    left: bool,
) -> KStream:
    from strom.streams.kstream.internals.graph import processor_node
    from strom.streams.kstream.kstream import KStream

    builder = stream.builder
    name = builder.or_else_generate(named, n.LEFTJOIN_NAME)  # Java names an inner global join LEFTJOIN too
    supplier = KStreamKTableJoin(table.value_getter_supplier, key_mapper, joiner, left)
    node = processor_node(name, supplier)
    builder.add_graph_node(stream.graph_node, node)
    return KStream(name, stream.key_serde, None, stream.sub_topology_source_nodes, stream.repartition_required, node, builder)


def stream_stream_join(
    this: KStream,
    other: KStream,
    joiner: Callable[[Any, Any, Any], Any],
    windows: JoinWindows,
    sj: StreamJoined[Any],
    left: bool,
    outer: bool,
) -> KStream:
    from strom.streams.kstream.kstream import KStream

    builder = this.builder
    if this.repartition_required:
        this = _repartition_for_join(this, (sj.name + "-left") if sj.name is not None else this.name, sj.key_serde, sj.value_serde)
    if other.repartition_required:
        other = _repartition_for_join(
            other, (sj.name + "-right") if sj.name is not None else other.name, sj.key_serde, sj.other_value_serde
        )
    sources = this.sub_topology_source_nodes | other.sub_topology_source_nodes
    builder.internal_topology_builder.copartition_sources(sources)

    left_outer, right_outer = left, outer  # Java: leftOuter for left and outer joins, rightOuter for outer only
    this_suffix = "-outer-this-join" if right_outer else "-this-join"
    other_suffix = "-outer-other-join" if left_outer else "-other-join"
    this_window_name = builder.suffix_with_or_else_generate(sj.name, "-this-windowed", n.WINDOWED_NAME)
    other_window_name = builder.suffix_with_or_else_generate(sj.name, "-other-windowed", n.WINDOWED_NAME)
    this_generated = builder.new_processor_name(n.OUTERTHIS_NAME if right_outer else n.JOINTHIS_NAME)
    other_generated = builder.new_processor_name(n.OUTEROTHER_NAME if left_outer else n.JOINOTHER_NAME)
    this_name = this_generated if sj.name is None else sj.name + this_suffix
    other_name = other_generated if sj.name is None else sj.name + other_suffix
    merge_name = builder.suffix_with_or_else_generate(sj.name, "-merge", n.MERGE_NAME)

    size, grace = windows.size(), windows.grace_period_ms()
    ks, vs, ovs = sj.key_serde, sj.value_serde, sj.other_value_serde
    this_store_name = (this_generated if sj.store_name is None else sj.store_name + this_suffix) + "-store"
    other_store_name = (other_generated if sj.store_name is None else sj.store_name + other_suffix) + "-store"
    if sj.this_store_supplier is not None:
        this_store_name = sj.this_store_supplier.name
    if sj.other_store_supplier is not None:
        other_store_name = sj.other_store_supplier.name
    this_store = join_window_store(this_store_name, sj.this_store_supplier, size, grace, ks, vs, sj.logging_enabled, sj.topic_config)
    other_store = join_window_store(other_store_name, sj.other_store_supplier, size, grace, ks, ovs, sj.logging_enabled, sj.topic_config)

    def write_this_window(itb: Any, node: GraphNode) -> None:
        window = self_join_window_supplier if join_node.self_join else join_window_supplier
        itb.add_processor(this_window_name, window(this_store_name), *node.parent_names())

    this_window = GraphNode(this_window_name, write_this_window)
    builder.add_graph_node(this.graph_node, this_window)
    other_window = GraphNode(
        other_window_name,
        lambda itb, node: itb.add_processor(other_window_name, join_window_supplier(other_store_name), *node.parent_names()),
    )
    builder.add_graph_node(other.graph_node, other_window)

    outer_store = None
    serdes = None
    if left_outer:
        base = this_generated.replace(n.OUTERTHIS_NAME if right_outer else n.JOINTHIS_NAME, n.OUTERSHARED_NAME)
        outer_store_name = (base if sj.store_name is None else sj.store_name + "-outer-shared-join") + "-store"
        late_key, late_left, late_right = _LateSerde(ks), _LateSerde(vs), _LateSerde(ovs)
        serdes = (late_key, late_left, late_right)
        outer_store = outer_join_store(
            outer_store_name,
            TimestampedKeyAndJoinSideSerde(late_key),
            LeftOrRightValueSerde(late_left, late_right),
            sj.logging_enabled,
            sj.topic_config,
        )
    trackers = _SharedTimeTrackers()
    outer_name = None if outer_store is None else outer_store.name
    join_this = KStreamKStreamJoin(
        True, other_store_name, windows.before_ms, windows.after_ms, grace, joiner, left_outer, outer_name, trackers, serdes
    )
    join_other = KStreamKStreamJoin(
        False, this_store_name, windows.before_ms, windows.after_ms, grace, joiner, right_outer, outer_name, trackers, serdes
    )

    def write(itb: Any, node: GraphNode) -> None:
        if node.self_join:  # single.store.self.join: one processor on the this-side store
            retention = windows.before_ms + windows.after_ms + grace
            self_join = KStreamKStreamSelfJoin(this_store_name, windows.before_ms, windows.after_ms, retention, joiner)
            itb.add_processor(merge_name, self_join, this_window_name)
            itb.add_state_store(this_store, this_window_name, merge_name)
            return
        itb.add_processor(this_name, join_this, this_window_name)
        itb.add_processor(other_name, join_other, other_window_name)
        itb.add_processor(merge_name, sp.pass_through_supplier(), this_name, other_name)
        itb.add_state_store(this_store, this_window_name, other_name)
        itb.add_state_store(other_store, other_window_name, this_name)
        if outer_store is not None:
            itb.add_state_store(outer_store, this_name, other_name)

    join_node = node = GraphNode(merge_name, write)
    builder.add_graph_node([this.graph_node, other.graph_node], node)
    if this.graph_node is other.graph_node:  # a join of a stream with itself: single.store.self.join may apply
        node.self_join_windows = (this_window, other_window)
    # Java writes the join once both windowed nodes are written: they are its real inputs
    node.parents = [this_window, other_window]
    return KStream(merge_name, sj.key_serde, None, sources, False, node, builder)
