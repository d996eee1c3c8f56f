"""Kafka Streams for Python: the DSL, the Processor API, state stores and the runtime that runs them on Strom's client.

The names Java's ``org.apache.kafka.streams`` package gives are here too: ``from strom.streams import KafkaStreams,
StreamsBuilder, Topology, Serdes, Stores``. They are resolved on first use (PEP 562), so importing one part does
not load the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strom.streams.config import StreamsConfig
    from strom.streams.kafka_streams import KafkaStreams
    from strom.streams.kstream.builder import StreamsBuilder
    from strom.streams.processor.api import Record
    from strom.streams.runtime.queryable_stores import QueryableStoreTypes, StoreQueryParameters
    from strom.streams.serdes import Serde, Serdes
    from strom.streams.state.api import KeyValue
    from strom.streams.state.stores import Stores
    from strom.streams.topology import Topology
    from strom.streams.topology_test_driver import TopologyTestDriver
    from strom.streams.windowed import Windowed

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "KafkaStreams": "strom.streams.kafka_streams",
    "StreamsConfig": "strom.streams.config",
    "StreamsBuilder": "strom.streams.kstream.builder",
    "Topology": "strom.streams.topology",
    "TopologyTestDriver": "strom.streams.topology_test_driver",
    "Record": "strom.streams.processor.api",
    "Serde": "strom.streams.serdes",
    "Serdes": "strom.streams.serdes",
    "Stores": "strom.streams.state.stores",
    "KeyValue": "strom.streams.state.api",
    "Windowed": "strom.streams.windowed",
    "QueryableStoreTypes": "strom.streams.runtime.queryable_stores",
    "StoreQueryParameters": "strom.streams.runtime.queryable_stores",
}

__all__ = [
    "KafkaStreams",
    "KeyValue",
    "QueryableStoreTypes",
    "Record",
    "Serde",
    "Serdes",
    "StoreQueryParameters",
    "Stores",
    "StreamsBuilder",
    "StreamsConfig",
    "Topology",
    "TopologyTestDriver",
    "Windowed",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'strom.streams' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
