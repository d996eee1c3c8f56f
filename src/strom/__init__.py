"""Strom: a Kafka-compatible event-streaming platform in Python.

The client API mirrors confluent-kafka-python: `from strom import Producer, Consumer, AdminClient`.
The asyncio classes they wrap are in `strom.aio`.
"""

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
from strom.protocol.errors import ErrorCode, KafkaError

KafkaException = KafkaError

__version__ = "0.1.0"

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
]
