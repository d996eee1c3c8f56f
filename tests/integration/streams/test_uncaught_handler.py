"""The uncaught-exception handler's answers: REPLACE_THREAD starts a new stream thread that takes the failed one's
tasks over (the record is processed again, at-least-once), SHUTDOWN_APPLICATION stops every instance of the
application (the request travels in the group's subscription, the leader tells everyone)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.errors import StreamThreadExceptionResponse
from strom.streams.kafka_streams import KafkaStreams, State
from strom.streams.processor.api import Processor, ProcessorContext, Record
from strom.streams.serdes import Serdes
from strom.streams.topology import Topology
from strom.testing.broker import BrokerProcess

pytestmark = pytest.mark.slow


class FailOnce(Processor[Any, Any, Any, Any]):
    failures = 0

    def init(self, context: ProcessorContext) -> None:
        self.context = context

    def process(self, record: Record[Any, Any]) -> None:
        if record.value == "boom" and FailOnce.failures == 0:
            FailOnce.failures += 1
            raise RuntimeError("boom")
        self.context.forward(record)


class AlwaysFail(Processor[Any, Any, Any, Any]):
    def process(self, record: Record[Any, Any]) -> None:
        raise RuntimeError("always")


def _topology(processor: Any, source: str, sink: str) -> Topology:
    s = Serdes.String()
    t = Topology()
    t.add_source("src", source, key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("p", processor, "src")
    t.add_sink("out", sink, "p", key_serializer=s.serializer(), value_serializer=s.serializer())
    return t


def _wait(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_replace_thread_and_shutdown_application(tmp_path: Path) -> None:
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        topics = [NewTopic("in-a", 1, 1), NewTopic("out-a", 1, 1), NewTopic("in-b", 2, 1), NewTopic("out-b", 2, 1)]
        for f in admin.create_topics(topics).values():
            f.result(30)
        admin.close()
        p = Producer({"bootstrap.servers": broker.bootstrap})
        for v in ("one", "boom", "two"):
            p.produce("in-a", v.encode(), key=b"k")
        p.flush(30)
        config = {"bootstrap.servers": broker.bootstrap, "commit.interval.ms": 100}
        replaced = KafkaStreams(_topology(FailOnce, "in-a", "out-a"), {**config, "application.id": "ra", "state.dir": str(tmp_path / "a")})
        replaced.set_uncaught_exception_handler(lambda exc: StreamThreadExceptionResponse.REPLACE_THREAD)
        replaced.start()
        consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "check-a", "auto.offset.reset": "earliest"})
        consumer.subscribe(["out-a"])
        values: list[str] = []
        deadline = time.monotonic() + 60
        while "two" not in values and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                values.append(msg.value().decode())
        consumer.close()
        assert "boom" in values and "two" in values and FailOnce.failures == 1
        assert [t.name.rsplit("-", 1)[1] for t in replaced.threads] == ["2"]  # thread 1 died, thread 2 replaced it
        assert replaced.state() == State.RUNNING
        replaced.close(30)
        # two instances; one fails and asks the whole application to shut down
        p.produce("in-b", b"x", key=b"k")
        p.flush(30)
        healthy = KafkaStreams(_topology(FailOnce, "in-b", "out-b"), {**config, "application.id": "rb", "state.dir": str(tmp_path / "b1")})
        healthy.start()
        _wait(lambda: healthy.state() == State.RUNNING)
        failing = KafkaStreams(
            _topology(AlwaysFail, "in-b", "out-b"), {**config, "application.id": "rb", "state.dir": str(tmp_path / "b2")}
        )
        failing.set_uncaught_exception_handler(lambda exc: StreamThreadExceptionResponse.SHUTDOWN_APPLICATION)
        failing.start()
        _wait(lambda: failing.state() in (State.RUNNING, State.PENDING_ERROR, State.ERROR))
        for partition in (0, 1):  # whichever task the failing instance got, it sees a record and fails
            p.produce("in-b", b"y", key=b"k", partition=partition)
        p.flush(30)
        try:
            _wait(lambda: failing.state() == State.ERROR and healthy.state() == State.ERROR, timeout=90)
        finally:
            healthy.close(30)
            failing.close(30)
