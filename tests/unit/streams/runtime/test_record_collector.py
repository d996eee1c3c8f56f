"""RecordCollectorImpl's sends through a real producer (no broker: the records wait for metadata)."""

from __future__ import annotations

import gc
import types

from strom import Producer
from strom.streams.errors import DefaultProductionExceptionHandler
from strom.streams.processor.api import TaskId
from strom.streams.runtime.record_collector import RecordCollectorImpl


def test_sends_share_one_delivery_callback() -> None:
    """The producer keeps every record's callback until its report is served (the next flush, up to
    commit.interval.ms later): a bound method made per send would be a tracked object per record, and the
    cyclic collector walked hundreds of thousands of them (about a sixth of a word count's CPU)."""
    producer = Producer({"bootstrap.servers": "127.0.0.1:1", "socket.connection.setup.timeout.ms": 1000})
    try:
        collector = RecordCollectorImpl(producer, TaskId(0, 0), DefaultProductionExceptionHandler())
        for i in range(500):
            collector.send_bytes("t", b"k%d" % i, b"v", None, 1000 + i, None)
        callbacks = [o for o in gc.get_objects() if isinstance(o, types.MethodType) and o.__self__ is collector]
        assert len(callbacks) <= 1, f"{len(callbacks)} bound methods of the collector are alive after 500 sends"
    finally:
        producer.close(0)
