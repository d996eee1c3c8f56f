"""StreamTask: one subtopology on one partition group.

Per input partition a record queue; the next record processed is the head with the smallest timestamp (Java's
PartitionGroup), stream time is the largest timestamp seen, stream-time punctuators fire as it passes their
schedule and wall-clock ones by the clock. A commit flushes the stores (their caches forward what they held) and
hands back the offsets to commit: the next offset of each input partition, with Java's TopicPartitionMetadata
(the partition time) as the commit metadata; a task that starts reads it back, so stream time resumes there.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Any

from strom.client.types import Message
from strom.protocol.types import TP
from strom.streams.errors import (
    DeserializationExceptionHandler,
    DeserializationHandlerResponse,
    ErrorHandlerContext,
    FailedProcessingException,
    StreamsException,
    TaskMigratedException,
)
from strom.streams.processor.api import PunctuationType, Record, TaskId
from strom.streams.processor.nodes import ProcessorTopology, SourceNode
from strom.streams.runtime.processor_context_impl import ProcessorContextImpl
from strom.streams.runtime.processor_state_manager import ProcessorStateManager, build_stores, init_stores
from strom.streams.runtime.record_collector import RecordCollectorImpl
from strom.streams.runtime.state_directory import StateDirectory
from strom.streams.runtime.topic_partition_metadata import decode as decode_metadata
from strom.streams.runtime.topic_partition_metadata import encode as encode_metadata
from strom.streams.state.api import ProcessorRecordContext
from strom.streams.timestamps import (
    ConsumerRecordView,
    FailOnInvalidTimestamp,
    LogAndSkipOnInvalidTimestamp,
    TimestampExtractor,
    UsePartitionTimeOnInvalidTimestamp,
)

log = logging.getLogger("org.apache.kafka.streams.processor.internals.StreamTask")

# ProcessorRecordContext(*fields) without the named tuple's Python-level __new__: one is made per record
_record_context = tuple.__new__

# extractors whose answer for a record with a valid (non-negative) timestamp is that timestamp
_RECORD_TIMESTAMP_EXTRACTORS = (FailOnInvalidTimestamp, LogAndSkipOnInvalidTimestamp, UsePartitionTimeOnInvalidTimestamp)


class TaskState(Enum):
    CREATED = "CREATED"
    RESTORING = "RESTORING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


class StreamTask:
    def __init__(
        self,
        task_id: TaskId,
        partitions: list[TP],
        topology: ProcessorTopology,
        application_id: str,
        configs: dict[str, Any],
        directory: StateDirectory,
        collector: RecordCollectorImpl,
        cache: Any,
        key_serde: Any,
        value_serde: Any,
        extractor: TimestampExtractor,
        deserialization_handler: DeserializationExceptionHandler,
        eos: bool,
    ) -> None:
        self.id = task_id
        self.partitions = sorted(partitions)
        self.topology = topology
        self.collector = collector
        self.eos = eos
        self._extractor = extractor
        self._deser_handler = deserialization_handler
        self.state = TaskState.CREATED
        self.queues: dict[TP, deque[Message]] = {tp: deque() for tp in self.partitions}
        self.partition_time: dict[TP, int] = {tp: -1 for tp in self.partitions}
        self.stream_time = -1
        self.consumed: dict[TP, int] = {}  # next offset per input partition, to commit
        self.committed: dict[TP, int] = {}
        self.processor_metadata: dict[str, int] = {}  # Java's ProcessorMetadata, carried through the commits
        self.skipped = 0
        changelogs = dict(topology.store_to_changelog_topic)
        self.state_manager = ProcessorStateManager(task_id, directory, changelogs, task_id.partition, eos)
        self.state_manager.source_topics = set(topology.sources_by_topic)
        self.context = ProcessorContextImpl(
            task_id,
            application_id,
            configs,
            directory.task_dir(task_id),
            key_serde,
            value_serde,
            collector,
            cache,
            self.state_manager.register,
            self.state_manager.changelog_partition,
            lambda: self.stream_time,
        )
        self._sources: dict[str, SourceNode] = dict(topology.sources_by_topic)
        self._buffered = 0
        self._only = self.partitions[0] if len(self.partitions) == 1 else None  # one queue: no choice to make per record

    # -- lifecycle ---------------------------------------------------------------------------------------
    def initialize(self, global_stores: dict[str, Any] | None = None) -> None:
        """Opens the stores (they register their changelogs for restore); processing waits for the restore."""
        stores = build_stores(self.topology.store_builders)
        self.state_manager.load_checkpoint(any(s.persistent() for s in stores.values()))
        if global_stores is not None:
            self.context.global_stores = dict(global_stores)
        init_stores(stores, self.context, self.state_manager, self.context.stores.__setitem__)
        self.state = TaskState.RESTORING

    def complete_restoration(self, committed_metadata: dict[TP, str | None] | None = None) -> None:
        """Stores are up to date: the processors start (Java inits the nodes only now, so they see restored state).

        `committed_metadata` is the metadata committed with each input partition's offset: the partition times
        (and so stream time) resume from it, as Java's initializeTaskTimeAndProcessorMetadata."""
        if committed_metadata:
            self.initialize_task_time(committed_metadata)
        self.state_manager.flush()  # a store may batch what it restored; lookups must see it from here on
        for node in self.topology.processors:
            self.context.set_current_node(node)
            try:
                node.init(self.context)
            finally:
                self.context.set_current_node(None)
        self.state = TaskState.RUNNING
        log.info("stream-task [%s] Restored and ready to run", self.id)

    def initialize_task_time(self, committed_metadata: dict[TP, str | None]) -> None:
        merged: dict[str, int] = {}
        for tp, text in committed_metadata.items():
            if tp not in self.partition_time:
                continue
            partition_time, processor_metadata = decode_metadata(text)
            self.partition_time[tp] = partition_time
            if partition_time > self.stream_time:
                self.stream_time = partition_time
            log.debug(
                "stream-task [%s] A committed timestamp was detected: setting the partition time of partition %s to %d",
                self.id,
                tp,
                partition_time,
            )
            for key, value in processor_metadata.items():
                if key not in merged or merged[key] < value:
                    merged[key] = value
        self.processor_metadata = merged

    def changelog_partitions(self) -> dict[TP, int | None]:
        return self.state_manager.changelog_partitions()

    # -- records -------------------------------------------------------------------------------------------
    def add_records(self, tp: TP, messages: list[Message]) -> int:
        q = self.queues[tp]
        q.extend(messages)
        self._buffered += len(messages)
        return len(q)

    def buffered(self, tp: TP) -> int:
        return len(self.queues[tp])

    def has_records(self) -> bool:
        return self._buffered > 0

    def _next_partition(self) -> TP | None:
        best: TP | None = None
        best_ts = 0
        for tp, q in self.queues.items():
            if q:
                ts = q[0].timestamp()[1]
                if best is None or ts < best_ts:
                    best, best_ts = tp, ts
        return best

    def process(self, max_records: int) -> int:
        """Processes up to max_records in timestamp order; returns how many were taken off the queues."""
        if self.state != TaskState.RUNNING:
            return 0
        done = 0
        ctx = self.context
        only = self._only
        while done < max_records and self._buffered:
            tp = only if only is not None else self._next_partition()
            if tp is None:
                break
            msg = self.queues[tp].popleft()
            self._buffered -= 1
            done += 1
            self._process_one(tp, msg, ctx)
            self.consumed[tp] = (msg.offset() or 0) + 1
            if ctx.commit_requested:
                break
        return done

    def _process_one(self, tp: TP, msg: Message, ctx: ProcessorContextImpl) -> None:
        topic, partition = tp
        offset = msg.offset() or 0
        headers = msg.headers()
        source = self._sources.get(topic)
        if source is None:
            raise StreamsException(f"Stream task {self.id} does not know the source topic {topic}", task_id=self.id)
        key_deserializer, value_deserializer = source.key_deserializer, source.value_deserializer
        assert key_deserializer is not None and value_deserializer is not None, "SourceNode.init not called"
        try:
            key = key_deserializer.deserialize(topic, msg.key(), headers)
            value = value_deserializer.deserialize(topic, msg.value(), headers)
        except Exception as exc:
            err_ctx = ErrorHandlerContext(topic, partition, offset, headers, source.name, self.id, msg.timestamp()[1])
            try:
                response = self._deser_handler.handle(err_ctx, msg, exc)
            except Exception as fatal:
                raise StreamsException("Fatal user code error in deserialization error callback", fatal, self.id) from fatal
            if response == DeserializationHandlerResponse.FAIL:
                raise StreamsException(
                    "Deserialization exception handler is set to fail upon a deserialization error. If you would rather have the "
                    "streaming pipeline continue after a deserialization error, please set the "
                    f"default.deserialization.exception.handler appropriately. (task {self.id}, topic {topic}, partition {partition}, "
                    f"offset {offset})",
                    exc,
                    self.id,
                ) from exc
            self.skipped += 1
            return
        ts_type, raw_ts = msg.timestamp()
        extractor = source.timestamp_extractor or self._extractor
        if raw_ts >= 0 and type(extractor) in _RECORD_TIMESTAMP_EXTRACTORS:
            ts = raw_ts  # what these extractors return for a valid timestamp, without building the record view
        else:
            view = ConsumerRecordView(topic, partition, offset, raw_ts, key, value, headers, ts_type)
            ts = extractor.extract(view, self.partition_time[tp])
        if ts < 0:
            log.warning(
                "stream-task [%s] Skipping record due to negative extracted timestamp. topic=[%s] partition=[%s] offset=[%s] "
                "extractedTimestamp=[%s] extractor=[%s]",
                self.id,
                topic,
                partition,
                offset,
                ts,
                type(extractor).__name__,
            )
            self.skipped += 1
            return
        if ts > self.partition_time[tp]:
            self.partition_time[tp] = ts
        if ts > self.stream_time:
            self.stream_time = ts
        record = Record(key, value, ts, headers)
        # the record's own headers (a copy): the source's forward then needs no context of its own
        ctx.begin_record(source, _record_context(ProcessorRecordContext, (ts, offset, partition, topic, record.headers)))
        try:
            source.process(record)
        except FailedProcessingException as failed:
            cause = failed.__cause__ if isinstance(failed.__cause__, Exception) else failed
            raise StreamsException(
                f"Exception caught in process. taskId={self.id}, processor={failed.failed_processor_node_name}, topic={topic}, "
                f"partition={partition}, offset={offset}, stacktrace={''.join(traceback.format_exception(cause))}",
                cause,
                self.id,
            ) from cause
        except (StreamsException, TaskMigratedException):
            raise
        except Exception as exc:
            node = ctx.current_node()
            raise StreamsException(
                f"Exception caught in process. taskId={self.id}, processor={node.name if node else source.name}, topic={topic}, "
                f"partition={partition}, offset={offset}, stacktrace={''.join(traceback.format_exception(exc))}",
                exc,
                self.id,
            ) from exc
        finally:
            ctx.end_record()

    # -- punctuation ----------------------------------------------------------------------------------------
    def maybe_punctuate(self) -> bool:
        """Runs the punctuators due: stream-time ones once the task has seen a record, wall-clock ones by the clock."""
        if self.state != TaskState.RUNNING:
            return False
        ctx = self.context
        fired = False
        if self.stream_time >= 0 and ctx.stream_time_punctuations:
            fired = ctx.stream_time_punctuations.may_punctuate(self.stream_time, PunctuationType.STREAM_TIME, self._punctuate)
        if ctx.wall_clock_punctuations:
            now = time.time_ns() // 1_000_000
            fired = ctx.wall_clock_punctuations.may_punctuate(now, PunctuationType.WALL_CLOCK_TIME, self._punctuate) or fired
        return fired

    def _punctuate(self, node: Any, timestamp: int, kind: PunctuationType, punctuator: Callable[[int], None]) -> None:
        ctx = self.context
        ctx.set_current_node(node)
        ctx.set_record_context(ProcessorRecordContext(timestamp, -1, -1, None, []))
        try:
            punctuator(timestamp)
        except StreamsException:
            raise
        except Exception as exc:
            raise StreamsException(
                f"{type(exc).__name__} encountered while executing punctuator for task {self.id}: {exc}", exc, self.id
            ) from exc
        finally:
            ctx.set_current_node(None)
            ctx.set_record_context(None)

    # -- commit -------------------------------------------------------------------------------------------
    def commit_needed(self) -> bool:
        return self.consumed != self.committed or self.context.commit_requested

    def prepare_commit(self) -> dict[TP, tuple[int, str]]:
        """Flushes the stores (caches forward their dirty entries downstream); the offsets to commit, each with
        its partition's time encoded as Java's TopicPartitionMetadata."""
        if self.state in (TaskState.RUNNING, TaskState.SUSPENDED):
            self.state_manager.flush()
        meta = self.processor_metadata
        return {tp: (offset, encode_metadata(self.partition_time[tp], meta)) for tp, offset in self.consumed.items()}

    def purgeable_offsets(self) -> dict[TP, int]:
        """Committed offsets of repartition topics: the records below them may be deleted (Java's purgeableOffsets)."""
        return {tp: off for tp, off in self.committed.items() if self.topology.is_repartition_topic(tp[0])}

    def post_commit(self) -> None:
        """After the producer flushed and the offsets are committed: the checkpoint (at-least-once only)."""
        self.committed = dict(self.consumed)
        self.context.commit_requested = False
        self.state_manager.update_written(self._checkpointable_offsets())
        if not self.eos and self.state in (TaskState.RUNNING, TaskState.SUSPENDED):
            self.state_manager.checkpoint()

    def _checkpointable_offsets(self) -> dict[TP, int]:
        """What the stores hold up to: the changelog offsets written and, for a store whose changelog is a source
        topic, the last offset processed from it (Java's checkpointableOffsets)."""
        offsets = {tp: offset - 1 for tp, offset in self.consumed.items()}
        offsets.update(self.collector.offsets())
        return offsets

    def suspend(self) -> None:
        if self.state == TaskState.RUNNING:
            self.state = TaskState.SUSPENDED

    def resume(self) -> None:
        if self.state == TaskState.SUSPENDED:
            self.state = TaskState.RUNNING

    def close(self, clean: bool) -> None:
        """Clean: processors closed, checkpoint written (also under EOS), stores closed. Dirty: stores closed only."""
        if self.state == TaskState.CLOSED:
            return
        if clean and self.state in (TaskState.RUNNING, TaskState.SUSPENDED):
            for node in self.topology.processors:
                self.context.set_current_node(node)
                try:
                    node.close()
                except Exception as exc:
                    log.warning("stream-task [%s] Failed to close processor %s: %s", self.id, node.name, exc)
            self.context.set_current_node(None)
        if clean:
            self.state_manager.update_written(self._checkpointable_offsets())
            self.state_manager.checkpoint()
        self.state_manager.close(clean)
        for q in self.queues.values():
            q.clear()
        self._buffered = 0
        self.state = TaskState.CLOSED
