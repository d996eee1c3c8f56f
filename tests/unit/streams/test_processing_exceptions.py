"""processing.exception.handler (KIP-1033): what a processor throws is handled at its node; FAIL (the default)
stops with FailedProcessingException, CONTINUE drops the record at that node and its siblings still get it."""

from __future__ import annotations

from typing import Any

import pytest

from strom.streams.errors import (
    ErrorHandlerContext,
    FailedProcessingException,
    ProcessingExceptionHandler,
    ProcessingHandlerResponse,
)
from strom.streams.processor.api import ContextualProcessor, Record
from strom.streams.serdes import Serdes
from strom.streams.topology import Topology
from strom.streams.topology_test_driver import TopologyTestDriver


class Forward(ContextualProcessor[str, str, str, str]):
    def process(self, record: Record[str, str]) -> None:
        self.context().forward(record)


class Fragile(ContextualProcessor[str, str, str, str]):
    def process(self, record: Record[str, str]) -> None:
        if record.value == "boom":
            raise ValueError("cannot take it")
        self.context().forward(record.with_value(record.value + "!"))


def topology() -> Topology:
    s = Serdes.String()
    t = Topology()
    t.add_source("in", "in", key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("fan-out", Forward, "in")
    t.add_processor("fragile", Fragile, "fan-out")
    t.add_processor("sturdy", Forward, "fan-out")
    t.add_sink("out-fragile", "out-fragile", "fragile", key_serializer=s.serializer(), value_serializer=s.serializer())
    t.add_sink("out-sturdy", "out-sturdy", "sturdy", key_serializer=s.serializer(), value_serializer=s.serializer())
    return t


def run(config: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    s = Serdes.String()
    with TopologyTestDriver(topology(), {"application.id": "errors", **config}) as driver:
        source = driver.create_input_topic("in", s.serializer(), s.serializer())
        for value in ("a", "boom", "b"):
            source.pipe_input("k", value, timestamp=1)
        fragile = driver.create_output_topic("out-fragile", s.deserializer(), s.deserializer())
        sturdy = driver.create_output_topic("out-sturdy", s.deserializer(), s.deserializer())
        return [r.value for r in fragile.read_records_to_list()], [r.value for r in sturdy.read_records_to_list()]


def test_fail_is_the_default() -> None:
    with pytest.raises(FailedProcessingException, match="processor fragile: cannot take it") as info:
        run({})
    assert info.value.failed_processor_node_name == "fragile"
    assert isinstance(info.value.__cause__, ValueError)


def test_continue_drops_the_record_at_the_failing_node_only() -> None:
    fragile, sturdy = run({"processing.exception.handler": "org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler"})
    assert fragile == ["a!", "b!"]
    assert sturdy == ["a", "boom", "b"]


def test_handler_sees_where_it_failed() -> None:
    seen: list[tuple[ErrorHandlerContext, Any, BaseException]] = []

    class Recording(ProcessingExceptionHandler):
        def handle(self, context: ErrorHandlerContext, record: Any, exception: BaseException) -> ProcessingHandlerResponse:
            seen.append((context, record, exception))
            return ProcessingHandlerResponse.CONTINUE

    run({"processing.exception.handler": Recording})
    [(context, record, exception)] = seen
    assert (context.processor_node_id, context.topic, context.offset, str(context.task_id)) == ("fragile", "in", 1, "0_0")
    assert record.value == "boom" and isinstance(exception, ValueError)
