"""KStream: a record stream. Each operation adds a node to the builder's graph and returns the stream after it;
key-changing operations mark the stream so that a later grouping or join repartitions it by the new key."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from strom.streams.kstream.internals import names as n
from strom.streams.kstream.internals import stream_processors as sp
from strom.streams.kstream.internals.graph import GraphNode, InternalStreamsBuilder, make_repartitioned_source, processor_node, sink_node
from strom.streams.kstream.options import Branched, Grouped, Joined, Named, Printed, Produced, Repartitioned, StreamJoined

if TYPE_CHECKING:
    from strom.streams.kstream.grouped import KGroupedStream
    from strom.streams.kstream.ktable import KTable
    from strom.streams.kstream.windows import JoinWindows


def _name(named: Named | str | None) -> str | None:
    return named if isinstance(named, str) or named is None else named.name


def create_repartitioned_source(
    builder: InternalStreamsBuilder,
    parent: GraphNode,
    prefix: str,
    key_serde: Any,
    value_serde: Any,
    partitioner: Any = None,
    partitions: int | None = None,
    optimizable: bool = True,
    existing: GraphNode | None = None,
) -> tuple[str, GraphNode]:
    """Filter null keys -> `<prefix>-repartition` -> its source; returns the source's name and the node. The names
    are burnt even when `existing` (a repartition shared by name) is added again instead of a new node."""
    node = make_repartitioned_source(
        builder, prefix, key_serde, value_serde, sp.null_key_filter_supplier(), partitioner, partitions, optimizable
    )
    source = node.node_name
    if existing is not None:
        node = existing
    builder.add_graph_node(parent, node)
    return source, node


class KStream:
    def __init__(
        self,
        name: str,
        key_serde: Any,
        value_serde: Any,
        sub_topology_source_nodes: set[str],
        repartition_required: bool,
        graph_node: GraphNode,
        builder: InternalStreamsBuilder,
    ) -> None:
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.sub_topology_source_nodes = sub_topology_source_nodes
        self.repartition_required = repartition_required
        self.graph_node = graph_node
        self.builder = builder

    def _child(self, node: GraphNode, key_serde: Any, value_serde: Any, repartition_required: bool) -> KStream:
        self.builder.add_graph_node(self.graph_node, node)
        return KStream(node.node_name, key_serde, value_serde, self.sub_topology_source_nodes, repartition_required, node, self.builder)

    # --- stateless ------------------------------------------------------------------------------------------

    def filter(self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.FILTER_NAME)
        return self._child(processor_node(name, sp.filter_supplier(predicate)), self.key_serde, self.value_serde, self.repartition_required)

    def filter_not(self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.FILTER_NAME)
        return self._child(
            processor_node(name, sp.filter_supplier(predicate, True)), self.key_serde, self.value_serde, self.repartition_required
        )

    def _select_key_node(self, mapper: Callable[[Any, Any], Any], name: str | None) -> GraphNode:
        node_name = self.builder.or_else_generate(name, n.KEY_SELECT_NAME)
        node = processor_node(node_name, sp.map_supplier(lambda k, v: (mapper(k, v), v)))
        node.key_changing_operation = True
        return node

    def select_key(self, mapper: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        return self._child(self._select_key_node(mapper, _name(named)), None, self.value_serde, True)

    def map(self, mapper: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """`mapper(key, value)` returns the new (key, value)."""
        name = self.builder.or_else_generate(_name(named), n.MAP_NAME)
        node = processor_node(name, sp.map_supplier(mapper))
        node.key_changing_operation = True
        return self._child(node, None, None, True)

    def map_values(self, mapper: Callable[..., Any], named: Named | str | None = None) -> KStream:
        """`mapper(value)` or `mapper(key, value)` (Java's ValueMapper / ValueMapperWithKey)."""
        name = self.builder.or_else_generate(_name(named), n.MAPVALUES_NAME)
        node = processor_node(name, sp.map_values_supplier(n.with_key(mapper, 1)))
        node.value_changing_operation = True
        return self._child(node, self.key_serde, None, self.repartition_required)

    def flat_map(self, mapper: Callable[[Any, Any], Iterable[Any]], named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.FLATMAP_NAME)
        node = processor_node(name, sp.flat_map_supplier(mapper))
        node.key_changing_operation = True
        return self._child(node, None, None, True)

    def flat_map_values(self, mapper: Callable[..., Iterable[Any]], named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.FLATMAPVALUES_NAME)
        node = processor_node(name, sp.flat_map_values_supplier(n.with_key(mapper, 1)))
        node.value_changing_operation = True
        return self._child(node, self.key_serde, None, self.repartition_required)

    def peek(self, action: Callable[[Any, Any], None], named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.PEEK_NAME)
        return self._child(processor_node(name, sp.peek_supplier(action)), self.key_serde, self.value_serde, self.repartition_required)

    def foreach(self, action: Callable[[Any, Any], None], named: Named | str | None = None) -> None:
        name = self.builder.or_else_generate(_name(named), n.FOREACH_NAME)
        self.builder.add_graph_node(self.graph_node, processor_node(name, sp.peek_supplier(action, False)))

    def print_(self, printed: Printed[Any] | None = None) -> None:
        printed = printed or Printed.to_sys_out()
        name = self.builder.or_else_generate(printed.processor_name, n.PRINTING_NAME)
        label = printed.label if printed.label is not None else self.name
        self.builder.add_graph_node(self.graph_node, processor_node(name, sp.print_supplier(printed.file_name, label, printed.mapper)))

    def split(self, named: Named | str | None = None) -> BranchedKStream:
        return BranchedKStream(self, _name(named))

    def merge(self, stream: KStream, named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.MERGE_NAME)
        node = processor_node(name, sp.pass_through_supplier())
        node.merge_node = True
        self.builder.add_graph_node([self.graph_node, stream.graph_node], node)
        return KStream(
            name,
            None,
            None,
            self.sub_topology_source_nodes | stream.sub_topology_source_nodes,
            self.repartition_required or stream.repartition_required,
            node,
            self.builder,
        )

    # --- topics ---------------------------------------------------------------------------------------------

    def repartition(self, repartitioned: Repartitioned[Any] | None = None) -> KStream:
        r = repartitioned or Repartitioned()
        name = r.name if r.name is not None else self.builder.new_processor_name(n.REPARTITION_NAME)
        ks = r.key_serde if r.key_serde is not None else self.key_serde
        vs = r.value_serde if r.value_serde is not None else self.value_serde
        source, node = create_repartitioned_source(
            self.builder, self.graph_node, name, ks, vs, r.partitioner, r.number_of_partitions, optimizable=False
        )
        return KStream(source, ks, vs, {source}, False, node, self.builder)

    def to(self, topic: str | Callable[..., str], produced: Produced[Any] | None = None) -> None:
        """To a topic, or to the topic `topic(key, value, record_context)` names for each record."""
        p = produced or Produced()
        name = self.builder.or_else_generate(p.processor_name, n.SINK_NAME)
        ks = p.key_serde if p.key_serde is not None else self.key_serde
        vs = p.value_serde if p.value_serde is not None else self.value_serde
        key_serializer = None if ks is None else ks.serializer()
        partitioner = p.partitioner if p.partitioner is not None else sp.windowed_partitioner(key_serializer)
        node = sink_node(name, topic, key_serializer, None if vs is None else vs.serializer(), partitioner)
        self.builder.add_graph_node(self.graph_node, node)

    def to_table(self, named: Named | str | None = None, materialized: Any = None) -> KTable:
        from strom.streams.kstream.internals.table_processors import KTableSource
        from strom.streams.kstream.ktable import KTable, materialized_names
        from strom.streams.kstream.options import Materialized

        name = self.builder.or_else_generate(_name(named), n.TO_KTABLE_NAME)
        m = materialized or Materialized()
        store_name, queryable = materialized_names(self.builder, m, n.TO_KTABLE_NAME)
        ks = m.key_serde if m.key_serde is not None else self.key_serde
        vs = m.value_serde if m.value_serde is not None else self.value_serde
        parent: KStream = self
        if self.repartition_required:
            source, node = create_repartitioned_source(self.builder, self.graph_node, name, ks, vs)
            parent = KStream(source, ks, vs, {source}, False, node, self.builder)
        supplier = KTableSource(store_name, queryable)
        table_node = _to_table_node(name, supplier, store_name, m, ks, vs)
        self.builder.add_graph_node(parent.graph_node, table_node)
        return KTable(name, ks, vs, parent.sub_topology_source_nodes, queryable, supplier, table_node, self.builder)

    # --- grouping -------------------------------------------------------------------------------------------

    def group_by_key(self, grouped: Grouped[Any] | None = None) -> KGroupedStream:
        from strom.streams.kstream.grouped import KGroupedStream

        g = grouped or Grouped.with_(self.key_serde, self.value_serde)
        return KGroupedStream(self.name, self.sub_topology_source_nodes, g, self.repartition_required, self.graph_node, self.builder)

    def group_by(self, key_selector: Callable[[Any, Any], Any], grouped: Grouped[Any] | None = None) -> KGroupedStream:
        from strom.streams.kstream.grouped import KGroupedStream

        g = grouped or Grouped.with_(None, self.value_serde)
        node = self._select_key_node(key_selector, g.name)
        self.builder.add_graph_node(self.graph_node, node)
        return KGroupedStream(node.node_name, self.sub_topology_source_nodes, g, True, node, self.builder)

    # --- processors -----------------------------------------------------------------------------------------

    def process(self, supplier: Any, *store_names: str, named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.PROCESSOR_NAME)
        node = processor_node(name, supplier, store_names)  # Java marks it neither key- nor value-changing
        return self._child(node, None, None, True)

    def process_values(self, supplier: Any, *store_names: str, named: Named | str | None = None) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.PROCESSVALUES_NAME)
        node = processor_node(name, supplier, store_names)
        return self._child(node, self.key_serde, None, self.repartition_required)

    # --- transformers (Kafka 2.8's DSL) ---------------------------------------------------------------------

    def transform(self, transformer_supplier: Any, *store_names: str, named: Named | str | None = None) -> KStream:
        """A Transformer per task: transform(key, value) returns a new (key, value) or None, and may forward more
        with its context (also from punctuators); `store_names` are stores it reads by name."""
        from strom.streams.kstream.internals.transform_processors import KStreamFlatTransform

        name = _name(named) or self.builder.new_processor_name(n.TRANSFORM_NAME)
        return self._flat_transform(KStreamFlatTransform(transformer_supplier, False), name, store_names)

    def flat_transform(self, transformer_supplier: Any, *store_names: str, named: Named | str | None = None) -> KStream:
        """As transform(), with an iterable of (key, value) pairs per record."""
        from strom.streams.kstream.internals.transform_processors import KStreamFlatTransform

        name = _name(named) or self.builder.new_processor_name(n.TRANSFORM_NAME)
        return self._flat_transform(KStreamFlatTransform(transformer_supplier, True), name, store_names)

    def _flat_transform(self, supplier: Any, name: str, store_names: tuple[str, ...]) -> KStream:
        node = processor_node(name, supplier, store_names)
        node.key_changing_operation = True
        return self._child(node, None, None, True)

    def transform_values(self, transformer_supplier: Any, *store_names: str, named: Named | str | None = None) -> KStream:
        """A ValueTransformer (transform(value)) or ValueTransformerWithKey (transform(key, value)) per task: the
        new value; the key stays, so its context cannot forward."""
        from strom.streams.kstream.internals.transform_processors import KStreamTransformValues

        return self._transform_values(KStreamTransformValues(transformer_supplier, False), named, store_names)

    def flat_transform_values(self, transformer_supplier: Any, *store_names: str, named: Named | str | None = None) -> KStream:
        """As transform_values(), with an iterable of values per record."""
        from strom.streams.kstream.internals.transform_processors import KStreamTransformValues

        return self._transform_values(KStreamTransformValues(transformer_supplier, True), named, store_names)

    def _transform_values(self, supplier: Any, named: Named | str | None, store_names: tuple[str, ...]) -> KStream:
        name = self.builder.or_else_generate(_name(named), n.TRANSFORMVALUES_NAME)
        node = processor_node(name, supplier, store_names)
        node.value_changing_operation = True
        return self._child(node, self.key_serde, None, self.repartition_required)

    # --- joins ----------------------------------------------------------------------------------------------

    def join(self, other: Any, joiner: Callable[..., Any], *args: Any) -> KStream:
        """With a KStream: join(other, joiner, JoinWindows[, StreamJoined]); with a KTable: join(table, joiner[,
        Joined]); with a GlobalKTable: join(global_table, key_mapper(key, value), joiner[, Named])."""
        return self._join(other, joiner, args, left=False, outer=False)

    def left_join(self, other: Any, joiner: Callable[..., Any], *args: Any) -> KStream:
        return self._join(other, joiner, args, left=True, outer=False)

    def outer_join(
        self, other: KStream, joiner: Callable[..., Any], windows: JoinWindows, stream_joined: StreamJoined[Any] | None = None
    ) -> KStream:
        return self._join(other, joiner, (windows, stream_joined), left=True, outer=True)

    def _join(self, other: Any, joiner: Callable[..., Any], args: tuple[Any, ...], left: bool, outer: bool) -> KStream:
        from strom.streams.kstream.internals.stream_joins import global_table_join, stream_stream_join, stream_table_join
        from strom.streams.kstream.ktable import GlobalKTable, KTable

        if isinstance(other, KStream):
            windows = args[0]
            stream_joined = args[1] if len(args) > 1 and args[1] is not None else StreamJoined()
            return stream_stream_join(self, other, n.with_key(joiner, 2), windows, stream_joined, left, outer)
        if isinstance(other, KTable):
            joined = args[0] if args and args[0] is not None else Joined()
            return stream_table_join(self, other, n.with_key(joiner, 2), joined, left)
        if isinstance(other, GlobalKTable):
            key_mapper = joiner
            value_joiner = n.with_key(args[0], 2)
            named = _name(args[1]) if len(args) > 1 else None
            return global_table_join(self, other, key_mapper, value_joiner, named, left)
        raise TypeError(f"cannot join a KStream with {type(other).__name__}")


