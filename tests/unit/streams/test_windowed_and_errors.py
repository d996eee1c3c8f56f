"""Windows, windowed keys, task ids, records, timestamp extractors and the exception handlers."""

from __future__ import annotations

import logging

import pytest

from strom.client.types import Message
from strom.streams.errors import (
    DefaultProductionExceptionHandler,
    DeserializationHandlerResponse,
    ErrorHandlerContext,
    LogAndContinueExceptionHandler,
    LogAndFailExceptionHandler,
    ProducerRecordView,
    ProductionExceptionHandlerResponse,
    StreamsException,
    TaskMigratedException,
    TopologyException,
)
from strom.streams.processor.api import FixedKeyRecord, Record
from strom.streams.processor.task_id import TaskId, TaskIdFormatException
from strom.streams.timestamps import (
    ConsumerRecordView,
    FailOnInvalidTimestamp,
    LogAndSkipOnInvalidTimestamp,
    UsePartitionTimeOnInvalidTimestamp,
    WallclockTimestampExtractor,
    timestamp_extractor_from_config,
)
from strom.streams.windowed import SessionWindow, TimeWindow, UnlimitedWindow, Windowed


def test_windows() -> None:
    assert TimeWindow(0, 10).overlap(TimeWindow(9, 20))
    assert not TimeWindow(0, 10).overlap(TimeWindow(10, 20))
    assert SessionWindow(0, 10).overlap(SessionWindow(10, 20))
    assert not SessionWindow(0, 10).overlap(SessionWindow(11, 20))
    assert UnlimitedWindow(5).overlap(UnlimitedWindow(100))
    with pytest.raises(ValueError, match="different type"):
        TimeWindow(0, 10).overlap(SessionWindow(0, 10))
    with pytest.raises(ValueError, match="cannot be negative"):
        TimeWindow(-1, 10)
    with pytest.raises(ValueError, match="must be greater"):
        TimeWindow(5, 5)
    with pytest.raises(ValueError, match="smaller than window startMs"):
        SessionWindow(5, 4)
    assert SessionWindow(5, 5).end_ms == 5
    assert TimeWindow(0, 10) == TimeWindow(0, 10) != SessionWindow(0, 10)
    assert repr(TimeWindow(1, 2)) == "Window{startMs=1, endMs=2}"


def test_windowed_key() -> None:
    w = Windowed("alice", TimeWindow(0, 60000))
    assert str(w) == "[alice@0/60000]"
    assert w == Windowed("alice", TimeWindow(0, 60000))
    assert len({w, Windowed("alice", TimeWindow(0, 60000))}) == 1
    assert str(Windowed(None, SessionWindow(3, 3))) == "[null@3/3]"


def test_task_id() -> None:
    assert str(TaskId(0, 1)) == "0_1"
    assert TaskId.parse("12_3") == TaskId(12, 3)
    assert sorted([TaskId(1, 0), TaskId(0, 2), TaskId(0, 1)]) == [TaskId(0, 1), TaskId(0, 2), TaskId(1, 0)]
    with pytest.raises(TaskIdFormatException, match="cannot be parsed correctly from x_1"):
        TaskId.parse("x_1")


def test_record_is_immutable_by_with() -> None:
    r = Record("k", "v", 5, [("h", b"1")])
    r2 = r.with_value(7).with_key(1).with_timestamp(9)
    assert (r.key, r.value, r.timestamp) == ("k", "v", 5)
    assert (r2.key, r2.value, r2.timestamp, r2.headers) == (1, 7, 9, [("h", b"1")])
    with pytest.raises(StreamsException, match="Malformed Record"):
        Record("k", "v", -1)
    r2.headers.append(("added", None))
    assert r.headers == [("h", b"1")]
    fixed = FixedKeyRecord("k", 1, 0).with_value(2)
    assert isinstance(fixed, FixedKeyRecord) and fixed.key == "k" and fixed.value == 2


def test_exception_texts() -> None:
    assert str(TopologyException("x")) == "Invalid topology: x"
    assert str(TopologyException()) == "Invalid topology"
    assert str(TaskMigratedException("fenced")).endswith("; it means all tasks belonging to this thread should be migrated.")


def _rec(ts: int) -> ConsumerRecordView:
    return ConsumerRecordView("t", 0, 42, ts, "k", "v")


def test_timestamp_extractors() -> None:
    assert FailOnInvalidTimestamp().extract(_rec(7), -1) == 7
    with pytest.raises(StreamsException, match="has invalid \\(negative\\) timestamp"):
        FailOnInvalidTimestamp().extract(_rec(-1), 5)
    assert LogAndSkipOnInvalidTimestamp().extract(_rec(-1), 5) == -1
    assert UsePartitionTimeOnInvalidTimestamp().extract(_rec(-1), 5) == 5
    with pytest.raises(StreamsException, match="partition time is unknown"):
        UsePartitionTimeOnInvalidTimestamp().extract(_rec(-1), -1)
    assert WallclockTimestampExtractor().extract(_rec(1), -1) > 1_600_000_000_000
    assert isinstance(
        timestamp_extractor_from_config("org.apache.kafka.streams.processor.WallclockTimestampExtractor"), WallclockTimestampExtractor
    )


def test_handlers(caplog: pytest.LogCaptureFixture) -> None:
    ctx = ErrorHandlerContext("t", 0, 42, None, "KSTREAM-SOURCE-0000000000", TaskId(0, 0), 1)
    msg = Message("t", 0, 42, b"k", b"v")
    with caplog.at_level(logging.WARNING):
        assert LogAndContinueExceptionHandler().handle(ctx, msg, ValueError("bad")) is DeserializationHandlerResponse.CONTINUE
        assert LogAndFailExceptionHandler().handle(ctx, msg, ValueError("bad")) is DeserializationHandlerResponse.FAIL
    assert "taskId: 0_0, topic: t, partition: 0, offset: 42" in caplog.text
    rec = ProducerRecordView("out", None, b"k", b"v", 1)

    class Retriable(Exception):
        def retriable(self) -> bool:
            return True

    assert DefaultProductionExceptionHandler().handle(ctx, rec, Retriable()) is ProductionExceptionHandlerResponse.RETRY
    assert DefaultProductionExceptionHandler().handle(ctx, rec, ValueError()) is ProductionExceptionHandlerResponse.FAIL
