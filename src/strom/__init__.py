"""Strom: a Kafka-compatible event-streaming platform in Python.

The client API mirrors confluent-kafka-python: `from strom import Producer, Consumer, AdminClient`.
The asyncio classes they wrap are in `strom.aio`.

The names are resolved on first use (PEP 562), so importing any part of Strom (the broker, the storage
layer) does not load the client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from strom.version import __version__

if TYPE_CHECKING:
    from strom.client.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
    from strom.client.config import ConfigError
    from strom.client.sync_consumer import Consumer
    from strom.client.sync_producer import Producer
    from strom.client.types import (
        OFFSET_BEGINNING,
        OFFSET_END,
        OFFSET_INVALID,
        OFFSET_STORED,
        TIMESTAMP_CREATE_TIME,
        TIMESTAMP_LOG_APPEND_TIME,
        TIMESTAMP_NOT_AVAILABLE,
        Message,
        RecordMetadata,
        TopicPartition,
    )
    from strom.protocol.errors import ErrorCode, KafkaError, KafkaException

# public name -> (module, attribute in it)
_LAZY: dict[str, tuple[str, str]] = {
    "AdminClient": ("strom.client.admin", "AdminClient"),
    "ConfigResource": ("strom.client.admin", "ConfigResource"),
    "NewPartitions": ("strom.client.admin", "NewPartitions"),
    "NewTopic": ("strom.client.admin", "NewTopic"),
    "ConfigError": ("strom.client.config", "ConfigError"),
    "Consumer": ("strom.client.sync_consumer", "Consumer"),
    "Producer": ("strom.client.sync_producer", "Producer"),
    "ErrorCode": ("strom.protocol.errors", "ErrorCode"),
    "KafkaError": ("strom.protocol.errors", "KafkaError"),
    "KafkaException": ("strom.protocol.errors", "KafkaException"),
    **{
        name: ("strom.client.types", name)
        for name in (
            "OFFSET_BEGINNING",
            "OFFSET_END",
            "OFFSET_INVALID",
            "OFFSET_STORED",
            "TIMESTAMP_CREATE_TIME",
            "TIMESTAMP_LOG_APPEND_TIME",
            "TIMESTAMP_NOT_AVAILABLE",
            "Message",
            "RecordMetadata",
            "TopicPartition",
        )
    },
}

__all__ = [
    "AdminClient",
    "ConfigError",
    "ConfigResource",
    "Consumer",
    "ErrorCode",
    "KafkaError",
    "KafkaException",
    "Message",
    "NewPartitions",
    "NewTopic",
    "OFFSET_BEGINNING",
    "OFFSET_END",
    "OFFSET_INVALID",
    "OFFSET_STORED",
    "Producer",
    "RecordMetadata",
    "TIMESTAMP_CREATE_TIME",
    "TIMESTAMP_LOG_APPEND_TIME",
    "TIMESTAMP_NOT_AVAILABLE",
    "TopicPartition",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Imports the module that defines a public name on first access and caches the name here."""
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'strom' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