def _to_table_node(name: str, supplier: Any, store_name: str, materialized: Any, key_serde: Any, value_serde: Any) -> GraphNode:
    from strom.streams.kstream.internals.materialize import key_value_store

    def write(builder: Any, node: GraphNode) -> None:
        builder.add_processor(name, supplier, *node.parent_names())
        if supplier.materialized():
            builder.add_state_store(key_value_store(store_name, materialized, key_serde, value_serde), name)

    return GraphNode(name, write)


class BranchedKStream:
    """KStream.split(): branches tried in order; each record goes to the first whose predicate holds."""

    def __init__(self, source: KStream, name: str | None) -> None:
        self.source = source
        self.splitter_name = source.builder.or_else_generate(name, n.BRANCH_NAME)
        self.predicates: list[Callable[[Any, Any], bool]] = []
        self.child_names: list[str] = []
        self.outputs: dict[str, KStream] = {}
        preds, children = self.predicates, self.child_names

        class _Lazy(sp._Supplier):
            def __init__(self) -> None:
                super().__init__(
                    lambda: sp.branch_supplier(
                        preds, children[: len(preds)], children[len(preds)] if len(children) > len(preds) else None
                    ).get()
                )

        self.splitter = processor_node(self.splitter_name, _Lazy())
        source.builder.add_graph_node(source.graph_node, self.splitter)

    def branch(self, predicate: Callable[[Any, Any], bool], branched: Branched[Any] | None = None) -> BranchedKStream:
        self.predicates.append(predicate)
        self._create(branched or Branched(), len(self.predicates))
        return self

    def default_branch(self, branched: Branched[Any] | None = None) -> dict[str, KStream]:
        self._create(branched or Branched(), 0)
        return self.outputs

    def no_default_branch(self) -> dict[str, KStream]:
        return self.outputs

    def _create(self, branched: Branched[Any], index: int) -> None:
        src = self.source
        child_name = self.splitter_name + (branched.name if branched.name is not None else str(index))
        self.child_names.append(child_name)
        src.builder.new_processor_name(child_name)
        node = processor_node(child_name, sp.pass_through_supplier())
        src.builder.add_graph_node(self.splitter, node)
        branch = KStream(
            child_name, src.key_serde, src.value_serde, src.sub_topology_source_nodes, src.repartition_required, node, src.builder
        )
        if branched.chain_function is not None:
            result = branched.chain_function(branch)
            if result is not None:
                self.outputs[child_name] = result
        elif branched.chain_consumer is not None:
            branched.chain_consumer(branch)
        else:
            self.outputs[child_name] = branch


def pattern_of(topics: Any) -> re.Pattern[str] | None:
    return topics if isinstance(topics, re.Pattern) else None
