"""The DSL's operation graph. Each DSL call adds a node; `StreamsBuilder.build()` writes the nodes into the
InternalTopologyBuilder in creation order (Java's build priority), once all of a node's parents are written.
Writing late lets later calls change earlier nodes (a source KTable materialized because a join reads it), and lets
`topology.optimization` rewrite the graph first (kstream/internals/optimizer.py)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any

from strom.streams.kstream.internals.names import FILTER_NAME, REPARTITION_TOPIC_SUFFIX, SINK_NAME, SOURCE_NAME, is_generated
from strom.streams.processor.internal_topology_builder import InternalTopicProperties, InternalTopologyBuilder

Writer = Callable[[InternalTopologyBuilder, "GraphNode"], None]


class GraphNode:
    """One DSL operation; `writer` adds its processors, sinks, sources and stores to the topology."""

    def __init__(self, node_name: str, writer: Writer | None = None) -> None:
        self.node_name = node_name
        self.writer = writer
        self.parents: list[GraphNode] = []
        self.children: list[GraphNode] = []
        self.build_priority = 0
        self.written = False
        self.key_changing_operation = False
        self.value_changing_operation = False
        self.merge_node = False
        self.repartition: RepartitionSpec | None = None  # an optimizable repartition (Java's OptimizableRepartitionNode)
        self.table_source = False  # a builder.table() source (Java's TableSourceNode)
        self.reuse_source_topic_for_changelog = False
        self.self_join_windows: tuple[GraphNode, GraphNode] | None = None  # a stream joined with itself: its windowed nodes
        self.self_join = False  # single.store.self.join applied

    def parent_names(self) -> list[str]:
        return [p.node_name for p in self.parents]

    # parents and children are ordered sets, as Java's LinkedHashSets
    def add_child(self, child: GraphNode) -> None:
        if child not in self.children:
            self.children.append(child)
        if self not in child.parents:
            child.parents.append(self)

    def remove_child(self, child: GraphNode) -> None:
        if child in self.children:
            self.children.remove(child)
            if self in child.parents:
                child.parents.remove(self)

    def clear_children(self) -> None:
        for child in self.children:
            if self in child.parents:
                child.parents.remove(self)
        self.children.clear()

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        if self.writer is not None:
            self.writer(builder, self)

    def __lt__(self, other: GraphNode) -> bool:
        return self.build_priority < other.build_priority

    def __repr__(self) -> str:
        return f"GraphNode({self.node_name})"


def processor_node(name: str, supplier: Any, store_names: Iterable[str] = (), store_builders: Iterable[Any] = ()) -> GraphNode:
    """A processor with its parents; stores it reads by name are connected, stores it owns are added."""
    names = list(store_names)
    builders = list(store_builders)

    def write(builder: InternalTopologyBuilder, node: GraphNode) -> None:
        builder.add_processor(name, supplier, *node.parent_names())
        if names:
            builder.connect_processor_and_state_stores(name, *names)
        for store_builder in builders:
            builder.add_state_store(store_builder, name)

    return GraphNode(name, write)


def sink_node(name: str, topic: Any, key_serializer: Any, value_serializer: Any, partitioner: Any) -> GraphNode:
    def write(builder: InternalTopologyBuilder, node: GraphNode) -> None:
        builder.add_sink(name, topic, key_serializer, value_serializer, partitioner, *node.parent_names())

    return GraphNode(name, write)


class RepartitionSpec:
    """What an optimizable repartition node writes to: merging repartitions reuses the first one's topic and serdes."""

    def __init__(self, topic: str, key_serde: Any, value_serde: Any) -> None:
        self.topic = topic
        self.key_serde = key_serde
        self.value_serde = value_serde


def repartition_node(
    node_name: str,
    filter_name: str,
    filter_supplier: Any,
    sink_name: str,
    source_name: str,
    topic: str,
    key_serde: Any,
    value_serde: Any,
    partitioner: Any = None,
    partitions: int | None = None,
    optimizable: bool = False,
) -> GraphNode:
    """Null-key filter -> sink to `<name>-repartition` -> source of it (a new sub-topology downstream). Optimizable
    ones (group-by, join, to_table) may be merged by topology.optimization; repartition() is not."""

    def write(builder: InternalTopologyBuilder, node: GraphNode) -> None:
        builder.add_internal_topic(topic, InternalTopicProperties(partitions) if partitions is not None else None)
        builder.add_processor(filter_name, filter_supplier, *node.parent_names())
        ks = None if key_serde is None else key_serde.serializer()
        vs = None if value_serde is None else value_serde.serializer()
        builder.add_sink(sink_name, topic, ks, vs, partitioner, filter_name)
        kd = None if key_serde is None else key_serde.deserializer()
        vd = None if value_serde is None else value_serde.deserializer()
        builder.add_source(None, source_name, None, kd, vd, [topic])

    node = GraphNode(node_name, write)
    if optimizable:
        node.repartition = RepartitionSpec(topic, key_serde, value_serde)
    return node


