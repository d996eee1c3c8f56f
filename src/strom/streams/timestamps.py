"""Timestamp extractors: which time a record counts at (stream time, windows, grace periods all follow it).

As Java's org.apache.kafka.streams.processor.TimestampExtractor and its implementations; the default fails on a
negative (missing) record timestamp.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from strom.client.types import Headers
from strom.streams.errors import StreamsException

TIMESTAMP_TYPES = {0: "NoTimestampType", 1: "CreateTime", 2: "LogAppendTime"}


@dataclass(slots=True)
class ConsumerRecordView:
    """A consumed record after its key and value were deserialized, as the extractor sees it (one per record, so
    not frozen: a frozen dataclass's constructor is several times slower)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: Any = None
    value: Any = None
    headers: Headers | None = None
    timestamp_type: int = 1

    def __str__(self) -> str:
        kind = TIMESTAMP_TYPES.get(self.timestamp_type, "NoTimestampType")
        return (
            f"ConsumerRecord(topic = {self.topic}, partition = {self.partition}, offset = {self.offset}, "
            f"{kind} = {self.timestamp}, headers = {self.headers or []}, key = {self.key}, value = {self.value})"
        )


class TimestampExtractor:
    """Gives a record its timestamp; ``partition_time`` is the largest timestamp seen on the partition (-1 if none)."""

    def extract(self, record: ConsumerRecordView, partition_time: int) -> int:
        raise NotImplementedError


class ExtractRecordMetadataTimestamp(TimestampExtractor):
    """The record's own timestamp (CreateTime or LogAppendTime); a negative one goes to ``on_invalid_timestamp``."""

    def extract(self, record: ConsumerRecordView, partition_time: int) -> int:
        ts = record.timestamp
        if ts < 0:
            return self.on_invalid_timestamp(record, ts, partition_time)
        return ts

    def on_invalid_timestamp(self, record: ConsumerRecordView, record_timestamp: int, partition_time: int) -> int:
        raise NotImplementedError


class FailOnInvalidTimestamp(ExtractRecordMetadataTimestamp):
    """The default: a record without a valid timestamp stops processing with Java's explanation."""

    _log = logging.getLogger("org.apache.kafka.streams.processor.FailOnInvalidTimestamp")

    def on_invalid_timestamp(self, record: ConsumerRecordView, record_timestamp: int, partition_time: int) -> int:
        message = (
            f"Input record {record} has invalid (negative) timestamp. Possibly because a pre-0.10 producer client was used "
            "to write this record to Kafka without embedding a timestamp, or because the input topic was created before "
            "upgrading the Kafka cluster to 0.10+. Use a different TimestampExtractor to process this data."
        )
        self._log.error(message)
        raise StreamsException(message)


class LogAndSkipOnInvalidTimestamp(ExtractRecordMetadataTimestamp):
    """Logs and drops a record without a valid timestamp (the task skips records whose timestamp is negative)."""

    _log = logging.getLogger("org.apache.kafka.streams.processor.LogAndSkipOnInvalidTimestamp")

    def on_invalid_timestamp(self, record: ConsumerRecordView, record_timestamp: int, partition_time: int) -> int:
        self._log.warning("Input record %s will be dropped because it has an invalid (negative) timestamp.", record)
        return record_timestamp


class UsePartitionTimeOnInvalidTimestamp(ExtractRecordMetadataTimestamp):
    """Gives a record without a valid timestamp the partition's current time (fails if there is none yet)."""

    def on_invalid_timestamp(self, record: ConsumerRecordView, record_timestamp: int, partition_time: int) -> int:
        if partition_time < 0:
            raise StreamsException(f"Could not infer new timestamp for input record {record} because partition time is unknown.")
        return partition_time


class WallclockTimestampExtractor(TimestampExtractor):
    """Processing time: the wall clock when the record is read."""

    def extract(self, record: ConsumerRecordView, partition_time: int) -> int:
        return time.time_ns() // 1_000_000


_BY_JAVA_NAME: dict[str, type[TimestampExtractor]] = {
    "FailOnInvalidTimestamp": FailOnInvalidTimestamp,
    "LogAndSkipOnInvalidTimestamp": LogAndSkipOnInvalidTimestamp,
    "UsePartitionTimeOnInvalidTimestamp": UsePartitionTimeOnInvalidTimestamp,
    "WallclockTimestampExtractor": WallclockTimestampExtractor,
}


def timestamp_extractor_from_config(value: Any) -> TimestampExtractor:
    """An extractor from ``default.timestamp.extractor``: an instance, a class, or Java's class name."""
    if isinstance(value, TimestampExtractor):
        return value
    if isinstance(value, type) and issubclass(value, TimestampExtractor):
        return value()
    if isinstance(value, str):
        cls = _BY_JAVA_NAME.get(value.rsplit(".", 1)[-1])
        if cls is not None:
            return cls()
    raise ValueError(f"Not a timestamp extractor: {value!r}")
