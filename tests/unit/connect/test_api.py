"""Connect's records, headers and connector/task base classes."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pytest

from strom.connect.api import (
    Config,
    ConfigDef,
    ConnectHeaders,
    Connector,
    SinkRecord,
    SinkTask,
    SourceRecord,
    Task,
    TimestampType,
    TopicPartition,
)
from strom.connect.config import Importance, Type
from strom.connect.data import DataException, Schema


def test_source_record_new_record_keeps_offsets_and_copies_headers() -> None:
    record = SourceRecord({"file": "a"}, {"position": 3}, "t", 0, None, None, Schema.STRING_SCHEMA, "v", 10)
    record.headers.add_string("h", "1")
    copy = record.new_record("u", 1, Schema.STRING_SCHEMA, "k", Schema.STRING_SCHEMA, "v2", 11)
    assert (copy.source_partition, copy.source_offset, copy.topic, copy.key, copy.value) == ({"file": "a"}, {"position": 3}, "u", "k", "v2")
    copy.headers.add_string("h2", "2")
    assert record.headers.size() == 1 and copy.headers.size() == 2  # the copy's headers are its own
    assert record == SourceRecord(
        {"file": "a"}, {"position": 3}, "t", 0, None, None, Schema.STRING_SCHEMA, "v", 10, record.headers.duplicate()
    )
    assert record != copy


def test_sink_record_keeps_kafka_offset_and_original_coordinates() -> None:
    record = SinkRecord("t", 2, None, b"k", None, b"v", 42, 1000, TimestampType.CREATE_TIME)
    routed = record.new_record("t-routed", 0, None, b"k", None, b"v", 1000)
    assert (routed.kafka_offset, routed.timestamp_type) == (42, TimestampType.CREATE_TIME)
    assert (routed.original_topic, routed.original_kafka_partition, routed.original_kafka_offset) == ("t", 2, 42)
    assert TimestampType.LOG_APPEND_TIME.display_name == "LogAppendTime"
    assert "kafkaOffset=42" in repr(record)


def test_headers() -> None:
    headers = ConnectHeaders().add_string("a", "1").add_int("b", 2).add_string("a", "3")
    assert [h.value for h in headers.all_with_name("a")] == ["1", "3"]
    last = headers.last_with_name("a")
    assert last is not None and last.value == "3"
    assert [h.key for h in headers.duplicate().retain_latest()] == ["b", "a"]
    assert [h.key for h in headers.remove("a")] == ["b"]
    with pytest.raises(DataException):
        ConnectHeaders().add("x", "not an int", Schema.INT32_SCHEMA)


class _Task(SinkTask):
    def __init__(self) -> None:
        self.flushed: list[Mapping[TopicPartition, Any]] = []

    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        pass

    def put(self, records: Collection[SinkRecord]) -> None:
        pass

    def stop(self) -> None:
        pass

    def flush(self, current_offsets: Mapping[TopicPartition, Any]) -> None:
        self.flushed.append(current_offsets)


class _Connector(Connector):
    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        pass

    def task_class(self) -> type[Task]:
        return _Task

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{} for _ in range(max_tasks)]

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return ConfigDef().define("file", Type.STRING, importance=Importance.HIGH, documentation="the file")


def test_default_pre_commit_flushes_and_validate_uses_config_def() -> None:
    task = _Task()
    offsets = {TopicPartition("t", 0): 5}
    assert task.pre_commit(offsets) == offsets and task.flushed == [offsets]  # type: ignore[arg-type]
    result = _Connector().validate({})
    assert isinstance(result, Config)
    assert [(v.name, v.error_messages) for v in result.config_values] == [
        ("file", ['Missing required configuration "file" which has no default value.'])
    ]


def test_transaction_boundary_from_property() -> None:
    from strom.connect.api import ConfigException, SourceTask, TransactionBoundary

    assert TransactionBoundary.from_property(" Connector ") is TransactionBoundary.CONNECTOR
    assert SourceTask.TRANSACTION_BOUNDARY_CONFIG == "transaction.boundary"
    with pytest.raises(ConfigException, match="String must be one of \\(case insensitive\\): POLL, INTERVAL, CONNECTOR"):
        TransactionBoundary.from_property("batch")
