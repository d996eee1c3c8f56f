"""The topology as nodes and stores, and what the runtime derives from it: subtopologies (Java's node groups),
their source/sink/internal topics, co-partition groups, and fresh per-task node instances (``build``).

Nodes are kept in insertion order (a topological order, since a node's parents must exist first) and grouped by
a union-find over parent links and shared stores, so subtopology ids are the ones Java assigns to the same program.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from strom.streams.errors import TopologyException
from strom.streams.processor.api import (
    FixedKeyProcessor,
    FixedKeyProcessorSupplier,
    Processor,
    ProcessorSupplier,
    RecordContext,
    StreamPartitioner,
    TopicNameExtractor,
)
from strom.streams.processor.nodes import ProcessorNode, ProcessorTopology, SinkNode, SourceNode
from strom.streams.processor.topology_description import GlobalStore, Subtopology, TopologyDescription, describe_subtopology
from strom.streams.processor.topology_description import Node as DescribedNode
from strom.streams.processor.topology_description import Processor as DescribedProcessor
from strom.streams.processor.topology_description import Sink as DescribedSink
from strom.streams.processor.topology_description import Source as DescribedSource
from strom.streams.serdes import Deserializer, Serializer
from strom.streams.state.api import StoreBuilder
from strom.streams.timestamps import TimestampExtractor

log = logging.getLogger("org.apache.kafka.streams.processor.internals.InternalTopologyBuilder")

AnyProcessor = Processor[Any, Any, Any, Any] | FixedKeyProcessor[Any, Any, Any]
SupplierLike = ProcessorSupplier[Any, Any, Any, Any] | FixedKeyProcessorSupplier[Any, Any, Any] | Callable[[], AnyProcessor]
TopicExtractorLike = TopicNameExtractor[Any, Any] | Callable[[Any, Any, RecordContext], str]

# Kafka Streams' defaults for the topics it creates (InternalTopicManager / *TopicConfig).
WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS_DEFAULT = 86_400_000
_INTERNAL_TOPIC_DEFAULTS = {"message.timestamp.type": "CreateTime"}
_UNWINDOWED_CHANGELOG_DEFAULTS = {"cleanup.policy": "compact"}
_WINDOWED_CHANGELOG_DEFAULTS = {"cleanup.policy": "compact,delete"}
_REPARTITION_DEFAULTS = {"cleanup.policy": "delete", "segment.bytes": "52428800", "retention.ms": "-1"}
LONG_MAX = (1 << 63) - 1


class AutoOffsetReset(Enum):
    """Where a source starts when its group has no committed offset (overrides ``auto.offset.reset``)."""

    EARLIEST = "earliest"
    LATEST = "latest"


def internal_topic_prefix(application_id: str) -> str:
    """Internal topics are ``<application.id>-<name>``; the reset tool finds them by this prefix."""
    return application_id + "-"


def store_changelog_topic(application_id: str, store_name: str) -> str:
    return f"{application_id}-{store_name}-changelog"


@dataclass(frozen=True)
class InternalTopicConfig:
    """A topic Kafka Streams creates: a store's changelog or a repartition topic, with Java's topic configs."""

    name: str
    kind: str  # "changelog" | "repartition"
    windowed: bool = False
    retention_ms: int | None = None
    log_config: dict[str, str] = field(default_factory=dict)
    number_of_partitions: int | None = None

    def properties(self, additional_retention_ms: int = WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS_DEFAULT) -> dict[str, str]:
        """The configs to create the topic with (the user's log config wins over the defaults)."""
        if self.kind == "repartition":
            props = {**_INTERNAL_TOPIC_DEFAULTS, **_REPARTITION_DEFAULTS}
        elif self.windowed:
            props = {**_INTERNAL_TOPIC_DEFAULTS, **_WINDOWED_CHANGELOG_DEFAULTS}
            if self.retention_ms is not None:
                total = self.retention_ms + additional_retention_ms
                props["retention.ms"] = str(LONG_MAX if total > LONG_MAX else total)
        else:
            props = {**_INTERNAL_TOPIC_DEFAULTS, **_UNWINDOWED_CHANGELOG_DEFAULTS}
        props.update({k: str(v) for k, v in self.log_config.items()})
        return props


@dataclass(frozen=True)
class InternalTopicProperties:
    """What the DSL knows about a repartition topic when it declares it: a fixed partition count, or None."""

    number_of_partitions: int | None = None


@dataclass(frozen=True)
class GlobalStoreSpec:
    """A global store: the topic it is loaded from (all partitions, on every instance) and the nodes that load it."""

    store_name: str
    topic: str
    source_name: str
    processor_name: str
    store_builder: StoreBuilder[Any]


class _NodeFactory:
    def __init__(self, name: str, predecessors: tuple[str, ...]) -> None:
        self.name = name
        self.predecessors = predecessors

    def build(self) -> ProcessorNode:
        raise NotImplementedError


class _ProcessorNodeFactory(_NodeFactory):
    def __init__(self, name: str, predecessors: tuple[str, ...], supplier: SupplierLike) -> None:
        super().__init__(name, predecessors)
        self.supplier = supplier
        self.state_store_names: list[str] = []  # insertion order; described through Java's HashSet order

    def add_state_store(self, store_name: str) -> None:
        if store_name not in self.state_store_names:
            self.state_store_names.append(store_name)

    def build(self) -> ProcessorNode:
        supplier = self.supplier
        if isinstance(supplier, ProcessorSupplier | FixedKeyProcessorSupplier):
            processor: AnyProcessor = supplier.get()
        else:
            processor = supplier()
        return ProcessorNode(self.name, processor, set(self.state_store_names))


class _SourceNodeFactory(_NodeFactory):
    def __init__(
        self,
        name: str,
        topics: list[str],
        pattern: re.Pattern[str] | None,
        timestamp_extractor: TimestampExtractor | None,
        key_deserializer: Deserializer[Any] | None,
        value_deserializer: Deserializer[Any] | None,
    ) -> None:
        super().__init__(name, ())
        self.topics = topics
        self.pattern = pattern
        self.timestamp_extractor = timestamp_extractor
        self.key_deserializer = key_deserializer
        self.value_deserializer = value_deserializer

    def build(self) -> ProcessorNode:
        return SourceNode(self.name, list(self.topics), self.timestamp_extractor, self.key_deserializer, self.value_deserializer)


class _SinkNodeFactory(_NodeFactory):
    def __init__(
        self,
        name: str,
        predecessors: tuple[str, ...],
        topic: str | None,
        extractor: TopicExtractorLike | None,
        key_serializer: Serializer[Any] | None,
        value_serializer: Serializer[Any] | None,
        partitioner: StreamPartitioner[Any, Any] | None,
        decorate: Callable[[str], str],
    ) -> None:
        super().__init__(name, predecessors)
        self.topic = topic
        self.extractor = extractor
        self.key_serializer = key_serializer
        self.value_serializer = value_serializer
        self.partitioner = partitioner
        self._decorate = decorate

    def build(self) -> ProcessorNode:
        target: str | TopicExtractorLike
        if self.topic is not None:
            target = self._decorate(self.topic)
        else:
            assert self.extractor is not None
            target = self.extractor
        return SinkNode(self.name, target, self.key_serializer, self.value_serializer, self.partitioner)


class _StateStoreFactory:
    def __init__(self, builder: StoreBuilder[Any]) -> None:
        self.builder = builder
        self.users: list[str] = []

    @property
    def name(self) -> str:
        return self.builder.name

    def logging_enabled(self) -> bool:
        return self.builder.logging_enabled()

    def log_config(self) -> dict[str, str]:
        return dict(self.builder.log_config() or {})

    def retention_period(self) -> int | None:
        """Window and session store builders have a retention; key-value builders have none."""
        return self.builder.retention_period()


class _QuickUnion:
    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def add(self, node: str) -> None:
        self._ids[node] = node

    def root(self, node: str) -> str:
        current = node
        parent = self._ids[current]
        while parent != current:
            grand = self._ids[parent]
            self._ids[current] = grand  # path halving
            current = parent
            parent = grand
        return current

    def unite(self, node: str, *others: str) -> None:
        for other in others:
            root1 = self.root(node)
            root2 = self.root(other)
            if root1 != root2:
                self._ids[root1] = root2


def _supplier_stores(supplier: SupplierLike) -> set[StoreBuilder[Any]]:
    if isinstance(supplier, ProcessorSupplier | FixedKeyProcessorSupplier):
        return supplier.stores() or set()
    return set()


def _check_supplier(supplier: SupplierLike) -> None:
    """A supplier must make a new processor per task: one shared instance would mix the tasks' state."""
    get = supplier.get if isinstance(supplier, ProcessorSupplier | FixedKeyProcessorSupplier) else supplier
    if get() is get():
        name = type(supplier).__qualname__
        raise ValueError(f"{name} generates single reference. {name}#get() must return a new object each time it is called.")


class InternalTopologyBuilder:
    """The mutable topology behind :class:`strom.streams.topology.Topology` and the DSL's StreamsBuilder."""

    def __init__(self) -> None:
        self.node_factories: dict[str, _NodeFactory] = {}  # insertion = topological order
        self._state_factories: dict[str, _StateStoreFactory] = {}
        self._global_state_builders: dict[str, StoreBuilder[Any]] = {}
        self._global_stores: dict[str, GlobalStoreSpec] = {}
        self._source_topic_names: list[str] = []
        self._internal_topics: dict[str, InternalTopicProperties] = {}
        self._copartition_source_groups: list[set[str]] = []
        self.node_to_source_topics: dict[str, list[str]] = {}
        self.node_to_source_patterns: dict[str, re.Pattern[str]] = {}
        self.node_to_sink_topic: dict[str, str] = {}
        self._store_to_changelog_topic: dict[str, str] = {}  # explicit (source-topic changelogs), undecorated
        self._global_topics: set[str] = set()
        self._earliest_reset: set[str] = set()
        self._latest_reset: set[str] = set()
        self._earliest_reset_patterns: list[re.Pattern[str]] = []
        self._latest_reset_patterns: list[re.Pattern[str]] = []
        self._node_grouper = _QuickUnion()
        self._subscription_updates: set[str] = set()
        self._topic_to_pattern: dict[str, re.Pattern[str]] = {}
        self.application_id: str | None = None
        self._node_groups: dict[int, list[str]] | None = None

    # --- building ---------------------------------------------------------------------------------------------

    def set_application_id(self, application_id: str) -> InternalTopologyBuilder:
        if application_id is None:
            raise ValueError("applicationId can't be null")
        self.application_id = application_id
        return self

    def rewrite_topology(self, application_id: str, cache_max_bytes: int | None = None) -> InternalTopologyBuilder:
        """Before the runtime builds tasks: sets the application id, and strips caching when the cache is 0 bytes."""
        self.set_application_id(application_id)
        if cache_max_bytes == 0:
            for factory in self._state_factories.values():
                factory.builder.with_caching_disabled()
            for builder in self._global_state_builders.values():
                builder.with_caching_disabled()
        return self

    def add_source(
        self,
        offset_reset: Any,
        name: str,
        timestamp_extractor: TimestampExtractor | None,
        key_deserializer: Deserializer[Any] | None,
        value_deserializer: Deserializer[Any] | None,
        topics: Iterable[str] = (),
        pattern: re.Pattern[str] | str | None = None,
    ) -> None:
        if name is None:
            raise ValueError("name must not be null")
        if name in self.node_factories:
            raise TopologyException(f"Processor {name} is already added.")
        reset = _reset(offset_reset)
        if pattern is not None:
            compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
            for topic in self._source_topic_names:
                if compiled.fullmatch(topic):
                    raise TopologyException(
                        f"Pattern {compiled.pattern} will match a topic that has already been registered by another source."
                    )
            for other in self._earliest_reset_patterns + self._latest_reset_patterns:
                if compiled.pattern in other.pattern or other.pattern in compiled.pattern:
                    raise TopologyException(
                        f"Pattern {compiled.pattern} will overlap with another pattern {other.pattern} "
                        "already been registered by another source"
                    )
            if reset is AutoOffsetReset.EARLIEST:
                self._earliest_reset_patterns.append(compiled)
            elif reset is AutoOffsetReset.LATEST:
                self._latest_reset_patterns.append(compiled)
            self.node_factories[name] = _SourceNodeFactory(name, [], compiled, timestamp_extractor, key_deserializer, value_deserializer)
            self.node_to_source_patterns[name] = compiled
        else:
            topic_list = list(topics)
            if not topic_list:
                raise TopologyException("You must provide at least one topic")
            for topic in topic_list:
                if topic is None:
                    raise ValueError("topic names cannot be null")
                self._validate_topic_not_already_registered(topic)
                if reset is AutoOffsetReset.EARLIEST:
                    self._earliest_reset.add(topic)
                elif reset is AutoOffsetReset.LATEST:
                    self._latest_reset.add(topic)
                self._source_topic_names.append(topic)
            self.node_factories[name] = _SourceNodeFactory(
                name, topic_list, None, timestamp_extractor, key_deserializer, value_deserializer
            )
            self.node_to_source_topics[name] = topic_list
        self._node_grouper.add(name)
        self._node_groups = None

    def add_processor(self, name: str, supplier: SupplierLike, *predecessor_names: str) -> None:
        if name is None:
            raise ValueError("name must not be null")
        if supplier is None:
            raise ValueError("supplier must not be null")
        if name in self.node_factories:
            raise TopologyException(f"Processor {name} is already added.")
        if not predecessor_names:
            raise TopologyException(f"Processor {name} must have at least one parent")
        for predecessor in predecessor_names:
            if predecessor == name:
                raise TopologyException(f"Processor {name} cannot be a predecessor of itself.")
            if predecessor not in self.node_factories:
                raise TopologyException(f"Predecessor processor {predecessor} is not added yet for {name}")
        _check_supplier(supplier)
        self.node_factories[name] = _ProcessorNodeFactory(name, tuple(predecessor_names), supplier)
        self._node_grouper.add(name)
        self._node_grouper.unite(name, *predecessor_names)
        self._node_groups = None
        for store_builder in _supplier_stores(supplier):
            self.add_state_store(store_builder, name)

    def add_sink(
        self,
        name: str,
        topic_or_extractor: str | TopicExtractorLike,
        key_serializer: Serializer[Any] | None,
        value_serializer: Serializer[Any] | None,
        partitioner: StreamPartitioner[Any, Any] | None,
        *predecessor_names: str,
    ) -> None:
        if name is None:
            raise ValueError("name must not be null")
        if topic_or_extractor is None:
            raise ValueError("topic must not be null")
        if name in self.node_factories:
            raise TopologyException(f"Processor {name} is already added.")
        if not predecessor_names:
            raise TopologyException(f"Sink {name} must have at least one parent")
        for predecessor in predecessor_names:
            if predecessor == name:
                raise TopologyException(f"Processor {name} cannot be a predecessor of itself.")
            if predecessor not in self.node_factories:
                raise TopologyException(f"Predecessor processor {predecessor} is not added yet.")
            if predecessor in self.node_to_sink_topic or isinstance(self.node_factories[predecessor], _SinkNodeFactory):
                raise TopologyException(f"Sink {predecessor} cannot be used a parent.")
        topic = topic_or_extractor if isinstance(topic_or_extractor, str) else None
        extractor = None if isinstance(topic_or_extractor, str) else topic_or_extractor
        self.node_factories[name] = _SinkNodeFactory(
            name, tuple(predecessor_names), topic, extractor, key_serializer, value_serializer, partitioner, self._maybe_decorate
        )
        if topic is not None:
            self.node_to_sink_topic[name] = topic
        self._node_grouper.add(name)
        self._node_grouper.unite(name, *predecessor_names)
        self._node_groups = None

    def add_state_store(self, store_builder: StoreBuilder[Any], *processor_names: str, allow_override: bool = False) -> None:
        if store_builder is None:
            raise ValueError("storeBuilder can't be null")
        name = store_builder.name
        existing = self._state_factories.get(name)
        if not allow_override and existing is not None and existing.builder is not store_builder:
            raise TopologyException(f"A different StateStore has already been added with the name {name}")
        if name in self._global_state_builders:
            raise TopologyException(f"A different GlobalStateStore has already been added with the name {name}")
        factory = _StateStoreFactory(store_builder)
        if existing is not None:
            factory.users = existing.users
        self._state_factories[name] = factory
        for processor_name in processor_names:
            self._connect_processor_and_state_store(processor_name, name)
        self._node_groups = None

    def add_global_store(
        self,
        store_builder: StoreBuilder[Any],
        source_name: str,
        timestamp_extractor: TimestampExtractor | None,
        key_deserializer: Deserializer[Any] | None,
        value_deserializer: Deserializer[Any] | None,
        topic: str,
        processor_name: str,
        state_update_supplier: SupplierLike,
    ) -> None:
        if store_builder is None:
            raise ValueError("store builder must not be null")
        store_name = store_builder.name
        if source_name in self.node_factories:
            raise TopologyException(f"Processor {source_name} is already added.")
        if processor_name in self.node_factories:
            raise TopologyException(f"Processor {processor_name} is already added.")
        if store_name in self._state_factories:
            raise TopologyException(f"A different StateStore has already been added with the name {store_name}")
        if store_name in self._global_state_builders:
            raise TopologyException(f"A different GlobalStateStore has already been added with the name {store_name}")
        if store_builder.logging_enabled():
            raise TopologyException(f"StateStore {store_name} for global table must not have logging enabled.")
        if source_name == processor_name:
            raise TopologyException("sourceName and processorName must be different.")
        self._validate_topic_not_already_registered(topic)
        self._global_topics.add(topic)
        self.node_factories[source_name] = _SourceNodeFactory(
            source_name, [topic], None, timestamp_extractor, key_deserializer, value_deserializer
        )
        self.node_to_source_topics[source_name] = [topic]
        self._node_grouper.add(source_name)
        factory = _ProcessorNodeFactory(processor_name, (source_name,), state_update_supplier)
        factory.add_state_store(store_name)
        self.node_factories[processor_name] = factory
        self._node_grouper.add(processor_name)
        self._node_grouper.unite(processor_name, source_name)
        self._global_state_builders[store_name] = store_builder
        self._global_stores[store_name] = GlobalStoreSpec(store_name, topic, source_name, processor_name, store_builder)
        self.connect_source_store_and_topic(store_name, topic)
        self._node_groups = None

    def connect_processor_and_state_stores(self, processor_name: str, *state_store_names: str) -> None:
        if processor_name is None:
            raise ValueError("processorName can't be null")
        if not state_store_names:
            raise TopologyException("Must provide at least one state store name.")
        for store_name in state_store_names:
            self._connect_processor_and_state_store(processor_name, store_name)
        self._node_groups = None

    def connect_source_store_and_topic(self, source_store_name: str, topic: str) -> None:
        """The store's changelog is this source topic (a source KTable reuses its input as its changelog)."""
        if source_store_name in self._store_to_changelog_topic:
            raise TopologyException(f"Source store {source_store_name} is already added.")
        self._store_to_changelog_topic[source_store_name] = topic

    def add_internal_topic(self, topic_name: str, properties: InternalTopicProperties | None = None) -> None:
        """Declares a repartition topic by its undecorated name (``<name>-repartition``); the app id is prefixed later."""
        self._internal_topics[topic_name] = properties or InternalTopicProperties()

    def copartition_sources(self, source_names: Iterable[str]) -> None:
        self._copartition_source_groups.append(set(source_names))

    def maybe_update_copartition_source_groups(self, replaced_node_name: str, optimized_node_name: str) -> None:
        """A repartition source merged away by topology.optimization: its co-partition groups name the merged one."""
        for group in self._copartition_source_groups:
            if replaced_node_name in group:
                group.discard(replaced_node_name)
                group.add(optimized_node_name)

    def validate_copartition(self) -> None:
        """Repartition topics with fixed partition counts that must be co-partitioned need the same count (the DSL
        checks this when it builds; topics whose count comes from the cluster are checked by the assignor)."""
        for group in self._copartition_source_groups:
            topics = {t for node in group for t in self.node_to_source_topics.get(node, [])}
            fixed = {t: p.number_of_partitions for t in topics if (p := self._internal_topics.get(t)) and p.number_of_partitions}
            if fixed and set(fixed) == topics and len(set(fixed.values())) > 1:
                listing = ", ".join(f"{t}={n}" for t, n in sorted(fixed.items()))
                raise TopologyException(f"Following topics do not have the same number of partitions: [{{{listing}}}]")

    def _validate_topic_not_already_registered(self, topic: str) -> None:
        if topic in self._source_topic_names or topic in self._global_topics:
            raise TopologyException(f"Topic {topic} has already been registered by another source.")
        for pattern in self.node_to_source_patterns.values():
            if pattern.fullmatch(topic):
                raise TopologyException(f"Topic {topic} matches a Pattern already registered by another source.")

    def _connect_processor_and_state_store(self, processor_name: str, store_name: str) -> None:
        if store_name in self._global_state_builders:
            raise TopologyException(
                f"Global StateStore {store_name} can be used by a Processor without being specified; it should not be explicitly passed."
            )
        factory = self._state_factories.get(store_name)
        if factory is None:
            raise TopologyException(f"StateStore {store_name} is not added yet.")
        node = self.node_factories.get(processor_name)
        if node is None:
            raise TopologyException(f"Processor {processor_name} is not added yet.")
        if factory.users:
            self._node_grouper.unite(factory.users[0], processor_name)
        if processor_name not in factory.users:
            factory.users.append(processor_name)
        if not isinstance(node, _ProcessorNodeFactory):
            raise TopologyException(f"cannot connect a state store {store_name} to a source node or a sink node.")
        node.add_state_store(store_name)

    # --- what the runtime reads -------------------------------------------------------------------------------

    def node_groups(self) -> dict[int, list[str]]:
        """Connected components of nodes, numbered in the order their first node was added (as Java)."""
        if self._node_groups is None:
            groups: dict[int, list[str]] = {}
            by_root: dict[str, list[str]] = {}
            for name in self.node_factories:
                root = self._node_grouper.root(name)
                group = by_root.get(root)
                if group is None:
                    group = by_root[root] = []
                    groups[len(groups)] = group
                group.append(name)
            self._node_groups = groups
        return self._node_groups

    def _is_global_source(self, name: str) -> bool:
        factory = self.node_factories.get(name)
        return isinstance(factory, _SourceNodeFactory) and len(factory.topics) == 1 and factory.topics[0] in self._global_topics

    def _is_global_group(self, nodes: list[str]) -> bool:
        return any(self._is_global_source(n) for n in nodes)

    def subtopologies(self) -> dict[int, list[str]]:
        """The node groups that make tasks: those with source topics, globals excluded. Ids may have gaps."""
        return {gid: nodes for gid, nodes in self.node_groups().items() if not self._is_global_group(nodes) and self._group_sources(nodes)}

    def _group_sources(self, nodes: list[str]) -> list[str]:
        topics: list[str] = []
        for node in nodes:
            factory = self.node_factories[node]
            if not isinstance(factory, _SourceNodeFactory):
                continue
            names = factory.topics if factory.pattern is None else self._pattern_topics(factory)
            for topic in names:
                if topic not in self._global_topics:
                    topics.append(self._maybe_decorate(topic))
        return topics

    def _pattern_topics(self, factory: _SourceNodeFactory) -> list[str]:
        assert factory.pattern is not None
        matched = []
        for topic in sorted(self._subscription_updates):
            owner = self._topic_to_pattern.get(topic)
            if owner is factory.pattern:
                matched.append(topic)
            elif owner is None and factory.pattern.fullmatch(topic):
                self._topic_to_pattern[topic] = factory.pattern
                matched.append(topic)
            elif owner is not None and factory.pattern.fullmatch(topic):
                raise TopologyException(
                    f"Topic {topic} is already matched for another regex pattern {owner.pattern} and hence cannot be matched "
                    f"to this regex pattern {factory.pattern.pattern} any more."
                )
        return matched

    def source_topics(self, subtopology_id: int) -> list[str]:
        """The subtopology's input topics (repartition topics with the application id prefixed), sorted."""
        return sorted(set(self._group_sources(self.node_groups()[subtopology_id])))

    def sink_topics(self, subtopology_id: int) -> list[str]:
        out = {self._maybe_decorate(self.node_to_sink_topic[n]) for n in self.node_groups()[subtopology_id] if n in self.node_to_sink_topic}
        return sorted(out)

    def all_source_topics(self) -> list[str]:
        """Every non-global input topic (what the main consumer subscribes to), sorted."""
        out: set[str] = set()
        for gid in self.subtopologies():
            out.update(self.source_topics(gid))
        return sorted(out)

    def source_patterns(self) -> list[re.Pattern[str]]:
        return list(self.node_to_source_patterns.values())

    def uses_pattern_subscription(self) -> bool:
        return bool(self.node_to_source_patterns)

    def update_subscribed_topics(self, topics: Iterable[str]) -> None:
        """Tells pattern sources which existing topics they match (from metadata or an assignment)."""
        self._subscription_updates = set(topics)

    def repartition_topics(self) -> dict[str, int | None]:
        """Decorated repartition topic -> its fixed partition count, or None (as many as the upstream sources)."""
        self._require_application_id()
        return {self._maybe_decorate(t): p.number_of_partitions for t, p in self._internal_topics.items()}

    def repartition_topic_configs(self) -> dict[str, InternalTopicConfig]:
        return {name: InternalTopicConfig(name, "repartition", number_of_partitions=n) for name, n in self.repartition_topics().items()}

    def changelog_topics(self) -> dict[str, str]:
        """Store name -> its changelog topic (``<application.id>-<store>-changelog``, or the reused source topic)."""
        app = self._require_application_id()
        out: dict[str, str] = {}
        for name, factory in self._state_factories.items():
            explicit = self._store_to_changelog_topic.get(name)
            if explicit is not None:
                out[name] = self._maybe_decorate(explicit)
            elif factory.logging_enabled():
                out[name] = store_changelog_topic(app, name)
        return out

    def changelog_topic_configs(self) -> dict[str, InternalTopicConfig]:
        """Changelog topic -> how to create it; source topics reused as changelogs are not created, so not listed."""
        out: dict[str, InternalTopicConfig] = {}
        for store, topic in self.changelog_topics().items():
            if store in self._store_to_changelog_topic:
                continue
            factory = self._state_factories[store]
            retention = factory.retention_period()
            out[topic] = InternalTopicConfig(topic, "changelog", retention is not None, retention, factory.log_config())
        return out

    def changelog_topics_for(self, subtopology_id: int) -> dict[str, str]:
        """Store name -> changelog topic for the stores this subtopology's tasks own."""
        nodes = set(self.node_groups()[subtopology_id])
        all_changelogs = self.changelog_topics()
        return {s: all_changelogs[s] for s, f in self._state_factories.items() if s in all_changelogs and nodes.intersection(f.users)}

    def stores_for(self, subtopology_id: int) -> list[str]:
        nodes = set(self.node_groups()[subtopology_id])
        return [s for s, f in self._state_factories.items() if nodes.intersection(f.users)]

    def copartition_groups(self) -> list[set[str]]:
        """Sets of (decorated) topics that must have the same partition count, merged transitively."""
        groups: list[set[str]] = []
        for source_group in self._copartition_source_groups:
            topics = {self._maybe_decorate(t) for node in source_group for t in self.node_to_source_topics.get(node, [])}
            merged = [g for g in groups if g & topics]
            for g in merged:
                topics |= g
                groups.remove(g)
            groups.append(topics)
        return groups

    def global_stores(self) -> dict[str, GlobalStoreSpec]:
        return dict(self._global_stores)

    def global_topics(self) -> set[str]:
        return set(self._global_topics)

    def state_store_names(self) -> list[str]:
        return list(self._state_factories) + list(self._global_state_builders)

    def state_store_builder(self, name: str) -> StoreBuilder[Any]:
        factory = self._state_factories.get(name)
        return factory.builder if factory is not None else self._global_state_builders[name]

    def offset_reset_for(self, topic: str) -> AutoOffsetReset | None:
        """The source's own reset policy for ``topic``, if it set one (else the consumer's auto.offset.reset)."""
        plain = self._undecorate(topic)
        if plain in self._earliest_reset or any(p.fullmatch(topic) for p in self._earliest_reset_patterns):
            return AutoOffsetReset.EARLIEST
        if plain in self._latest_reset or any(p.fullmatch(topic) for p in self._latest_reset_patterns):
            return AutoOffsetReset.LATEST
        return None

    def build(self, subtopology_id: int) -> ProcessorTopology:
        """Fresh nodes for one task of the subtopology, wired parent -> child in topological order."""
        return self._build(set(self.node_groups()[subtopology_id]))

    def build_global_state_topology(self) -> ProcessorTopology | None:
        nodes: set[str] = set()
        for group in self.node_groups().values():
            if self._is_global_group(group):
                nodes.update(group)
        return self._build(nodes) if nodes else None

    def _build(self, node_group: set[str]) -> ProcessorTopology:
        self._require_application_id()
        built: dict[str, ProcessorNode] = {}
        sources: dict[str, SourceNode] = {}
        sinks: dict[str, SinkNode] = {}
        stores: dict[str, StoreBuilder[Any]] = {}
        global_names: set[str] = set()
        repartition: set[str] = set()
        for name, factory in self.node_factories.items():
            if name not in node_group:
                continue
            node = factory.build()
            built[name] = node
            if isinstance(factory, _SourceNodeFactory):
                assert isinstance(node, SourceNode)
                topics = factory.topics if factory.pattern is None else self._pattern_topics(factory)
                decorated = [self._maybe_decorate(t) for t in topics]
                node.topics = decorated
                for plain, topic in zip(topics, decorated, strict=True):
                    sources[topic] = node
                    if plain in self._internal_topics:
                        repartition.add(topic)
            else:
                for predecessor in factory.predecessors:
                    built[predecessor].add_child(node)
                if isinstance(factory, _SinkNodeFactory):
                    assert isinstance(node, SinkNode)
                    if factory.topic is not None:
                        topic = self._maybe_decorate(factory.topic)
                        sinks[topic] = node
                        if factory.topic in self._internal_topics:
                            repartition.add(topic)
                elif isinstance(factory, _ProcessorNodeFactory):
                    for store in factory.state_store_names:
                        if store in self._state_factories:
                            stores.setdefault(store, self._state_factories[store].builder)
                        else:
                            global_names.add(store)
        changelogs = self.changelog_topics()
        return ProcessorTopology(
            list(built.values()),
            sources,
            sinks,
            stores,
            global_names,
            {s: changelogs[s] for s in stores if s in changelogs},
            repartition,
        )

    # --- naming -----------------------------------------------------------------------------------------------

    def _require_application_id(self) -> str:
        if self.application_id is None:
            raise TopologyException("there are internal topics and applicationId hasn't been set. Call setApplicationId first")
        return self.application_id

    def _maybe_decorate(self, topic: str) -> str:
        if topic in self._internal_topics:
            return self._require_application_id() + "-" + topic
        return topic

    def _undecorate(self, topic: str) -> str:
        if self.application_id is not None and topic.startswith(self.application_id + "-"):
            plain = topic[len(self.application_id) + 1 :]
            if plain in self._internal_topics:
                return plain
        return topic

    def is_internal_topic(self, plain_name: str) -> bool:
        return plain_name in self._internal_topics


def _reset(value: Any) -> AutoOffsetReset | None:
    """The reset policy from this enum, the DSL's Consumed option (any enum named EARLIEST/LATEST) or a string."""
    if value is None or isinstance(value, AutoOffsetReset):
        return value
    text = value.name if isinstance(value, Enum) else str(value)
    try:
        return AutoOffsetReset(text.lower())
    except ValueError:
        raise TopologyException(f"Unrecognized reset format {value}") from None


def describe(builder: InternalTopologyBuilder) -> TopologyDescription:
    """Java's TopologyDescription of the builder's current nodes (node groups numbered as Java numbers them)."""
    subtopologies: list[Subtopology] = []
    global_stores: list[GlobalStore] = []
    factories = builder.node_factories

    def make(name: str) -> DescribedNode:
        factory = factories[name]
        if isinstance(factory, _SourceNodeFactory):
            return DescribedSource(name, factory.topics if factory.pattern is None else None, factory.pattern)
        if isinstance(factory, _SinkNodeFactory):
            return DescribedSink(name, factory.topic, factory.extractor)
        assert isinstance(factory, _ProcessorNodeFactory)
        return DescribedProcessor(name, factory.state_store_names)

    for group_id, nodes in builder.node_groups().items():
        global_source = next((n for n in nodes if builder._is_global_source(n)), None)
        if global_source is None:
            subtopologies.append(describe_subtopology(group_id, nodes, make, lambda n: factories[n].predecessors))
            continue
        processor_name = next(n for n in nodes if n != global_source)
        processor = factories[processor_name]
        assert isinstance(processor, _ProcessorNodeFactory)
        topic = builder.node_to_source_topics[global_source][0]
        global_stores.append(GlobalStore(global_source, processor_name, processor.state_store_names[0], topic, group_id))
    return TopologyDescription(subtopologies, global_stores)
