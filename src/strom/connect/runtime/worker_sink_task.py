"""A sink task on its thread: consume as group `connect-<name>`, convert, transform, put(), commit offsets
(Java's WorkerSinkTask).

Offsets commit every offset.flush.interval.ms (and on request, on revocation and on stop) as whatever the task's
pre_commit() returns (by default flush() then everything put so far). On a rebalance, revoked partitions are
committed and close()d, new ones open()ed; a RetriableException from put() pauses consumption and redelivers the
same batch after context.timeout() ms.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future
from typing import Any

from strom.client.types import TopicPartition
from strom.connect.api import ErrantRecordReporter, OffsetAndMetadata, SinkRecord, SinkTask, SinkTaskContext, TimestampType
from strom.connect.converters import Converter, HeaderConverter
from strom.connect.data import SchemaAndValue
from strom.connect.errors import ConnectException, RetriableException
from strom.connect.headers import ConnectHeaders
from strom.connect.rest.entities import ConnectorTaskId, TargetState
from strom.connect.runtime.errors import ConsumedRecord, ProcessingContext, RetryWithToleranceOperator, Stage
from strom.connect.runtime.worker_task import TaskStatusListener, WorkerTask
from strom.connect.transforms.chain import TransformationChain

log = logging.getLogger("org.apache.kafka.connect.runtime.WorkerSinkTask")


class _Reporter(ErrantRecordReporter):
    """Hands a record the task could not write to the error handling (DLQ, log) of errors.tolerance=all."""

    def __init__(self, worker_task: WorkerSinkTask) -> None:
        self.worker_task = worker_task

    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        wt = self.worker_task
        consumed = wt.consumed_by_offset.get((record.original_topic, record.original_kafka_partition, record.original_kafka_offset))
        context = ProcessingContext(wt.id.connector, wt.id.task, Stage.TASK_PUT, type(wt.task).__qualname__, error, consumed)
        fut: Future[None] = Future()
        try:
            for reporter in wt.retry.reporters:
                reporter.report(context)
            if wt.retry.tolerance.value == "none":
                raise ConnectException("Tolerance exceeded in error handler") from error
            fut.set_result(None)
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


class _Context(SinkTaskContext):
    def __init__(self, worker_task: WorkerSinkTask) -> None:
        self.wt = worker_task

    def configs(self) -> dict[str, str]:
        return self.wt.task_config

    def offset(self, offsets: Mapping[TopicPartition, int] | TopicPartition, offset: int | None = None) -> None:
        if isinstance(offsets, TopicPartition):
            assert offset is not None
            self.wt.rewinds[offsets] = offset
        else:
            self.wt.rewinds.update(offsets)

    def timeout(self, timeout_ms: int) -> None:
        self.wt.retry_timeout_ms = timeout_ms

    def assignment(self) -> set[TopicPartition]:
        return set(self.wt.assignment)

    def pause(self, *partitions: TopicPartition) -> None:
        self.wt.paused_by_task.update(partitions)
        self.wt.consumer.pause(list(partitions))

    def resume(self, *partitions: TopicPartition) -> None:
        self.wt.paused_by_task.difference_update(partitions)
        if not self.wt.paused:
            self.wt.consumer.resume(list(partitions))

    def request_commit(self) -> None:
        self.wt.commit_requested = True

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return _Reporter(self.wt) if self.wt.retry.reporters or self.wt.retry.tolerance.value == "all" else None


class WorkerSinkTask(WorkerTask):
    def __init__(
        self,
        task_id: ConnectorTaskId,
        task: SinkTask,
        task_config: dict[str, str],
        listener: TaskStatusListener,
        target_state: TargetState,
        consumer_factory: Callable[[], Any],
        key_converter: Converter,
        value_converter: Converter,
        header_converter: HeaderConverter | None,
        transformation_chain: TransformationChain[SinkRecord],
        retry: RetryWithToleranceOperator,
        offset_flush_interval_ms: int,
        max_poll_records: int,
        on_topic: Callable[[str], None],
    ) -> None:
        super().__init__(task_id, listener, target_state)
        self.task = task
        self.task_config = task_config
        self.consumer_factory = consumer_factory
        self.consumer: Any = None
        self.key_converter = key_converter
        self.value_converter = value_converter
        self.header_converter = header_converter
        self.chain = transformation_chain
        self.retry = retry
        self.flush_interval = offset_flush_interval_ms / 1000
        self.max_poll_records = max_poll_records
        self.on_topic = on_topic
        self.assignment: set[TopicPartition] = set()
        self.current_offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        self.last_committed: dict[TopicPartition, OffsetAndMetadata] = {}
        self.rewinds: dict[TopicPartition, int] = {}
        self.paused_by_task: set[TopicPartition] = set()
        self.retry_timeout_ms = -1
        self.commit_requested = False
        self.batch: list[SinkRecord] = []
        self.batch_offsets: dict[TopicPartition, int] = {}
        self.consumed_by_offset: dict[tuple[str | None, int | None, int | None], ConsumedRecord] = {}
        self.started = False
        self._consumer_paused = False
        self.closing = False  # the consumer's close() revokes: the task was already closed and stopped by then
        self.records_put = 0

    # -- start ------------------------------------------------------------------------------------------

    def initialize_and_start(self) -> None:
        self.consumer = self.consumer_factory()
        self.task.initialize(_Context(self))
        self.task.start(self.task_config)
        self.started = True
        topics = self.task_config.get("topics", "").strip()
        if topics:
            subscription = [t.strip() for t in topics.split(",") if t.strip()]
            log.debug("%s Initializing and starting task for topics %s", self, subscription)
        else:
            regex = self.task_config.get("topics.regex", "")
            re.compile(regex)
            subscription = ["^" + regex if not regex.startswith("^") else regex]
        self.consumer.subscribe(subscription, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)
        log.info("%s Sink task finished initialization and start", self)

    # -- rebalance callbacks (run on this thread, inside consume()) --------------------------------------

    def _on_assign(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        if not partitions:
            return
        log.debug("%s Partitions assigned %s", self, partitions)
        committed = {tp: tp.offset for tp in consumer.committed(partitions, timeout=60)}
        for tp in partitions:
            plain = TopicPartition(tp.topic, tp.partition)
            self.assignment.add(plain)
            offset = committed.get(plain, -1)
            if offset is not None and offset >= 0:
                self.current_offsets[plain] = OffsetAndMetadata(offset)
                self.last_committed[plain] = OffsetAndMetadata(offset)
        self.task.open([TopicPartition(tp.topic, tp.partition) for tp in partitions])
        if self.paused or self._consumer_paused:
            consumer.pause(list(partitions))
        self._rewind()

    def _on_revoke(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        if not partitions or self.closing:
            return
        log.debug("%s Partitions revoked %s", self, partitions)
        revoked = {TopicPartition(tp.topic, tp.partition) for tp in partitions}
        if not self.failed:
            self._deliver_batch_if_any()
            self.commit_offsets(only=revoked)
        self._close_partitions(revoked)

    def _on_lost(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        if self.closing:
            return
        self._close_partitions({TopicPartition(tp.topic, tp.partition) for tp in partitions})

    def _close_partitions(self, partitions: set[TopicPartition]) -> None:
        try:
            self.task.close(list(partitions))
        finally:
            for tp in partitions:
                self.assignment.discard(tp)
                self.current_offsets.pop(tp, None)
                self.last_committed.pop(tp, None)
                self.paused_by_task.discard(tp)
            self.batch = [
                r for r in self.batch if TopicPartition(r.original_topic or r.topic, r.original_kafka_partition or 0) not in partitions
            ]

    def _rewind(self) -> None:
        """Applies the positions the task asked for through context.offset()."""
        if not self.rewinds:
            return
        rewinds, self.rewinds = self.rewinds, {}
        for tp, offset in rewinds.items():
            plain = TopicPartition(tp.topic, tp.partition)
            if plain not in self.assignment:
                continue
            log.debug("%s Rewind %s to offset %d", self, plain, offset)
            self.consumer.seek(TopicPartition(tp.topic, tp.partition, offset))
            self.current_offsets[plain] = OffsetAndMetadata(offset)
            self.last_committed.pop(plain, None)

    # -- the loop ---------------------------------------------------------------------------------------

    def execute(self) -> None:
        next_commit = time.monotonic() + self.flush_interval
        paused_for_target = False
        while not self.stopping:
            if self.paused and not paused_for_target:
                self.consumer.pause(list(self.assignment))
                paused_for_target = True
                self._report_paused()
            elif not self.paused and paused_for_target:
                paused_for_target = False
                self.consumer.resume([tp for tp in self.assignment if tp not in self.paused_by_task])
                self.report_running()
            if time.monotonic() >= next_commit or self.commit_requested:
                self.commit_requested = False
                self.commit_offsets()
                next_commit = time.monotonic() + self.flush_interval
            if self.batch and not paused_for_target:  # redelivery after a RetriableException
                self._deliver()
                continue
            timeout = 1.0 if self.retry_timeout_ms < 0 else self.retry_timeout_ms / 1000
            msgs = self.consumer.consume(self.max_poll_records, min(timeout, 1.0))
            self._rewind()
            if not msgs:
                continue
            self._convert_messages(msgs)
            self._deliver()

    def _report_paused(self) -> None:
        from strom.connect.rest.entities import State

        self._report(State.PAUSED)

    def _convert_messages(self, msgs: list[Any]) -> None:
        """Each message converted, transformed and batched. The common case (no headers, no errant record
        reporter) runs inline with everything looked up once per poll: converters, the partition's
        TopicPartition, the chain; any error redoes that record stage by stage in _convert."""
        partitions: dict[tuple[str, int], TopicPartition | None] = {}
        key_to_connect = self.key_converter.to_connect_data
        value_to_connect = self.value_converter.to_connect_data
        chain = self.chain if self.chain.stages else None
        fast = not self.retry.reporters
        topics: set[str] = set()
        try:
            self._convert_loop(msgs, partitions, key_to_connect, value_to_connect, chain, fast, topics)
        finally:
            for topic in topics:
                self.on_topic(topic)

    def _convert_loop(
        self,
        msgs: list[Any],
        partitions: dict[tuple[str, int], TopicPartition | None],
        key_to_connect: Callable[[str, bytes | None], SchemaAndValue],
        value_to_connect: Callable[[str, bytes | None], SchemaAndValue],
        chain: TransformationChain[SinkRecord] | None,
        fast: bool,
        topics: set[str],
    ) -> None:
        assignment, batch_offsets, batch = self.assignment, self.batch_offsets, self.batch
        for msg in msgs:
            if msg.error() is not None:
                err = msg.error()
                if getattr(err, "retriable", lambda: False)() or "PARTITION_EOF" in str(err):
                    continue
                raise ConnectException(f"Consumer error: {err}")
            topic, partition = msg.topic(), msg.partition()
            try:
                tp = partitions[(topic, partition)]
            except KeyError:
                tp = TopicPartition(topic, partition)
                tp = partitions[(topic, partition)] = tp if tp in assignment else None
            if tp is None:
                continue
            offset = msg.offset()
            batch_offsets[tp] = offset + 1
            if not fast or msg.headers():  # headers to convert, or a record the errant reporter may need
                record = self._convert(msg)
                if record is not None:
                    batch.append(record)
                continue
            try:
                key = key_to_connect(topic, msg.key())
                value = value_to_connect(topic, msg.value())
                ts_type, ts = msg.timestamp()
                record = SinkRecord(
                    topic,
                    partition,
                    key.schema,
                    key.value,
                    value.schema,
                    value.value,
                    offset,
                    ts if ts >= 0 else None,
                    _TIMESTAMP_TYPES.get(ts_type, TimestampType.NO_TIMESTAMP_TYPE),
                    None,
                )
                topics.add(topic)
                if chain is not None:
                    record = chain.apply(record)
            except Exception:  # redone stage by stage, with retries, tolerance and reporting
                record = self._convert(msg)
            if record is not None:
                batch.append(record)

    def _convert(self, msg: Any) -> SinkRecord | None:
        topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
        ts_type, ts = msg.timestamp()
        raw_headers = msg.headers() or []
        consumed = ConsumedRecord(topic, partition, offset, msg.key(), msg.value(), ts if ts >= 0 else None, list(raw_headers))
        retry = self.retry
        key = retry.execute(lambda: self.key_converter.to_connect_data(topic, msg.key()), Stage.KEY_CONVERTER, self.key_converter, consumed)
        if key is None:
            return None
        value = retry.execute(
            lambda: self.value_converter.to_connect_data(topic, msg.value()), Stage.VALUE_CONVERTER, self.value_converter, consumed
        )
        if value is None:
            return None
        headers = ConnectHeaders()
        if raw_headers:
            hc = self.header_converter
            if hc is not None:
                converted = retry.execute(
                    lambda: [(k, hc.to_connect_header(topic, k, v)) for k, v in raw_headers], Stage.HEADER_CONVERTER, hc, consumed
                )
                if converted is None:
                    return None
                for k, sv in converted:
                    headers.add(k, sv.value, sv.schema)
            else:
                for k, v in raw_headers:
                    headers.add_bytes(k, v) if v is not None else headers.add(k, None)
        record = SinkRecord(
            topic,
            partition,
            key.schema,
            key.value,
            value.schema,
            value.value,
            offset,
            ts if ts >= 0 else None,
            _timestamp_type(ts_type),
            headers,
        )
        transformed = retry.execute(lambda: self.chain.apply(record), Stage.TRANSFORMATION, self.chain, consumed)
        if transformed is not None:
            if retry.reporters:
                self.consumed_by_offset[(topic, partition, offset)] = consumed
            self.on_topic(topic)
        return transformed

    def _deliver_batch_if_any(self) -> None:
        if self.batch:
            try:
                self._deliver()
            except ConnectException:
                raise

    def _deliver(self) -> None:
        """put() the batch; on RetriableException keep it and pause consumption until the retry."""
        batch = self.batch
        try:
            if batch:
                self.task.put(list(batch))
        except RetriableException as exc:
            log.error("%s RetriableException from SinkTask: %s", self, exc)
            if not self._consumer_paused:
                self.consumer.pause(list(self.assignment))
                self._consumer_paused = True
            self.sleep(max(self.retry_timeout_ms, 0) / 1000 if self.retry_timeout_ms > 0 else 0.1)
            return
        except Exception as exc:
            log.error(
                "%s Task threw an uncaught and unrecoverable exception. "
                "Task is being killed and will not recover until manually restarted.",
                self,
            )
            raise ConnectException("Exiting WorkerSinkTask due to unrecoverable exception.") from exc
        self.records_put += len(batch)
        self.batch = []
        self.consumed_by_offset.clear()
        for tp, offset in self.batch_offsets.items():
            if tp in self.assignment:
                self.current_offsets[tp] = OffsetAndMetadata(offset)
        self.batch_offsets.clear()
        if self._consumer_paused:
            self._consumer_paused = False
            if not self.paused:
                self.consumer.resume([tp for tp in self.assignment if tp not in self.paused_by_task])

    def commit_offsets(self, only: Collection[TopicPartition] | None = None) -> None:
        """pre_commit() (flush) then a synchronous commit of what it returns for the assigned partitions."""
        current = {tp: om for tp, om in self.current_offsets.items() if only is None or tp in only}
        if not current:
            return
        try:
            committable = self.task.pre_commit(dict(current))
        except Exception:
            log.error("%s Offset commit failed, rewinding to last committed offsets", self, exc_info=True)
            for tp, om in self.last_committed.items():
                if only is None or tp in only:
                    self.consumer.seek(TopicPartition(tp.topic, tp.partition, om.offset))
                    self.current_offsets[tp] = om
            return
        to_commit = {
            tp: om
            for tp, om in committable.items()
            if tp in self.assignment and (only is None or tp in only) and self.last_committed.get(tp) != om
        }
        if not to_commit:
            return
        try:
            self.consumer.commit(
                offsets=[TopicPartition(tp.topic, tp.partition, om.offset, om.metadata or None) for tp, om in to_commit.items()],
                asynchronous=False,
            )
        except Exception:
            log.warning("%s Commit of offsets failed", self, exc_info=True)
            return
        self.last_committed.update(to_commit)
        log.debug("%s Committed offsets %s", self, to_commit)

    def close(self) -> None:
        self.closing = True
        try:
            if self.consumer is not None and self.started and not self.failed and not self.cancelled:
                try:
                    self.commit_offsets()
                except Exception:
                    log.warning("%s Final offset commit failed", self, exc_info=True)
                if self.assignment:
                    self.task.close(list(self.assignment))
        finally:
            if self.started:
                try:
                    self.task.stop()
                except Exception:
                    log.warning("%s Could not stop task", self, exc_info=True)
            if self.consumer is not None:
                self.consumer.close()
            self.retry.close()
            self.chain.close()


_TIMESTAMP_TYPES = {t.value: t for t in TimestampType}


def _timestamp_type(kind: int) -> TimestampType:
    return _TIMESTAMP_TYPES.get(kind, TimestampType.NO_TIMESTAMP_TYPE)
