"""A source task on its thread: poll() the connector, transform, convert, produce, commit offsets (Java's
WorkerSourceTask, at-least-once).

Offsets commit only for records the broker acknowledged: per source partition, the offset of the newest record
whose predecessors are all acknowledged (Java's SubmittedRecords). A commit runs every offset.flush.interval.ms
and when the task stops; a record a transform drops or errors.tolerance=all skips counts as acknowledged.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strom.client.types import RecordMetadata
from strom.connect.api import OffsetStorageReader, SourceRecord, SourceTask, SourceTaskContext
from strom.connect.converters import Converter, HeaderConverter
from strom.connect.errors import ConnectException, RetriableException
from strom.connect.rest.entities import ConnectorTaskId, TargetState
from strom.connect.runtime.errors import RetryWithToleranceOperator, Stage
from strom.connect.runtime.offset_store import OffsetStorageWriter
from strom.connect.runtime.topic_creation import TopicCreation
from strom.connect.runtime.worker_task import TaskStatusListener, WorkerTask
from strom.connect.transforms.chain import TransformationChain

log = logging.getLogger("org.apache.kafka.connect.runtime.WorkerSourceTask")


@dataclass(slots=True)
class SubmittedRecord:
    partition: dict[str, Any] | None
    offset: dict[str, Any] | None
    acked: bool = False


def partition_key(partition: Mapping[str, Any] | None) -> Any:
    """A hashable stand-in for a source partition (its items; JSON when a value is unhashable)."""
    if partition is None:
        return None
    key = tuple(partition.items())
    try:
        hash(key)
    except TypeError:
        return json.dumps(partition, sort_keys=True)
    return key


class SubmittedRecords:
    """Records sent and not yet committed, in send order per source partition."""

    def __init__(self) -> None:
        self._by_partition: dict[Any, deque[SubmittedRecord]] = {}
        self.outstanding = 0

    def submit(self, record: SourceRecord) -> SubmittedRecord:
        submitted = SubmittedRecord(record.source_partition, record.source_offset)
        queue = self._by_partition.get(key := partition_key(record.source_partition))
        if queue is None:
            queue = self._by_partition[key] = deque()
        queue.append(submitted)
        self.outstanding += 1
        return submitted

    def ack(self, submitted: SubmittedRecord) -> None:
        if not submitted.acked:
            submitted.acked = True
            self.outstanding -= 1

    def committable(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """(partition, offset) of each partition's acknowledged prefix, removing that prefix."""
        out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        for queue in self._by_partition.values():
            last: SubmittedRecord | None = None
            while queue and queue[0].acked:
                last = queue.popleft()
            if last is not None and last.partition is not None and last.offset is not None:
                out.append((last.partition, last.offset))
        self._by_partition = {k: q for k, q in self._by_partition.items() if q}
        return out


class _Context(SourceTaskContext):
    def __init__(self, configs: dict[str, str], reader: OffsetStorageReader) -> None:
        self._configs = configs
        self._reader = reader

    def configs(self) -> dict[str, str]:
        return self._configs

    def offset_storage_reader(self) -> OffsetStorageReader:
        return self._reader


