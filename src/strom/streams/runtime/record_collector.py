"""RecordCollectorImpl: a task's sink and changelog records go out through the thread's producer.

Serialization errors and failed sends go to the production exception handler (CONTINUE drops the record, FAIL
stops the thread at the next flush). The offsets the broker acknowledged for changelog partitions are kept: the
task checkpoints them, and a restore starts from there.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from strom.client.types import Message
from strom.protocol.errors import KafkaError
from strom.protocol.types import TP
from strom.streams.errors import (
    ErrorHandlerContext,
    ProducerRecordView,
    ProductionExceptionHandler,
    ProductionExceptionHandlerResponse,
    SerializationExceptionOrigin,
    StreamsException,
    TaskMigratedException,
)
from strom.streams.processor.api import TaskId

log = logging.getLogger("org.apache.kafka.streams.processor.internals.RecordCollectorImpl")

# produce errors that mean another instance took over this thread's transactional id (a zombie was fenced)
_FENCED = {"PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "_FENCED", "INVALID_PRODUCER_ID_MAPPING"}


def is_fenced(exc: BaseException) -> bool:
    if isinstance(exc, KafkaError):
        name = exc.name() if callable(getattr(exc, "name", None)) else ""
        return name in _FENCED or "fenced" in str(exc).lower()
    return "fenced" in str(exc).lower()


class RecordCollectorImpl:
    """One per task; the producer is shared by the thread's tasks (one transactional producer per thread)."""

    def __init__(self, producer: Any, task_id: TaskId, handler: ProductionExceptionHandler) -> None:
        self._producer = producer
        self._task_id = task_id
        self._handler = handler
        self._offsets: dict[TP, int] = {}
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self.dropped = 0
        self._partition_counts: dict[str, int] = {}
        # one bound method for every send: the producer keeps each record's callback until its report is served
        # (at the next flush), and a bound method made per send is a tracked object the cyclic collector walks
        self._on_delivery = self._delivered

    # -- RecordCollector (the sink nodes' side) -------------------------------------------------------
    def send(
        self,
        topic: str,
        key: Any,
        value: Any,
        headers: Any,
        timestamp: int,
        key_serializer: Any,
        value_serializer: Any,
        processor_node_id: str,
        context: Any,
        partitioner: Any,
    ) -> None:
        try:
            key_bytes = key_serializer.serialize(topic, key, headers)
        except Exception as exc:
            self._serialization_failed(
                topic, key, value, timestamp, headers, exc, SerializationExceptionOrigin.KEY, processor_node_id, context
            )
            return
        try:
            value_bytes = value_serializer.serialize(topic, value, headers)
        except Exception as exc:
            self._serialization_failed(
                topic, key, value, timestamp, headers, exc, SerializationExceptionOrigin.VALUE, processor_node_id, context
            )
            return
        if partitioner is not None:
            n = self._partitions_of(topic)
            chosen = partitioner.partitions(topic, key, value, n)
            if chosen is not None:
                for p in sorted(chosen):
                    self.send_bytes(topic, key_bytes, value_bytes, headers, timestamp, p)
                return
        if self._error is not None:
            raise self._error
        try:  # send_bytes' common case, inlined: a sink sends a record per record it gets
            self._producer.produce(topic, value_bytes, key_bytes, -1, self._on_delivery, 0, headers or None, create_time=timestamp)
        except BufferError:
            self.send_bytes(topic, key_bytes, value_bytes, headers, timestamp, None)

    def _partitions_of(self, topic: str) -> int:
        n = self._partition_counts.get(topic)
        if n is None:
            md = self._producer.list_topics(topic, timeout=30)
            n = self._partition_counts[topic] = len(md.topics[topic].partitions)
        return n

    def _serialization_failed(
        self,
        topic: str,
        key: Any,
        value: Any,
        timestamp: int,
        headers: Any,
        exc: Exception,
        origin: SerializationExceptionOrigin,
        node: str,
        context: Any,
    ) -> None:
        meta = context.record_metadata() if context is not None else None
        err_ctx = ErrorHandlerContext(
            meta.topic if meta else None,
            meta.partition if meta else -1,
            meta.offset if meta else -1,
            headers,
            node,
            self._task_id,
            timestamp,
        )
        record = ProducerRecordView(topic, None, key, value, timestamp, headers)
        response = self._handler.handle_serialization_exception(err_ctx, record, exc, origin)
        if response == ProductionExceptionHandlerResponse.CONTINUE:
            log.warning("stream-task [%s] Skipping record for topic %s due to serialization error: %s", self._task_id, topic, exc)
            self.dropped += 1
            return
        raise StreamsException(
            f"Error encountered sending record to topic {topic} for task {self._task_id} due to: {exc!r}", exc, self._task_id
        )

    # -- bytes: sinks and changelogs ------------------------------------------------------------------
    def send_bytes(self, topic: str, key: bytes | None, value: bytes | None, headers: Any, timestamp: int, partition: int | None) -> None:
        if self._error is not None:
            raise self._error
        part = -1 if partition is None else partition
        while True:
            try:
                self._producer.produce(topic, value, key, part, self._on_delivery, 0, headers or None, create_time=timestamp)
                return
            except BufferError:
                self._producer.poll(0.05)  # the producer's queue is full: let it drain

    def _delivered(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            tp = (msg.topic() or "", msg.partition() or 0)
            offset = msg.offset() or 0
            with self._lock:
                if offset >= self._offsets.get(tp, -1):
                    self._offsets[tp] = offset
            return
        if self._error is not None:
            return
        if is_fenced(err):
            self._error = TaskMigratedException(f"Producer got fenced trying to send a record to topic {msg.topic()}", err)
            return
        record = ProducerRecordView(msg.topic() or "", msg.partition(), msg.key(), msg.value(), None, None)
        ctx = ErrorHandlerContext(None, -1, -1, None, None, self._task_id, -1)
        response = self._handler.handle(ctx, record, err)
        if response == ProductionExceptionHandlerResponse.CONTINUE:
            log.warning("stream-task [%s] Error sending record to topic %s; the record is dropped: %s", self._task_id, msg.topic(), err)
            self.dropped += 1
            return
        self._error = StreamsException(
            f"Error encountered sending record to topic {msg.topic()} for task {self._task_id} due to:\n{err}\n"
            "Exception handler choose to FAIL the processing, no more records would be sent.",
            err,
            self._task_id,
        )

    def check_error(self) -> None:
        if self._error is not None:
            raise self._error

    def flush(self) -> None:
        """Waits for every send of the thread's producer; raises the first failure the handler did not forgive."""
        remaining = self._producer.flush(120)
        self.check_error()
        if remaining:
            raise StreamsException(f"Timed out flushing the producer of task {self._task_id}: {remaining} records unsent")

    def offsets(self) -> dict[TP, int]:
        """Last acknowledged offset per partition this task wrote (changelogs are checkpointed from it)."""
        with self._lock:
            return dict(self._offsets)
