"""The DSL's operation graph. Each DSL call adds a node; `StreamsBuilder.build()` writes the nodes into the
InternalTopologyBuilder in creation order (Java's build priority), once all of a node's parents are written.
Writing late lets later calls change earlier nodes (a source KTable materialized because a join reads it)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any

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

    def parent_names(self) -> list[str]:
        return [p.node_name for p in self.parents]

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
) -> GraphNode:
    """Null-key filter -> sink to `<name>-repartition` -> source of it (a new sub-topology downstream)."""

    def write(builder: InternalTopologyBuilder, node: GraphNode) -> None:
        builder.add_internal_topic(topic, InternalTopicProperties(partitions) if partitions is not None else None)
        builder.add_processor(filter_name, filter_supplier, *node.parent_names())
        ks = None if key_serde is None else key_serde.serializer()
        vs = None if value_serde is None else value_serde.serializer()
        builder.add_sink(sink_name, topic, ks, vs, partitioner, filter_name)
        kd = None if key_serde is None else key_serde.deserializer()
        vd = None if value_serde is None else value_serde.deserializer()
        builder.add_source(None, source_name, None, kd, vd, [topic])

    return GraphNode(node_name, write)


class InternalStreamsBuilder:
    """Names nodes as Java does (one counter for processors and stores) and keeps the operation graph."""

    def __init__(self, internal_topology_builder: InternalTopologyBuilder) -> None:
        self.internal_topology_builder = internal_topology_builder
        self.index = 0
        self.root = GraphNode("root")
        self.root.build_priority = -1
        self._build_priority = 0
        self.table_source_nodes: list[GraphNode] = []
        self.global_store_names: set[str] = set()

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
            parent.children.append(child)
            child.parents.append(parent)
        child.build_priority = self._build_priority
        self._build_priority += 1
        return child

    def build(self) -> None:
        """Writes every node, lowest build priority first, each after all its parents."""
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
