"""Exactly-once source delivery (KIP-618, Java's ExactlyOnceWorkerSourceTask).

With the worker's exactly.once.source.support=enabled and offsets in a Kafka topic (distributed workers), a
source task produces with a transactional producer (transactional.id `<group.id>-<connector>-<task>`) and writes
the source offsets of what it sent to offset.storage.topic in the same transaction, so records and offsets are
committed together or not at all; the offsets are read back read_committed. A restarted (or moved) task's
init_transactions() fences its previous incarnation. Transactions end at transaction.boundary: after each poll()
batch (`poll`, the default), every transaction.boundary.interval.ms (`interval`), or where the task asks through
context.transaction_context() (`connector`), which may also abort: the records since the last commit are
discarded and their offsets not stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from strom.connect.api import SourceRecord, SourceTaskContext, TransactionBoundary, TransactionContext
from strom.connect.errors import ConnectException
from strom.connect.runtime.offset_store import offset_key, offset_value
from strom.connect.runtime.worker_source_task import WorkerSourceTask, _Context, partition_key

log = logging.getLogger("org.apache.kafka.connect.runtime.ExactlyOnceWorkerSourceTask")


class _TransactionContext(TransactionContext):
    """What a task with transaction.boundary=connector asks for; the worker acts on it after sending."""

    def __init__(self) -> None:
        self.commit_batch = False
        self.abort_batch = False
        self.commit_records: list[SourceRecord] = []
        self.abort_records: list[SourceRecord] = []

    def commit_transaction(self, record: SourceRecord | None = None) -> None:
        if record is None:
            self.commit_batch = True
        else:
            self.commit_records.append(record)

    def abort_transaction(self, record: SourceRecord | None = None) -> None:
        if record is None:
            self.abort_batch = True
        else:
            self.abort_records.append(record)


class _EosContext(_Context):
    def __init__(self, base: _Context, txn: _TransactionContext | None) -> None:
        super().__init__(base.configs(), base.offset_storage_reader())
        self._txn = txn

    def transaction_context(self) -> TransactionContext | None:
        return self._txn


class ExactlyOnceWorkerSourceTask(WorkerSourceTask):
    def __init__(
        self,
        *args: Any,
        offsets_topic: str,
        connector_config: Mapping[str, str],
        pre_producer_check: Callable[[], None] | None = None,
        post_producer_check: Callable[[], None] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.pre_producer_check = pre_producer_check
        self.post_producer_check = post_producer_check
        self.offsets_topic = offsets_topic
        self.boundary = TransactionBoundary.from_property(connector_config.get("transaction.boundary", "poll"))
        interval = connector_config.get("transaction.boundary.interval.ms")
        self.interval = (int(interval) if interval else int(self.flush_interval * 1000)) / 1000
        self.txn_context = _TransactionContext() if self.boundary is TransactionBoundary.CONNECTOR else None
        self.in_txn = False
        self.txn_offsets: dict[Any, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        self.txn_records: list[SourceRecord] = []
        self.next_commit = 0.0
        self.committed_transactions = 0
        self.aborted_transactions = 0
        self.aborted: set[int] = set()  # transactions whose records' failed reports are expected

    def initialize_and_start(self) -> None:
        if self.pre_producer_check is not None:
            self.pre_producer_check()  # the leader fences the connector's earlier task generations
        if self.stopping:
            return
        self.producer = self.producer_factory()
        self.producer.init_transactions(60)  # fences an earlier incarnation of this task
        if self.post_producer_check is not None:
            self.post_producer_check()
        context = _Context(self.task_config, self.offset_reader)
        self.task.initialize(_EosContext(context, self.txn_context))
        self.task.start(self.task_config)
        self.started = True
        self.next_commit = time.monotonic() + self.interval
        log.info("%s Source task finished initialization and start (exactly once, transaction.boundary=%s)", self, self.boundary.value)

    # -- the loop: transactions instead of periodic offset flushes -------------------------------------

    def execute(self) -> None:
        while not self.stopping:
            if self.paused:
                self.commit_transaction()
                if not self.await_unpaused():
                    break
                self.report_running()
            if self.producer_error is not None:
                raise ConnectException(
                    f"Unrecoverable exception from producer send callback: {self.producer_error}"
                ) from self.producer_error
            if not self.to_send:
                records = self._poll()
                if records:
                    self.to_send.extend(records)
            if self.to_send:
                self.send_records()
            self.producer.poll(0)
            if not self.to_send:
                self._batch_done()

    def _delivered(self, record: SourceRecord, tracked: Any) -> Any:
        """A report of a record of an aborted transaction is expected to fail: not a task failure."""
        generation = self.committed_transactions + self.aborted_transactions
        report = super()._delivered(record, tracked)

        def callback(err: Any, msg: Any) -> None:
            if err is not None and generation in self.aborted:
                return
            report(err, msg)

        return callback

    def _check_producer(self) -> None:
        error = self.producer_error
        if error is not None:
            raise ConnectException(f"Unrecoverable exception from producer send callback: {error}") from error

    def _batch_done(self) -> None:
        """The batch of the last poll() is sent: end the transaction where the boundary says."""
        if self.boundary is TransactionBoundary.POLL:
            self.commit_transaction()
        elif self.boundary is TransactionBoundary.INTERVAL:
            if time.monotonic() >= self.next_commit:
                self.commit_transaction()
                self.next_commit = time.monotonic() + self.interval
        else:
            ctx = self.txn_context
            assert ctx is not None
            if ctx.abort_batch:
                ctx.abort_batch = ctx.commit_batch = False
                self.abort_transaction()
            elif ctx.commit_batch:
                ctx.commit_batch = False
                self.commit_transaction()

    def send_records(self) -> None:
        while self.to_send and not self.stopping:
            if not self.in_txn:
                self.producer.begin_transaction()
                self.in_txn = True
            record = self.to_send[0]
            if not self.send_one(record):
                return  # the producer's buffer is full: try again after it drained
            self.to_send.popleft()
            self._track(record)
            ctx = self.txn_context
            if ctx is not None:
                if any(r is record for r in ctx.abort_records):
                    ctx.abort_records = [r for r in ctx.abort_records if r is not record]
                    self.abort_transaction()
                elif any(r is record for r in ctx.commit_records):
                    ctx.commit_records = [r for r in ctx.commit_records if r is not record]
                    self.commit_transaction()

    def _track(self, record: SourceRecord) -> None:
        self.txn_records.append(record)
        if record.source_partition is not None and record.source_offset is not None:
            self.txn_offsets[partition_key(record.source_partition)] = (record.source_partition, record.source_offset)

    def commit_transaction(self) -> None:
        """Writes the transaction's source offsets to the offsets topic in it, then commits."""
        if not self.in_txn:
            return
        connector = self.id.connector
        for partition, offset in self.txn_offsets.values():
            self.producer.produce(self.offsets_topic, offset_value(offset), offset_key(connector, partition))
        try:
            self.producer.commit_transaction(60)
        except Exception as exc:
            raise ConnectException(f"Failed to commit transaction for task {self.id}") from exc
        self._check_producer()
        self.in_txn = False
        self.committed_transactions += 1
        log.debug("%s Committed a transaction of %d records", self, len(self.txn_records))
        self.txn_offsets.clear()
        self.txn_records.clear()
        self._task_commit()

    def abort_transaction(self) -> None:
        """Discards the records since the last commit; their offsets are not stored."""
        if not self.in_txn:
            return
        self.aborted.add(self.committed_transactions + self.aborted_transactions)
        self.producer.abort_transaction(60)
        self.in_txn = False
        self.aborted_transactions += 1
        log.debug("%s Aborted a transaction of %d records", self, len(self.txn_records))
        self.txn_offsets.clear()
        self.txn_records.clear()

    def commit_offsets(self) -> bool:
        """Offsets are committed with the transactions; nothing to flush on its own."""
        return True

    def close(self) -> None:
        if self.producer is not None and self.in_txn:
            try:
                if self.failed or self.cancelled:
                    self.producer.abort_transaction(10)
                else:
                    self.commit_transaction()
            except Exception:
                log.warning("%s Could not end the open transaction", self, exc_info=True)
        super().close()


__all__ = ["ExactlyOnceWorkerSourceTask", "SourceTaskContext"]