class WorkerSourceTask(WorkerTask):
    def __init__(
        self,
        task_id: ConnectorTaskId,
        task: SourceTask,
        task_config: dict[str, str],
        listener: TaskStatusListener,
        target_state: TargetState,
        producer_factory: Callable[[], Any],
        key_converter: Converter,
        value_converter: Converter,
        header_converter: HeaderConverter | None,
        transformation_chain: TransformationChain[SourceRecord],
        retry: RetryWithToleranceOperator,
        offset_reader: OffsetStorageReader,
        offset_writer: OffsetStorageWriter,
        offset_flush_interval_ms: int,
        offset_flush_timeout_ms: int,
        on_topic: Callable[[str], None],
        topic_creation: TopicCreation | None = None,
        admin_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(task_id, listener, target_state)
        self.topic_creation = topic_creation
        self.admin_factory = admin_factory
        self.admin: Any = None
        self.task = task
        self.task_config = task_config
        self.producer_factory = producer_factory
        self.producer: Any = None
        self.key_converter = key_converter
        self.value_converter = value_converter
        self.header_converter = header_converter
        self.chain = transformation_chain
        self.retry = retry
        self.offset_reader = offset_reader
        self.offset_writer = offset_writer
        self.flush_interval = offset_flush_interval_ms / 1000
        self.flush_timeout = offset_flush_timeout_ms / 1000
        self.on_topic = on_topic
        self.submitted = SubmittedRecords()
        self.to_send: deque[SourceRecord] = deque()
        self.producer_error: BaseException | None = None
        self.started = False
        self.records_sent = 0

    def initialize_and_start(self) -> None:
        self.producer = self.producer_factory()
        self.task.initialize(_Context(self.task_config, self.offset_reader))
        self.task.start(self.task_config)
        self.started = True
        log.info("%s Source task finished initialization and start", self)

    def execute(self) -> None:
        next_commit = time.monotonic() + self.flush_interval
        was_paused = False
        while not self.stopping:
            if self.paused:
                was_paused = True
                self.commit_offsets()
                if not self.await_unpaused():
                    break
            if was_paused:
                was_paused = False
                self.report_running()
            if self.producer_error is not None:
                raise ConnectException(
                    f"Unrecoverable exception from producer send callback: {self.producer_error}"
                ) from self.producer_error
            if time.monotonic() >= next_commit:
                self.commit_offsets()
                next_commit = time.monotonic() + self.flush_interval
            if not self.to_send:
                records = self._poll()
                if records:
                    self.to_send.extend(records)
            if self.to_send:
                self.send_records()
            self.producer.poll(0)

    def _poll(self) -> list[SourceRecord] | None:
        try:
            return self.task.poll()
        except RetriableException as exc:
            log.warning("%s failed to poll records from SourceTask. Will retry operation.", self, exc_info=exc)
            return None

    def send_records(self) -> None:
        """Converts and produces the pending records; stops early when the producer's buffer is full."""
        while self.to_send and not self.stopping:
            if not self.send_one(self.to_send[0]):
                return
            self.to_send.popleft()

    def send_one(self, record: SourceRecord) -> bool:
        """Transforms, converts and produces one record (or drops it); False when the producer's buffer is full."""
        try:
            converted = self._convert_fast(record)
        except Exception:  # redone stage by stage, with retries, tolerance and reporting
            converted = self._convert(record)
        if converted is None:  # dropped by a transform or skipped by errors.tolerance=all
            self._commit_record(record, None)
            self.submitted.ack(self.submitted.submit(record))
            return True
        transformed, key, value, headers = converted
        if self.topic_creation is not None and transformed.topic not in self.topic_creation.known:
            if self.admin is None and self.admin_factory is not None:
                self.admin = self.admin_factory()
            self.topic_creation.ensure(transformed.topic, self.admin)
        tracked = self.submitted.submit(record)
        try:
            self.producer.produce(
                transformed.topic,
                value,
                key,
                -1 if transformed.kafka_partition is None else transformed.kafka_partition,
                on_delivery=self._delivered(record, tracked),
                timestamp=transformed.timestamp or 0,
                headers=headers,
            )
        except BufferError:
            self.submitted.outstanding -= 1
            self._unsubmit(record, tracked)
            self.producer.poll(0.1)  # the buffer drains as the broker acknowledges
            return False
        self.on_topic(transformed.topic)
        self.records_sent += 1
        return True

    def _convert_fast(
        self, record: SourceRecord
    ) -> tuple[SourceRecord, bytes | None, bytes | None, list[tuple[str, bytes | None]] | None] | None:
        """Every stage at once: the common case, with no per-stage bookkeeping (an error redoes it in _convert)."""
        if len(record.headers):
            return self._convert(record)
        transformed = self.chain.apply(record) if self.chain.stages else record
        if transformed is None:
            return None
        if len(transformed.headers):
            return self._convert(record)
        topic = transformed.topic
        key = self.key_converter.from_connect_data(topic, transformed.key_schema, transformed.key)
        value = self.value_converter.from_connect_data(topic, transformed.value_schema, transformed.value)
        return transformed, key, value, None

    def _unsubmit(self, record: SourceRecord, tracked: SubmittedRecord) -> None:
        queue = self.submitted._by_partition.get(partition_key(record.source_partition))
        if queue and queue[-1] is tracked:
            queue.pop()

    def _convert(
        self, record: SourceRecord
    ) -> tuple[SourceRecord, bytes | None, bytes | None, list[tuple[str, bytes | None]] | None] | None:
        retry = self.retry
        transformed = retry.execute(lambda: self.chain.apply(record), Stage.TRANSFORMATION, self.chain, source_record=record)
        if transformed is None:
            return None
        topic = transformed.topic
        headers: list[tuple[str, bytes | None]] | None = None
        if len(transformed.headers):
            hc = self.header_converter
            if hc is not None:
                converted_headers = retry.execute(
                    lambda: [(h.key, hc.from_connect_header(topic, h.key, h.schema, h.value)) for h in transformed.headers],
                    Stage.HEADER_CONVERTER,
                    hc,
                    source_record=record,
                )
                if converted_headers is None:
                    return None
                headers = converted_headers
        key_failed = []

        def convert_key() -> bytes | None:
            return self.key_converter.from_connect_data(topic, transformed.key_schema, transformed.key)

        key = retry.execute(convert_key, Stage.KEY_CONVERTER, self.key_converter, source_record=record)
        if key is None and transformed.key is not None:
            key_failed.append(True)
        value = retry.execute(
            lambda: self.value_converter.from_connect_data(topic, transformed.value_schema, transformed.value),
            Stage.VALUE_CONVERTER,
            self.value_converter,
            source_record=record,
        )
        if key_failed or (value is None and transformed.value is not None):
            return None  # a converter failed and errors.tolerance=all skipped the record
        return transformed, key, value, headers

    def _delivered(self, record: SourceRecord, tracked: SubmittedRecord) -> Callable[[Any, Any], None]:
        def callback(err: Any, msg: Any) -> None:
            if err is not None:
                log.error("%s failed to send record to %s: %s", self, record.topic, err)
                if self.producer_error is None:
                    self.producer_error = err if isinstance(err, BaseException) else ConnectException(str(err))
                return
            self.submitted.ack(tracked)
            metadata = RecordMetadata(msg.topic(), msg.partition(), msg.offset(), msg.timestamp()[1])
            self._commit_record(record, metadata)

        return callback

    def _commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        try:
            self.task.commit_record(record, metadata)
        except Exception:
            log.error("%s Exception thrown while calling task.commit_record()", self, exc_info=True)

    def commit_offsets(self) -> bool:
        """Stores the offsets of the acknowledged records; then tells the task (SourceTask.commit)."""
        if self.producer is None:
            return False
        self.producer.poll(0)
        for partition, offset in self.submitted.committable():
            self.offset_writer.offset(partition, offset)
        if not self.offset_writer.begin_flush():
            self._task_commit()
            return True
        try:
            self.offset_writer.do_flush()
        except Exception:
            log.error("%s Failed to flush offsets to storage", self, exc_info=True)
            self.offset_writer.cancel_flush()
            return False
        log.debug("%s Finished commitOffsets successfully", self)
        self._task_commit()
        return True

    def _task_commit(self) -> None:
        try:
            self.task.commit()
        except Exception:
            log.error("%s Exception thrown while calling task.commit()", self, exc_info=True)

    def close(self) -> None:
        if self.started:
            try:
                self.task.stop()
            except Exception:
                log.warning("%s Could not stop task", self, exc_info=True)
        if self.producer is not None:
            if not self.failed and not self.cancelled:
                self.producer.flush(self.flush_timeout)  # the acknowledgements of what was sent, then its offsets
                self.commit_offsets()
            self.producer.close(self.flush_timeout)
        if self.admin is not None and hasattr(self.admin, "close"):
            self.admin.close()
        self.retry.close()
        self.chain.close()