def make_repartitioned_source(
    builder: InternalStreamsBuilder,
    prefix: str,
    key_serde: Any,
    value_serde: Any,
    filter_supplier: Any,
    partitioner: Any = None,
    partitions: int | None = None,
    optimizable: bool = True,
) -> GraphNode:
    """Java's createRepartitionedSource: burns three names, then names the nodes after the topic unless the prefix
    is itself a generated name. The node is not added to the graph."""
    topic = prefix if prefix.endswith(REPARTITION_TOPIC_SUFFIX) else prefix + REPARTITION_TOPIC_SUFFIX
    gen_sink = builder.new_processor_name(SINK_NAME)
    gen_filter = builder.new_processor_name(FILTER_NAME)
    gen_source = builder.new_processor_name(SOURCE_NAME)
    if is_generated(prefix):
        sink, flt, source = gen_sink, gen_filter, gen_source
    else:
        sink, flt, source = topic + "-sink", topic + "-filter", topic + "-source"
    return repartition_node(source, flt, filter_supplier, sink, source, topic, key_serde, value_serde, partitioner, partitions, optimizable)


class InternalStreamsBuilder:
    """Names nodes as Java does (one counter for processors and stores) and keeps the operation graph."""

    def __init__(self, internal_topology_builder: InternalTopologyBuilder) -> None:
        self.internal_topology_builder = internal_topology_builder
        self.index = 0
        self.root = GraphNode("root")
        self.root.build_priority = -1
        self._build_priority = 0
        self.global_store_names: set[str] = set()
        # what topology.optimization rewrites, in Java's insertion orders
        self.key_changing_to_repartitions: dict[GraphNode, dict[GraphNode, None]] = {}
        self.merge_nodes: dict[GraphNode, None] = {}
        self.table_source_nodes: dict[GraphNode, None] = {}

    def new_processor_name(self, prefix: str) -> str:
        name = f"{prefix}{self.index:010d}"
        self.index += 1
        return name

    def new_store_name(self, prefix: str) -> str:
        name = f"{prefix}STATE-STORE-{self.index:010d}"
        self.index += 1
        return name

    def or_else_generate(self, name: str | None, prefix: str) -> str:
        """A user's name, or a generated one; a generated index is used up either way, as Java does."""
        generated = self.new_processor_name(prefix)
        return generated if name is None else name

    def suffix_with_or_else_generate(self, name: str | None, suffix: str, prefix: str) -> str:
        generated = self.new_processor_name(prefix)
        return generated if name is None else name + suffix

    def add_graph_node(self, parents: GraphNode | Iterable[GraphNode], child: GraphNode) -> GraphNode:
        for parent in [parents] if isinstance(parents, GraphNode) else list(parents):
            parent.add_child(child)
            self._add_node_for_optimization_metadata(child)
        return child

    def _add_node_for_optimization_metadata(self, node: GraphNode) -> None:
        node.build_priority = self._build_priority
        self._build_priority += 1
        if node.key_changing_operation:
            self.key_changing_to_repartitions[node] = {}
        elif node.repartition is not None:
            key_changer = key_changing_parent(node)
            if key_changer is not None and key_changer in self.key_changing_to_repartitions:
                self.key_changing_to_repartitions[key_changer][node] = None
        elif node.merge_node:
            self.merge_nodes[node] = None
        elif node.table_source:
            self.table_source_nodes[node] = None

    def build(self, optimizations: set[str] | None = None) -> None:
        """Rewrites the graph for the optimizations asked for, then writes every node, lowest build priority first,
        each after all its parents."""
        if optimizations:
            from strom.streams.kstream.internals.optimizer import optimize

            optimize(self, optimizations)
        builder = self.internal_topology_builder
        queue: list[GraphNode] = [self.root]
        self.root.written = False
        while queue:
            node = heapq.heappop(queue)
            if not node.written and all(p.written for p in node.parents):
                node.write_to_topology(builder)
                node.written = True
            for child in node.children:
                heapq.heappush(queue, child)
        builder.validate_copartition()


def find_parent_node_matching(start: GraphNode, predicate: Callable[[GraphNode], bool]) -> GraphNode | None:
    """Java's findParentNodeMatching: the node itself, a direct parent, or else what the search from the last
    parent found (Java walks every parent and keeps the last result)."""
    if predicate(start):
        return start
    found: GraphNode | None = None
    for parent in start.parents:
        if predicate(parent):
            return parent
        found = find_parent_node_matching(parent, predicate)
    return found


def key_changing_parent(repartition: GraphNode) -> GraphNode | None:
    """The key-changing operation a repartition belongs to, unless a value-changing one comes between them."""
    first = find_parent_node_matching(repartition, lambda n: n.key_changing_operation or n.value_changing_operation)
    key_changer = find_parent_node_matching(repartition, lambda n: n.key_changing_operation)
    return key_changer if first is not None and first is key_changer else None
