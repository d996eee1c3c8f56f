"""TaskManager: a stream thread's active and standby tasks, created, resumed and closed as assignments come and go.
On revocation every task commits and the tasks of the revoked partitions are suspended (all of them in an eager
rebalance, only those that move in a cooperative one); the next assignment resumes those that stay here, keeps
the running ones, closes the others and creates the new ones, which restore before they process. Commits go through it:
at-least-once flushes the producer then commits the consumer's offsets; exactly_once_v2 sends the offsets inside
the thread producer's transaction and commits the transaction. Every `repartition.purge.interval.ms` the records of
repartition topics below the committed offsets are deleted (DeleteRecords), as Java's maybePurgeCommittedRecords.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from strom.client.types import TopicPartition
from strom.protocol.types import TP
from strom.streams.errors import StreamsException, TaskMigratedException
from strom.streams.processor.api import TaskId
from strom.streams.runtime.changelog_reader import StoreChangelogReader
from strom.streams.runtime.record_collector import is_fenced
from strom.streams.runtime.standby_task import StandbyTask
from strom.streams.runtime.stream_task import StreamTask, TaskState

log = logging.getLogger("org.apache.kafka.streams.processor.internals.TaskManager")


class TaskManager:
    def __init__(
        self,
        create_active: Callable[[TaskId, list[TP]], StreamTask],
        create_standby: Callable[[TaskId], StandbyTask | None],
        changelog_reader: StoreChangelogReader,
        producer: Callable[[], Any],
        consumer: Any,
        eos: bool,
        log_prefix: str,
        admin: Any = None,
        purge_interval_ms: int = 30000,
    ) -> None:
        self._create_active = create_active
        self._create_standby = create_standby
        self.reader = changelog_reader
        self._producer = producer
        self._consumer = consumer
        self.eos = eos
        self.prefix = log_prefix
        self.active: dict[TaskId, StreamTask] = {}
        self.standby: dict[TaskId, StandbyTask] = {}
        self.suspended: dict[TaskId, StreamTask] = {}
        self.by_partition: dict[TP, StreamTask] = {}
        self.in_transaction = False
        self._admin = admin
        self._purge_interval = purge_interval_ms / 1000
        self._last_purge = time.monotonic()
        self._purging: list[Any] = []  # the futures of the last DeleteRecords request

    # -- assignment ------------------------------------------------------------------------------------
    def handle_revocation(self, partitions: set[TP] | None = None) -> None:
        """Commit everything; the tasks of the revoked partitions (every task when None) are suspended, kept in
        case they come back."""
        revoked = [t for t in self.active.values() if partitions is None or partitions.intersection(t.partitions)]
        if not revoked:
            return
        self.commit(force=True)
        for task in revoked:
            task.suspend()
            self.suspended[task.id] = task
            del self.active[task.id]
            for tp in task.partitions:
                self.by_partition.pop(tp, None)

    def handle_lost(self) -> None:
        """The member lost its tasks without a chance to commit (session expired, fenced): close them dirty."""
        self.abort_transaction()
        for task in [*self.active.values(), *self.suspended.values()]:
            self._close_task(task, clean=False)
        self.active.clear()
        self.suspended.clear()
        self.by_partition.clear()

    def handle_assignment(self, active: dict[TaskId, list[TP]], standby: dict[TaskId, list[TP]]) -> None:
        gone = [t for tid, t in self.active.items() if tid not in active or sorted(active[tid]) != t.partitions]
        if gone:  # not revoked first (the partitions stayed): committed and closed here
            self.commit(force=True)
            for stopped in gone:
                del self.active[stopped.id]
                for tp in stopped.partitions:
                    self.by_partition.pop(tp, None)
                self._close_task(stopped, clean=True)
        for tid in list(self.suspended):
            if tid not in active:
                self._close_task(self.suspended.pop(tid), clean=True)
        for tid in list(self.standby):
            if tid not in standby or tid in active:
                old = self.standby.pop(tid)
                self.reader.unregister(list(old.changelog_partitions()))
                old.close()
        for tid, tps in sorted(active.items()):
            if tid in self.active:
                continue  # kept through a cooperative rebalance: it never stopped
            task: StreamTask | None = self.suspended.pop(tid, None)
            if task is not None and sorted(tps) == task.partitions:
                task.resume()
            else:
                if task is not None:
                    self._close_task(task, clean=True)
                task = self._create_active(tid, tps)
                task.initialize()
                if task.changelog_partitions():
                    self.reader.register(task.state_manager, standby=False)
                else:
                    task.complete_restoration(self._committed_metadata(task))
            self.active[tid] = task
            for tp in task.partitions:
                self.by_partition[tp] = task
        for tid in sorted(standby):
            if tid in self.standby:
                continue
            sb = self._create_standby(tid)
            if sb is None:
                continue
            sb.initialize()
            self.standby[tid] = sb
            self.reader.register(sb.state_manager, standby=True)
        log.info(
            "%s Handle new assignment with: New active tasks: %s New standby tasks: %s",
            self.prefix,
            sorted(str(t) for t in active),
            sorted(str(t) for t in standby),
        )

    def _close_task(self, task: StreamTask, clean: bool) -> None:
        self.reader.unregister(list(task.changelog_partitions()))
        try:
            task.close(clean)
        except Exception as exc:
            log.warning("%s Failed to close task %s cleanly: %s", self.prefix, task.id, exc)
            if clean:
                task.close(False)

    # -- the loop's work ---------------------------------------------------------------------------------
    def all_running(self) -> bool:
        return all(t.state == TaskState.RUNNING for t in self.active.values())

    def any_running(self) -> bool:
        return any(t.state == TaskState.RUNNING for t in self.active.values())

    def restore(self, timeout: float) -> None:
        if not self.reader.has_work():
            return
        finished = self.reader.restore(timeout)
        for manager in finished:
            task = self.active.get(manager.task_id)
            if task is not None and task.state == TaskState.RESTORING:
                self.reader.complete(manager)
                task.complete_restoration(self._committed_metadata(task))

    def _committed_metadata(self, task: StreamTask) -> dict[TP, str | None]:
        """The metadata committed with the task's input offsets (its partition times), as the group holds them."""
        try:
            got = self._consumer.committed([TopicPartition(t, p) for t, p in task.partitions], timeout=60)
        except Exception as exc:
            raise StreamsException(f"task [{task.id}] Failed to initialize offsets for {task.partitions}", exc, task.id) from exc
        return {(tp.topic, tp.partition): tp.metadata for tp in got if tp.offset >= 0}

    def restoring(self) -> bool:
        return any(t.state == TaskState.RESTORING for t in self.active.values())

    def add_records(self, tp: TP, messages: list[Any]) -> int:
        task = self.by_partition.get(tp)
        if task is None:
            return 0
        return task.add_records(tp, messages)

    def maybe_begin_transaction(self) -> None:
        if self.eos and not self.in_transaction:
            try:
                self._producer().begin_transaction()
            except Exception as exc:
                if is_fenced(exc):
                    raise TaskMigratedException("Producer got fenced trying to begin a new transaction", exc) from exc
                raise
            self.in_transaction = True

    def process(self, max_per_task: int) -> int:
        total = 0
        for task in list(self.active.values()):
            if task.state == TaskState.RUNNING and task.has_records():
                self.maybe_begin_transaction()
                total += task.process(max_per_task)
        return total

    def punctuate(self) -> int:
        fired = 0
        for task in list(self.active.values()):
            if task.state == TaskState.RUNNING and task.context.has_punctuations():
                self.maybe_begin_transaction()
                if task.maybe_punctuate():
                    fired += 1
        return fired

    def commit_requested(self) -> bool:
        return any(t.context.commit_requested for t in self.active.values())

    def commit(self, force: bool = False) -> int:
        """Commits every task that moved; returns how many did."""
        tasks = [t for t in self.active.values() if t.state in (TaskState.RUNNING, TaskState.SUSPENDED) and (force or t.commit_needed())]
        if not tasks:
            return 0
        offsets: dict[TP, tuple[int, str]] = {}
        if self.eos:
            self.maybe_begin_transaction()
        for task in tasks:
            offsets.update(task.prepare_commit())
        commit = [TopicPartition(t, p, o, meta) for (t, p), (o, meta) in sorted(offsets.items())]
        producer = self._producer()
        try:
            if self.eos:
                if commit:
                    producer.send_offsets_to_transaction(commit, self._consumer.consumer_group_metadata(), 60)
                producer.commit_transaction(60)
                self.in_transaction = False
                for task in tasks:
                    task.collector.check_error()
            else:
                for task in tasks:
                    task.collector.flush()
                if commit:
                    self._consumer.commit(offsets=commit, asynchronous=False)
        except StreamsException:
            raise
        except Exception as exc:
            if (
                self.eos
                or is_fenced(exc)
                or "generation" in str(exc).lower()
                or "member" in str(exc).lower()
                or "rebalanc" in str(exc).lower()
            ):
                raise TaskMigratedException(f"{self.prefix} Commit failed: the tasks migrated to another thread ({exc})", exc) from exc
            raise
        for task in tasks:
            task.post_commit()
        return len(tasks)

    def maybe_purge_committed_records(self) -> None:
        """Deletes what the tasks committed on repartition topics, once per repartition.purge.interval.ms and only
        when the previous request finished; failures are not fatal (the next request covers the same records)."""
        now = time.monotonic()
        if self._admin is None or now - self._last_purge <= self._purge_interval:
            return
        self._last_purge = now
        if any(not f.done() for f in self._purging):
            return
        purgeable: dict[TP, int] = {}
        for task in self.active.values():
            if task.state == TaskState.RUNNING:
                purgeable.update(task.purgeable_offsets())
        if purgeable:
            self._purging = list(self._admin.delete_records([TopicPartition(t, p, o) for (t, p), o in sorted(purgeable.items())]).values())
            log.debug("%s Sent delete-records request: %s", self.prefix, purgeable)

    def abort_transaction(self) -> None:
        if self.eos and self.in_transaction:
            try:
                self._producer().abort_transaction(30)
            except Exception as exc:
                log.info("%s Aborting the open transaction failed (the producer is fenced or gone): %s", self.prefix, exc)
            self.in_transaction = False

    def checkpoint_standbys(self) -> None:
        for sb in self.standby.values():
            sb.checkpoint()

    def shutdown(self, clean: bool) -> None:
        if clean:
            try:
                self.commit(force=True)
            except Exception as exc:
                log.warning("%s Commit on shutdown failed, closing tasks dirty: %s", self.prefix, exc)
                clean = False
        if not clean:
            self.abort_transaction()
        for task in [*self.active.values(), *self.suspended.values()]:
            self._close_task(task, clean)
        for sb in self.standby.values():
            try:
                sb.close()
            except Exception as exc:
                log.warning("%s Failed to close standby task %s: %s", self.prefix, sb.id, exc)
        self.active.clear()
        self.suspended.clear()
        self.standby.clear()
        self.by_partition.clear()

    def stores(self, name: str) -> list[Any]:
        return [t.context.stores[name] for t in self.active.values() if t.state == TaskState.RUNNING and name in t.context.stores]
