"""Topology: the Processor API's graph of sources, processors, sinks and state stores (Java's
org.apache.kafka.streams.Topology). ``describe()`` prints what Java prints for the same topology.
"""

from __future__ import annotations

import re
from typing import Any

from strom.streams.processor.api import StreamPartitioner
from strom.streams.processor.internal_topology_builder import (
    AutoOffsetReset as _AutoOffsetReset,
)
from strom.streams.processor.internal_topology_builder import (
    InternalTopologyBuilder,
    SupplierLike,
    TopicExtractorLike,
    describe,
)
from strom.streams.processor.topology_description import TopologyDescription
from strom.streams.serdes import Deserializer, Serializer
from strom.streams.state.api import StoreBuilder
from strom.streams.timestamps import TimestampExtractor

AutoOffsetReset = _AutoOffsetReset

__all__ = ["AutoOffsetReset", "Topology", "TopologyDescription"]


class Topology:
    """A graph of processing nodes; add nodes parents-first, then run it with ``KafkaStreams(topology, config)``."""

    AutoOffsetReset = _AutoOffsetReset

    def __init__(self, internal_topology_builder: InternalTopologyBuilder | None = None) -> None:
        self.internal_topology_builder = internal_topology_builder or InternalTopologyBuilder()

    def add_source(
        self,
        name: str,
        *topics: str,
        pattern: re.Pattern[str] | str | None = None,
        key_deserializer: Deserializer[Any] | None = None,
        value_deserializer: Deserializer[Any] | None = None,
        timestamp_extractor: TimestampExtractor | None = None,
        offset_reset: _AutoOffsetReset | str | None = None,
    ) -> Topology:
        """A source reading ``topics`` (or every topic matching ``pattern``); default serdes come from the config."""
        if pattern is not None and topics:
            raise ValueError("Either topics or pattern must be given, not both")
        self.internal_topology_builder.add_source(
            offset_reset, name, timestamp_extractor, key_deserializer, value_deserializer, topics, pattern
        )
        return self

    def add_processor(self, name: str, supplier: SupplierLike, *parent_names: str) -> Topology:
        """A processor fed by ``parent_names``; the supplier's ``stores()`` are added and connected to it."""
        self.internal_topology_builder.add_processor(name, supplier, *parent_names)
        return self

    def add_sink(
        self,
        name: str,
        topic_or_extractor: str | TopicExtractorLike,
        *parent_names: str,
        key_serializer: Serializer[Any] | None = None,
        value_serializer: Serializer[Any] | None = None,
        partitioner: StreamPartitioner[Any, Any] | None = None,
    ) -> Topology:
        """A sink writing to a topic, or to the topic a TopicNameExtractor (or function) picks per record."""
        self.internal_topology_builder.add_sink(name, topic_or_extractor, key_serializer, value_serializer, partitioner, *parent_names)
        return self

    def add_state_store(self, store_builder: StoreBuilder[Any], *processor_names: str) -> Topology:
        """A state store, connected to the named processors (more can be connected later)."""
        self.internal_topology_builder.add_state_store(store_builder, *processor_names)
        return self

    def add_global_store(
        self,
        store_builder: StoreBuilder[Any],
        source_name: str,
        topic: str,
        processor_name: str,
        state_update_supplier: SupplierLike,
        key_deserializer: Deserializer[Any] | None = None,
        value_deserializer: Deserializer[Any] | None = None,
        timestamp_extractor: TimestampExtractor | None = None,
    ) -> Topology:
        """A global store (logging disabled) loaded from all partitions of ``topic`` by ``state_update_supplier``."""
        self.internal_topology_builder.add_global_store(
            store_builder,
            source_name,
            timestamp_extractor,
            key_deserializer,
            value_deserializer,
            topic,
            processor_name,
            state_update_supplier,
        )
        return self

    def add_read_only_state_store(
        self,
        store_builder: StoreBuilder[Any],
        source_name: str,
        topic: str,
        processor_name: str,
        state_update_supplier: SupplierLike,
        key_deserializer: Deserializer[Any] | None = None,
        value_deserializer: Deserializer[Any] | None = None,
        timestamp_extractor: TimestampExtractor | None = None,
    ) -> Topology:
        """A store kept by ``state_update_supplier`` from ``topic``, which is also its changelog (KIP-813): no
        changelog topic is created, and the store is restored from the topic itself."""
        store_builder.with_logging_disabled()
        builder = self.internal_topology_builder
        builder.add_source(None, source_name, timestamp_extractor, key_deserializer, value_deserializer, (topic,))
        builder.add_processor(processor_name, state_update_supplier, source_name)
        builder.add_state_store(store_builder, processor_name)
        builder.connect_source_store_and_topic(store_builder.name, topic)
        return self

    def connect_processor_and_state_stores(self, processor_name: str, *state_store_names: str) -> Topology:
        self.internal_topology_builder.connect_processor_and_state_stores(processor_name, *state_store_names)
        return self

    def describe(self) -> TopologyDescription:
        return describe(self.internal_topology_builder)

    def __str__(self) -> str:
        return str(self.describe())
