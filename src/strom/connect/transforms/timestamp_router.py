"""TimestampRouter: rename the topic after the record timestamp, ``topic.format`` (default
``${topic}-${timestamp}``) with ``${timestamp}`` written in ``timestamp.format`` (Java's SimpleDateFormat
pattern in UTC, default ``yyyyMMdd``) -- the usual way to send records to daily tables or indexes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strom.connect.api import ConfigDef, ConfigException, Transformation
from strom.connect.config import Importance, Type
from strom.connect.errors import DataException
from strom.connect.transforms._base import R
from strom.connect.transforms._java import SimpleDateFormat

__all__ = ["TimestampRouter"]

CONFIG_DEF = (
    ConfigDef()
    .define(
        "topic.format",
        Type.STRING,
        "${topic}-${timestamp}",
        Importance.HIGH,
        "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for "
        "the topic and timestamp, respectively.",
    )
    .define(
        "timestamp.format",
        Type.STRING,
        "yyyyMMdd",
        Importance.HIGH,
        "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.",
    )
)


class TimestampRouter(Transformation[Any]):
    """Kafka's org.apache.kafka.connect.transforms.TimestampRouter."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.TimestampRouter"

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.topic_format: str = config["topic.format"]
        try:
            self.timestamp_format = SimpleDateFormat(config["timestamp.format"])
        except ValueError as e:
            raise ConfigException.of(str(e)) from None

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        if record.timestamp is None:
            raise DataException(f"Timestamp missing on record: {record}")
        formatted = self.timestamp_format.format_millis(record.timestamp)
        topic = self.topic_format.replace("${topic}", record.topic).replace("${timestamp}", formatted)
        result: R = record.new_record(
            topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
        )
        return result
