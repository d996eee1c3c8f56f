"""StreamThread: one consumer in the application's group, its producer and restore consumer, and a loop of
poll -> restore -> process -> punctuate -> commit over the tasks the `stream` assignor gave it.

Rebalances are cooperative (KIP-429) unless `upgrade.from` names a pre-2.4 version: only the tasks that move are
revoked (committed and suspended), and a follow-up rebalance hands them to their new owner; the thread starts
the follow-up (and the probing rebalances of KIP-441) at the time the leader wrote in the assignment.

States as Java's: CREATED -> STARTING -> PARTITIONS_REVOKED / PARTITIONS_ASSIGNED -> RUNNING (every task restored)
-> PENDING_SHUTDOWN -> DEAD. A thread that fails hands its exception to KafkaStreams (the uncaught-exception
handler decides); a TaskMigratedException (fenced, or the group moved on) closes the tasks dirty and rejoins.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from enum import Enum
from typing import Any

from strom import Consumer, Producer
from strom.client.types import TopicPartition
from strom.protocol.types import TP
from strom.streams.config import StreamsConfig
from strom.streams.errors import MissingSourceTopicException, StreamsException, TaskMigratedException
from strom.streams.processor.api import TaskId
from strom.streams.runtime import assignment_info as ai
from strom.streams.runtime import partition_assignor as pa
from strom.streams.runtime.changelog_reader import StoreChangelogReader
from strom.streams.runtime.record_collector import RecordCollectorImpl
from strom.streams.runtime.standby_task import StandbyTask
from strom.streams.runtime.state_directory import StateDirectory
from strom.streams.runtime.stream_task import StreamTask
from strom.streams.runtime.task_manager import TaskManager

log = logging.getLogger("org.apache.kafka.streams.processor.internals.StreamThread")

PROCESS_BATCH = 1000  # records per task per loop before the thread polls again
# While every active task restores, the restore consumer waits this long for data rather than the loop spinning
# (each empty round is a hop to each client thread, taken from the one decoding the changelog).
RESTORE_WAIT_S = 0.01


class StreamThreadState(Enum):
    CREATED = "CREATED"
    STARTING = "STARTING"
    PARTITIONS_REVOKED = "PARTITIONS_REVOKED"
    PARTITIONS_ASSIGNED = "PARTITIONS_ASSIGNED"
    RUNNING = "RUNNING"
    PENDING_SHUTDOWN = "PENDING_SHUTDOWN"
    DEAD = "DEAD"


class ShutdownRequestedException(StreamsException):
    """Another instance asked the whole application to shut down (StreamThreadExceptionResponse.SHUTDOWN_APPLICATION)."""


class StreamThread(threading.Thread):
    def __init__(
        self,
        index: int,
        client_id: str,
        config: StreamsConfig,
        builder: Any,
        directory: StateDirectory,
        process_id: str,
        topology_metadata: Callable[[], pa.TopologyMetadata],
        prepare_topics: Callable[[dict[str, int]], None],
        cache: Any,
        on_state: Callable[[StreamThread, StreamThreadState, StreamThreadState], None],
        on_error: Callable[[StreamThread, BaseException], None],
        admin: Any = None,
    ) -> None:
        name = f"{client_id}-StreamThread-{index}"
        super().__init__(name=name, daemon=True)
        self.index = index
        self.client_id = client_id
        self.config = config
        self.builder = builder
        self.directory = directory
        self.process_id = process_id
        self._on_state = on_state
        self._on_error = on_error
        self._cache = cache
        self.state = StreamThreadState.CREATED
        self.prefix = f"stream-thread [{name}]"
        self._running = threading.Event()
        self._running.set()
        self.error: BaseException | None = None
        self.shutdown_requested = False
        self.assignment_info: pa.ThreadAssignment | None = None
        self.global_stores: dict[str, Any] = {}
        self._pending: pa.ThreadAssignment | None = None
        self._next_rebalance_ms = ai.NO_REBALANCE
        self._paused: set[TP] = set()
        self.consumer_client_id = f"{name}-consumer"
        self.restore_client_id = f"{name}-restore-consumer"
        self.producer_client_id = f"{name}-producer"
        self.eos = config.exactly_once
        self._max_buffered = int(config.get("buffered.records.per.partition"))
        self._commit_interval = int(config.get("commit.interval.ms")) / 1000
        self._poll_s = int(config.get("poll.ms")) / 1000
        self._max_poll = 1000
        self._stateful_subs = {s for s in builder.subtopologies() if builder.stores_for(s)}
        self.assignor = pa.StreamsPartitionAssignor(
            topology=topology_metadata,
            subscription_info=self._subscription_info,
            on_assignment=self._on_assignment,
            num_standby_replicas=int(config.get("num.standby.replicas")),
            prepare_topics=prepare_topics,
            stateful_subtopologies=lambda: self._stateful_subs,
            end_offsets=self._changelog_end_offsets,
            acceptable_recovery_lag=int(config.get("acceptable.recovery.lag")),
            max_warmup_replicas=int(config.get("max.warmup.replicas")),
            probing_rebalance_interval_ms=int(config.get("probing.rebalance.interval.ms")),
            cooperative=_cooperative(config.get("upgrade.from")),
        )
        consumer_conf = config.get_main_consumer_configs(config.application_id, self.consumer_client_id, index)
        consumer_conf["partition.assignment.strategy"] = [self.assignor]
        self._max_poll = int(consumer_conf.get("max.poll.records", 1000))
        self.consumer = Consumer(consumer_conf)
        self.restore_consumer = Consumer(config.get_restore_consumer_configs(self.restore_client_id))
        self._producer: Producer = self._new_producer()
        self.task_manager = TaskManager(
            self._create_active,
            self._create_standby,
            StoreChangelogReader(self.restore_consumer, committed_offsets=self._committed_offsets),
            lambda: self._producer,
            self.consumer,
            self.eos,
            self.prefix,
            admin,
            int(config.get("repartition.purge.interval.ms")),
        )
        self._key_serde = config.default_key_serde()
        self._value_serde = config.default_value_serde()
        self._extractor = config.default_timestamp_extractor()
        self._deser_handler = config.default_deserialization_exception_handler()
        self._prod_handler = config.default_production_exception_handler()
        for handler in (self._deser_handler, self._prod_handler):
            if hasattr(handler, "configure"):
                handler.configure(config.originals())

    @property
    def transactional_id(self) -> str:
        return f"{self.config.application_id}-{self.process_id}-{self.index}"

    def _new_producer(self) -> Producer:
        conf = self.config.get_producer_configs(self.producer_client_id, self.transactional_id)
        producer = Producer(conf)
        if self.eos:
            producer.init_transactions(60)
        return producer

    # -- the assignor's callbacks ---------------------------------------------------------------------------
    def _subscription_info(self) -> ai.SubscriptionInfo:
        sums = {(t.subtopology, t.partition): s for t, s in self.directory.task_offset_sums().items()}
        for tid in [*self.task_manager.active, *self.task_manager.suspended]:
            sums[(tid.subtopology, tid.partition)] = ai.LATEST_OFFSET
        error = ai.SHUTDOWN_REQUESTED if self.shutdown_requested else ai.NONE
        return ai.SubscriptionInfo(uuid.UUID(self.process_id), sums, str(self.config.get("application.server") or ""), error_code=error)

    def _on_assignment(self, info: pa.ThreadAssignment, partitions: list[TP], generation: int) -> None:
        self._pending = info  # read by the rebalance callbacks, in this thread
        self._next_rebalance_ms = info.next_rebalance_ms

    def _changelog_end_offsets(self, tps: list[TP]) -> dict[TP, int]:
        """The leader's lag computation (KIP-441): the changelogs' end offsets."""
        return {tp: self.restore_consumer.get_watermark_offsets(TopicPartition(*tp), timeout=30)[1] for tp in tps}

    def _committed_offsets(self, tps: list[TP]) -> dict[TP, int]:
        """The group's committed offsets: where a store restored from a source topic stops."""
        got = self.consumer.committed([TopicPartition(*tp) for tp in tps], timeout=60)
        return {(tp.topic, tp.partition): tp.offset for tp in got if tp.offset is not None and tp.offset >= 0}

    # -- rebalance callbacks (run in this thread, inside consume()) ------------------------------------
    def _on_revoke(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        self._set_state(StreamThreadState.PARTITIONS_REVOKED)
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        self.task_manager.handle_revocation(revoked)
        self._paused -= revoked
        if self._pending is not None:  # cooperative: the new assignment came first; apply it now
            self._apply_assignment()

    def _on_lost(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        self._set_state(StreamThreadState.PARTITIONS_REVOKED)
        self.task_manager.handle_lost()
        self._paused.clear()

    def _on_assign(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        if self._pending is not None:
            self._apply_assignment()

    def _apply_assignment(self) -> None:
        info = self._pending or pa.ThreadAssignment()
        self._pending = None
        if info.error == ai.INCOMPLETE_SOURCE_TOPIC_METADATA:
            raise MissingSourceTopicException("One or more source topics were missing during rebalance")
        if info.error == ai.SHUTDOWN_REQUESTED:
            raise ShutdownRequestedException("Shutdown requested by another instance of the application (SHUTDOWN_APPLICATION)")
        self.assignment_info = info
        self._set_state(StreamThreadState.PARTITIONS_ASSIGNED)
        active = {TaskId(*t): tps for t, tps in info.active_tasks.items()}
        standby = {TaskId(*t): tps for t, tps in info.standby_tasks.items()}
        self.task_manager.handle_assignment(active, standby)

    # -- tasks ----------------------------------------------------------------------------------------------
    def _create_active(self, task_id: TaskId, partitions: list[TP]) -> StreamTask:
        topology = self.builder.build(task_id.subtopology)
        collector = RecordCollectorImpl(self._producer, task_id, self._prod_handler)
        task = StreamTask(
            task_id,
            partitions,
            topology,
            self.config.application_id,
            self.config.originals(),
            self.directory,
            collector,
            self._cache,
            self._key_serde,
            self._value_serde,
            self._extractor,
            self._deser_handler,
            self.eos,
        )
        task.context.global_stores = self.global_stores  # the global thread's stores, shared by every task
        return task

    def _create_standby(self, task_id: TaskId) -> StandbyTask | None:
        topology = self.builder.build(task_id.subtopology)
        if not topology.store_to_changelog_topic:
            return None
        return StandbyTask(
            task_id,
            topology,
            self.config.application_id,
            self.config.originals(),
            self.directory,
            self._key_serde,
            self._value_serde,
            self.eos,
        )

    # -- state ------------------------------------------------------------------------------------------------
    def _set_state(self, new: StreamThreadState) -> None:
        old = self.state
        if old == new or old == StreamThreadState.DEAD:
            return
        if old == StreamThreadState.PENDING_SHUTDOWN and new != StreamThreadState.DEAD:
            return
        self.state = new
        log.info("%s State transition from %s to %s", self.prefix, old.value, new.value)
        self._on_state(self, old, new)

    def is_alive_running(self) -> bool:
        return self._running.is_set()

    def shutdown(self) -> None:
        """Asks the loop to stop; it commits, closes its tasks and clients, and goes DEAD."""
        self._set_state(StreamThreadState.PENDING_SHUTDOWN)
        self._running.clear()

    # -- the loop -----------------------------------------------------------------------------------------------
    def run(self) -> None:
        clean = True
        try:
            self._set_state(StreamThreadState.STARTING)
            topics = self.builder.all_source_topics()
            self.consumer.subscribe(topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)
            self._loop()
        except BaseException as exc:
            clean = False
            self.error = exc
            log.error("%s Encountered the following exception during processing and the thread is going to shut down: %r", self.prefix, exc)
        finally:
            self._close(clean)
            if self.error is not None:
                self._on_error(self, self.error)

    def _loop(self) -> None:
        last_commit = time.monotonic()
        tm = self.task_manager
        while self._running.is_set():
            busy = any(t.has_records() for t in tm.active.values()) or tm.restoring()
            try:
                messages = self.consumer.consume(self._max_poll, 0 if busy else self._poll_s)
                if not self._running.is_set():
                    break
                self._route(messages)
                tm.restore(RESTORE_WAIT_S if tm.restoring() and not tm.any_running() else 0.0)
                if self.state == StreamThreadState.PARTITIONS_ASSIGNED and tm.all_running():
                    self._set_state(StreamThreadState.RUNNING)
                tm.process(PROCESS_BATCH)
                tm.punctuate()
                now = time.monotonic()
                if now - last_commit >= self._commit_interval or tm.commit_requested():
                    tm.commit()
                    tm.maybe_purge_committed_records()
                    tm.checkpoint_standbys()
                    last_commit = now
                self._resume_drained()
                self._maybe_follow_up()
            except TaskMigratedException as exc:
                log.warning(
                    "%s Detected that the thread is being fenced or its tasks migrated; closing tasks dirty and rejoining: %s",
                    self.prefix,
                    exc,
                )
                self._recover_from_migration(exc)

    def _maybe_follow_up(self) -> None:
        """Starts the rebalance the leader scheduled: at once (tasks to hand over, version probing) or at the
        probing time (warm-ups may have caught up)."""
        due = self._next_rebalance_ms
        if due != ai.NO_REBALANCE and time.time() * 1000 >= due:
            self._next_rebalance_ms = ai.NO_REBALANCE
            reason = "triggered followup rebalance scheduled for " + ("now" if due == 0 else str(due))
            log.info("%s %s", self.prefix, reason)
            self.consumer.enforce_rebalance(reason)

    def _route(self, messages: list[Any]) -> None:
        if not messages:
            return
        batches: dict[TP, list[Any]] = {}
        for m in messages:
            if m.error() is not None:
                err = m.error()
                if err is not None and getattr(err, "fatal", lambda: False)():
                    raise StreamsException(f"Fatal consumer error: {err}")
                continue
            batches.setdefault((m.topic() or "", m.partition() or 0), []).append(m)
        to_pause = []
        for tp, batch in batches.items():
            size = self.task_manager.add_records(tp, batch)
            if size > self._max_buffered and tp not in self._paused:
                to_pause.append(TopicPartition(*tp))
                self._paused.add(tp)
        if to_pause:
            self.consumer.pause(to_pause)

    def _resume_drained(self) -> None:
        if not self._paused:
            return
        ready = []
        for tp in list(self._paused):
            task = self.task_manager.by_partition.get(tp)
            if task is None or task.buffered(tp) <= self._max_buffered // 2:
                ready.append(TopicPartition(*tp))
                self._paused.discard(tp)
        if ready:
            self.consumer.resume(ready)

    def _recover_from_migration(self, exc: BaseException) -> None:
        """Tasks closed dirty, a fresh producer (a fenced one is dead), positions back to the committed offsets;
        the same tasks are created again (they restore) unless the rebalance that follows moves them."""
        tm = self.task_manager
        active = {tid: list(t.partitions) for tid, t in tm.active.items()}
        standby: dict[TaskId, list[TP]] = {tid: [] for tid in tm.standby}
        tm.handle_lost()
        try:
            self._producer.close(5)
        except Exception:
            pass
        self._producer = self._new_producer()
        tps = [TopicPartition(*tp) for parts in active.values() for tp in parts]
        if tps:
            committed = self.consumer.committed(tps, timeout=30)
            for tp in committed:
                self.consumer.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset is not None and tp.offset >= 0 else -2))
        self._paused.clear()
        tm.handle_assignment(active, standby)

    def _close(self, clean: bool) -> None:
        self._set_state(StreamThreadState.PENDING_SHUTDOWN)
        try:
            self.task_manager.shutdown(clean)
        except Exception as exc:
            log.warning("%s Failed to close the task manager: %s", self.prefix, exc)
        for closer in (self.consumer.close, self.restore_consumer.close, lambda: self._producer.close(10)):
            try:
                closer()
            except Exception as exc:
                log.info("%s Failed to close a client: %s", self.prefix, exc)
        self._set_state(StreamThreadState.DEAD)
        log.info("%s Shutdown complete", self.prefix)


def _cooperative(upgrade_from: Any) -> bool:
    """Java's rule: cooperative rebalancing unless upgrading from a version before 2.4 (eager there)."""
    if not upgrade_from:
        return True
    major, _, minor = str(upgrade_from).partition(".")
    try:
        return (int(major), int(minor.split(".")[0] or 0)) >= (2, 4)
    except ValueError:
        return True
