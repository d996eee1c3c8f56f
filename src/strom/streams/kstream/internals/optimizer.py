"""topology.optimization: the rewrites of the DSL graph Java's InternalStreamsBuilder makes before it writes the
topology, so an optimized Strom application has Java's nodes, internal topics and outputs.

- reuse.ktable.source.topics: a materialized `builder.table()` store has no changelog of its own; its input
  topic is its changelog (restored up to the committed offset).
- merge.repartition.topics: the repartitions that follow one key-changing operation (group-bys, joins,
  to_table) become one, named after the first of them; the operations read from it.
- single.store.self.join: a windowed join of a stream with itself runs as one processor on one store.
"""

from __future__ import annotations

import logging

from strom.streams.config import MERGE_REPARTITION_TOPICS, REUSE_KTABLE_SOURCE_TOPICS, SINGLE_STORE_SELF_JOIN
from strom.streams.errors import StreamsException
from strom.streams.kstream.internals import stream_processors as sp
from strom.streams.kstream.internals.graph import GraphNode, InternalStreamsBuilder, find_parent_node_matching, make_repartitioned_source

log = logging.getLogger("org.apache.kafka.streams.kstream.internals.InternalStreamsBuilder")


def optimize(builder: InternalStreamsBuilder, optimizations: set[str]) -> None:
    if REUSE_KTABLE_SOURCE_TOPICS in optimizations:
        log.debug("Optimizing the Kafka Streams graph for ktable source nodes")
        for node in builder.table_source_nodes:
            node.reuse_source_topic_for_changelog = True
    if MERGE_REPARTITION_TOPICS in optimizations:
        log.debug("Optimizing the Kafka Streams graph for repartition nodes")
        merge_repartition_topics(builder)
    if SINGLE_STORE_SELF_JOIN in optimizations:
        log.debug("Optimizing the Kafka Streams graph for self-joins")
        _rewrite_single_store_self_joins(builder.root, set())


def _rewrite_single_store_self_joins(node: GraphNode, visited: set[int]) -> None:
    """A stream-stream join whose two sides are one stream keeps only its this-side windowed node and store."""
    visited.add(id(node))
    if node.self_join_windows is not None:
        this_window, other_window = node.self_join_windows
        for parent in list(other_window.parents):
            parent.remove_child(other_window)
        node.parents = [this_window]
        node.self_join = True
    for child in list(node.children):
        if id(child) not in visited:
            _rewrite_single_store_self_joins(child, visited)


def _child_of(start: GraphNode, ancestor: GraphNode) -> GraphNode | None:
    """The node at or above `start` that is a child of `ancestor`."""
    return find_parent_node_matching(start, lambda n: ancestor in n.parents)


def _merge_node_keys(builder: InternalStreamsBuilder) -> None:
    """Repartitions downstream of a merge of key-changed streams belong to the merge node, not to each key changer."""
    groups = builder.key_changing_to_repartitions
    merge_to_key_changers: dict[GraphNode, list[GraphNode]] = {}
    to_remove: list[GraphNode] = []
    for merge in builder.merge_nodes:
        changers: list[GraphNode] = []
        for key_changer, repartitions in groups.items():
            below_merge = all(_child_of(r, merge) is not None for r in repartitions)
            if below_merge and _child_of(merge, key_changer) is not None:
                if key_changer not in changers:
                    changers.append(key_changer)
        merge_to_key_changers[merge] = changers
    for merge, changers in merge_to_key_changers.items():
        merged: dict[GraphNode, None] = {}
        for key_changer in changers:
            merged.update(groups.get(key_changer, {}))
            to_remove.append(key_changer)
        groups[merge] = merged
    for key_changer in to_remove:
        groups.pop(key_changer, None)


def merge_repartition_topics(builder: InternalStreamsBuilder) -> None:
    _merge_node_keys(builder)
    groups = builder.key_changing_to_repartitions
    for key_changer in list(groups):
        repartitions = list(groups[key_changer])
        if not repartitions:
            continue
        key_serde = next((r.repartition.key_serde for r in repartitions if r.repartition and r.repartition.key_serde is not None), None)
        value_serde = next(
            (r.repartition.value_serde for r in repartitions if r.repartition and r.repartition.value_serde is not None), None
        )
        first = repartitions[0].repartition
        assert first is not None
        optimized = make_repartitioned_source(builder, first.topic, key_serde, value_serde, sp.null_key_filter_supplier())
        optimized.build_priority = key_changer.build_priority
        for replaced in repartitions:
            child = _child_of(replaced, key_changer)
            if child is None:
                raise StreamsException(f"Found a null keyChangingChild node for {replaced}")
            optimized.add_child(child)
            key_changer.remove_child(child)
            for grandchild in list(replaced.children):
                for parent in list(replaced.parents):
                    parent.add_child(grandchild)
            for parent in list(replaced.parents):
                parent.remove_child(replaced)
            replaced.clear_children()
            builder.internal_topology_builder.maybe_update_copartition_source_groups(replaced.node_name, optimized.node_name)
        key_changer.add_child(optimized)
        del groups[key_changer]
