"""Record builders shared by the transform tests."""

from __future__ import annotations

from typing import Any

from strom.connect.api import SinkRecord, SourceRecord
from strom.connect.data import Schema


def source(
    value: Any = None,
    value_schema: Schema | None = None,
    key: Any = None,
    key_schema: Schema | None = None,
    topic: str = "test",
    partition: int | None = 0,
    timestamp: int | None = None,
) -> SourceRecord:
    return SourceRecord({"p": 1}, {"o": 1}, topic, partition, key_schema, key, value_schema, value, timestamp)


def sink(
    value: Any = None,
    value_schema: Schema | None = None,
    key: Any = None,
    key_schema: Schema | None = None,
    topic: str = "test",
    partition: int = 0,
    offset: int = 42,
    timestamp: int | None = None,
) -> SinkRecord:
    return SinkRecord(topic, partition, key_schema, key, value_schema, value, offset, timestamp)
