"""strom.Producer: confluent-kafka's Producer API over the asyncio producer.

produce() appends the record straight into its partition's open batch (accumulator.append_record, under
the accumulator's lock, compiled when built): no thread hop and no Python object per record. Records whose
topic metadata is not known yet (and records the fast path declines) pass to the loop thread in bunches
and keep their order. Delivery reports come back a batch at a time through a queue that poll() and flush()
serve in the application's thread, as librdkafka does -- callbacks never run on the client's own thread.

Defaults follow librdkafka where its producer differs from Java's: batch.size 1000000 (librdkafka's
batch.size), so a batch carries up to ~1 MB of records instead of 16 KiB.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from strom.client.accumulator import ProducerBatch, append_record, deliver_batch
from strom.client.cluster import cluster_metadata
from strom.client.config import resolve
from strom.client.loop_thread import LoopThread, weak_method
from strom.client.producer import AsyncProducer
from strom.client.stats import PartitionStats, statistics_for
from strom.client.transactions import TransactionError, TxnState
from strom.client.types import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, ConsumerGroupMetadata, Message, RecordMetadata
from strom.protocol.errors import ErrorCode, KafkaError, LocalError
from strom.protocol.types import TP

DeliveryCallback = Callable[[KafkaError | None, Message], Any]
LIBRDKAFKA_BATCH_SIZE = 1_000_000  # librdkafka's batch.size default (Java's is 16384)


class Producer:
    def __init__(self, config: Mapping[str, Any] | None = None, **kw: Any) -> None:
        conf = {**(config or {}), **kw}
        conf.setdefault("batch.size", LIBRDKAFKA_BATCH_SIZE)
        resolve("producer", conf)  # raise config errors in the caller's thread, before any thread starts
        self._default_cb: DeliveryCallback | None = conf.get("on_delivery")
        self._key_ser = conf.get("key.serializer")
        self._value_ser = conf.get("value.serializer")
        self._runner = LoopThread("strom-producer")
        self._aio: AsyncProducer = self._runner.run(_make(conf))
        self._accumulator = self._aio.accumulator  # read per produce(): one attribute, not a property
        self._aio.idle_hook = weak_method(self._wake_poll)  # the loop's hooks must not keep a dropped producer alive
        self._error_cb: Callable[[KafkaError], Any] | None = conf.get("error_cb")
        self._errors: deque[KafkaError] = deque()
        self._aio.cluster.on_error = weak_method(self._client_error)  # served to error_cb by poll(), in this thread
        self._intake: deque[tuple[Any, ...]] = deque()
        self._intake_lock = threading.Lock()
        self._intake_scheduled = False
        self._backlog: deque[tuple[Any, ...]] = deque()  # loop side: waiting for topic metadata
        self._backlog_task: asyncio.Task[None] | None = None
        self._reports: deque[tuple[Any, ...]] = deque()
        self._report_ready = threading.Event()
        # librdkafka's queue.buffering.max.messages: produce() raises BufferError past it (0: no limit)
        self._max_queued = self._aio.config["queue.buffering.max.messages"] or 2**62
        self._topics = self._aio.cluster.topics  # read by produce(): the metadata dict, replaced never
        self._max_request_size = self._aio.max_request_size
        self._batch_reports: deque[tuple[list[Any], TP, KafkaError | None, int, int]] = deque()
        self._accumulator.post = self._runner.call_soon
        self._accumulator.report = weak_method(self._batch_done)
        self._stats = statistics_for("producer", self._aio.config)  # librdkafka's stats_cb, served by poll()
        self._plain = self._key_ser is None and self._value_ser is None and self._aio.txn is None  # produce()'s fast lane
        self._closed = False
        self._runner.stop_with(self)
        self._runner.closers.append(self._aio.cluster.close)

    def produce(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int = -1,
        on_delivery: DeliveryCallback | None = None,
        timestamp: int = 0,
        headers: Any = None,
        callback: DeliveryCallback | None = None,
        *,
        create_time: int | None = None,
    ) -> None:
        """Queues a record; its delivery report is served by a later poll() or flush().

        `timestamp` is confluent-kafka's: 0 (the default) means now. `create_time` is Java's ProducerRecord
        timestamp: the record's CreateTime as given, 0 included (None: `timestamp` decides)."""
        ts: int | None = (timestamp or None) if create_time is None else create_time
        if self._plain:  # open, no serializer, no transaction: the common case, checked in append_record
            acc = self._accumulator
            with acc.lock:
                # straight into the batch, unless records queued for the loop thread must go first (order)
                if (
                    not self._intake
                    and not self._backlog
                    and acc.pending < self._max_queued
                    and append_record(
                        acc,
                        self._topics,
                        topic,
                        value,
                        key,
                        partition,
                        ts,
                        headers,
                        on_delivery or callback or self._default_cb,
                        self._max_request_size,
                    )
                ):
                    return
        self._produce(topic, value, key, partition, on_delivery, ts, headers, callback)

    def _produce(
        self,
        topic: str,
        value: Any,
        key: Any,
        partition: int,
        on_delivery: DeliveryCallback | None,
        timestamp: int | None,
        headers: Any,
        callback: DeliveryCallback | None,
    ) -> None:
        if self._closed:
            raise RuntimeError("producer is closed")
        txn = self._aio.txn
        if txn is not None and txn.state is not TxnState.IN_TRANSACTION:
            txn.require("produce", TxnState.IN_TRANSACTION)
        if self._key_ser is not None:
            key = self._key_ser(key)
        if self._value_ser is not None:
            value = self._value_ser(value)
        if value is not None and not isinstance(value, (bytes, bytearray, memoryview, str)):
            raise TypeError(f"value must be bytes or str, not {type(value).__name__} (set value.serializer)")
        if key is not None and not isinstance(key, (bytes, bytearray, memoryview, str)):
            raise TypeError(f"key must be bytes or str, not {type(key).__name__} (set key.serializer)")
        if self._accumulator.pending + len(self._intake) >= self._max_queued:
            raise BufferError("Local: Queue full")
        cb = on_delivery or callback or self._default_cb
        ts = timestamp
        with self._accumulator.lock:
            # straight into the batch, unless records queued for the loop thread must go first (order)
            if not self._intake and not self._backlog:
                if append_record(self._accumulator, self._topics, topic, value, key, partition, ts, headers, cb, self._max_request_size):
                    return
        item = (topic, value, key, partition, ts, headers, cb)
        with self._intake_lock:
            self._intake.append(item)
            if self._intake_scheduled:
                return
            self._intake_scheduled = True
        self._runner.call_soon(self._drain_intake)

    # loop thread ------------------------------------------------------------------------------
    def _drain_intake(self) -> None:
        with self._accumulator.lock:  # produce() appends directly only once these are in
            with self._intake_lock:
                items = list(self._intake)
                self._intake.clear()
                self._intake_scheduled = False
            if self._backlog:
                self._backlog.extend(items)
                return
            for i, item in enumerate(items):
                if self._aio.cluster.topics.get(item[0]) is None:
                    self._backlog.extend(items[i:])
                    self._backlog_task = asyncio.ensure_future(self._serve_backlog())
                    return
                self._append(item)

    def _append(self, item: tuple[Any, ...]) -> None:
        topic, value, key, partition, timestamp, headers, cb = item
        # without a callback nothing needs the report: the record only counts in len() until delivered
        completion = None if cb is None else _Report((cb, key, value, headers, timestamp, self, topic))
        self._aio.append(topic, value, key, partition, timestamp, headers, completion)
        if self._accumulator.flushing:
            self._aio._kick()  # flush() kicked the sender before this record (it waited for metadata) was in

    async def _serve_backlog(self) -> None:
        await self._aio.start()
        while self._backlog:
            item = self._backlog[0]
            if self._aio.cluster.topics.get(item[0]) is None:
                try:  # produce() never blocks: the record waits up to delivery.timeout.ms, as librdkafka's message.timeout.ms
                    await self._aio.wait_for_topic(item[0], self._aio.config["delivery.timeout.ms"] / 1000)
                except KafkaError as exc:
                    if exc.code() == ErrorCode.NETWORK_EXCEPTION:  # no broker answered in time: librdkafka's report
                        exc = KafkaError(LocalError.MSG_TIMED_OUT, f"Local: Message timed out: no broker answered ({exc.message})")
                    if self._backlog and self._backlog[0] is item:
                        self._backlog.popleft()
                        where = RecordMetadata(item[0], item[3] if item[3] >= 0 else -1, -1)  # the partition produce() named
                        self._completed(item[6], item[2], item[1], item[5], item[4], exc, where)
                    continue
                if not self._backlog or self._backlog[0] is not item:
                    continue  # abort_transaction purged it meanwhile
            with self._accumulator.lock:
                self._backlog.popleft()
                self._append(item)

    def _completed(
        self,
        cb: Any,
        key: Any,
        value: Any,
        headers: Any,
        timestamp: Any,
        error: KafkaError | None,
        md: RecordMetadata | None,
        topic: str | None = None,
    ) -> None:
        if md is None and error is not None:  # failed before it had a partition (RD_KAFKA_PARTITION_UA)
            md = RecordMetadata(topic or "", -1, -1)
        self._reports.append((cb, key, value, headers, timestamp, error, md))
        if not self._report_ready.is_set():
            self._report_ready.set()

    def _batch_done(self, batch: ProducerBatch, error: KafkaError | None, base_offset: int, append_time: int) -> None:
        """Loop thread: a batch was acknowledged or failed; poll() serves its records' reports."""
        self._batch_reports.append((batch.entries, batch.tp, error, base_offset, append_time))
        if self._stats is not None and error is None:
            self._stats.txmsgs += len(batch.entries)
            self._stats.txmsg_bytes += batch.nbytes
        if not self._report_ready.is_set():
            self._report_ready.set()

    def _client_error(self, error: KafkaError) -> None:
        self._errors.append(error)
        self._report_ready.set()  # a waiting poll() serves it at once

    def _wake_poll(self) -> None:
        self._report_ready.set()

    # application thread -------------------------------------------------------------------------
    def poll(self, timeout: float | None = None) -> int:
        """Serves queued delivery reports (waiting up to `timeout` s for one); returns how many."""
        if self._stats is not None and self._stats.due(time.monotonic()):
            self._emit_stats()
        if not self._reports and not self._batch_reports and not self._errors and timeout != 0:
            self._report_ready.clear()
            if not self._reports and not self._batch_reports and not self._errors:
                try:
                    self._report_ready.wait(None if timeout is None or timeout < 0 else timeout)
                except KeyboardInterrupt:  # Ctrl-C: from the caller's line, not from threading's internals
                    raise KeyboardInterrupt from None
        served = 0
        while self._batch_reports:
            report = self._batch_reports.popleft()
            try:
                served += deliver_batch(*report, Message)
            except BaseException:
                self._batch_reports.appendleft(report)  # a callback raised: its served entries are cleared
                raise
        while self._errors:
            error = self._errors.popleft()
            if self._error_cb is not None:
                self._error_cb(error)
        while self._reports:
            cb, key, value, headers, timestamp, error, md = self._reports.popleft()
            served += 1
            if cb is None:
                continue
            if error is None and md is not None:
                created = -1 if timestamp is None else timestamp
                ts = (TIMESTAMP_LOG_APPEND_TIME, md.timestamp) if md.timestamp >= 0 else (TIMESTAMP_CREATE_TIME, created)
                msg = Message(md.topic, md.partition, md.offset, key, value, _headers(headers), ts)
            else:  # as confluent: topic and partition (None when none was chosen: RD_KAFKA_PARTITION_UA), no offset
                md = md or RecordMetadata("", -1, -1)
                partition = md.partition if md.partition >= 0 else None
                msg = Message(md.topic, partition, None, key, value, _headers(headers), error=error)
            cb(error, msg)
        return served

    def _emit_stats(self) -> None:
        assert self._stats is not None
        cluster = self._aio.cluster
        partitions = [PartitionStats(name, index) for name, info in list(cluster.topics.items()) for index in list(info.partitions)]
        self._stats.emit(
            self._stats.document(
                cluster,
                replyq=len(self._reports) + len(self._batch_reports),
                msg_cnt=len(self),
                msg_size=self._accumulator.buffered_bytes,
                msg_max=self._aio.config["queue.buffering.max.messages"],
                msg_size_max=self._aio.config["buffer.memory"],
                partitions=partitions,
            )
        )

    def flush(self, timeout: float | None = None) -> int:
        """Sends everything queued, serving delivery reports, until done or `timeout`; returns what is left."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        self._runner.call_soon(self._begin_flush)
        try:
            while len(self) > 0:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self.poll(0.1 if left is None else min(left, 0.1))
        except KeyboardInterrupt:
            raise KeyboardInterrupt from None
        finally:
            self._runner.call_soon(self._end_flush)
        return len(self)

    def _begin_flush(self) -> None:
        self._accumulator.flushing += 1
        self._aio._kick()

    def _end_flush(self) -> None:
        self._accumulator.flushing -= 1

    # transactions: confluent-kafka's methods; timeout in seconds, -1 = max.block.ms ---------------
    def init_transactions(self, timeout: float = -1) -> None:
        self._runner.run(self._aio.init_transactions(timeout))

    def begin_transaction(self) -> None:
        self._runner.run(_call(self._aio.begin_transaction))

    def send_offsets_to_transaction(self, positions: list[Any], group_metadata: ConsumerGroupMetadata, timeout: float = -1) -> None:
        self._runner.run(self._aio.send_offsets_to_transaction(positions, group_metadata, timeout))

    def commit_transaction(self, timeout: float = -1) -> None:
        """Flushes (serving delivery reports here, as flush() does), then commits the transaction."""
        if self._aio.txn is not None and self._aio.txn.state is TxnState.IN_TRANSACTION:
            deadline = None if timeout < 0 else time.monotonic() + timeout
            left = self.flush(None if deadline is None else max(deadline - time.monotonic(), 0))
            if left:
                raise TransactionError(
                    ErrorCode.REQUEST_TIMED_OUT, f"commit_transaction: {left} record(s) not delivered yet", retriable=True
                )
            if deadline is not None:
                timeout = max(deadline - time.monotonic(), 0.001)
        self._runner.run(self._aio.commit_transaction(timeout))
        self.poll(0)

    def abort_transaction(self, timeout: float = -1) -> None:
        """Drops records not sent yet (their reports carry the abort) and aborts the transaction."""
        if self._aio.txn is not None and self._aio.txn.state in (TxnState.IN_TRANSACTION, TxnState.ABORTABLE_ERROR):
            error = TransactionError(ErrorCode.TRANSACTION_ABORTABLE, "the transaction was aborted before the record was sent")
            self._runner.run(_call(functools.partial(self._purge_intake, error)))
        self._runner.run(self._aio.abort_transaction(timeout))
        self.poll(0)

    def purge(self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True) -> None:
        """confluent-kafka's purge(): records not sent yet fail with _PURGE_QUEUE, their reports served by the
        next poll()/flush(). Records already in flight complete as the broker answers them (librdkafka
        reports _PURGE_INFLIGHT for those and ignores the answer); `blocking` changes nothing here."""
        if in_queue:
            self._runner.run(_call(functools.partial(self._purge_queued, KafkaError(LocalError.PURGE_QUEUE))))

    def _purge_queued(self, error: KafkaError) -> None:
        """Loop side: every record not sent yet fails with `error` (batches that were sent and await a
        retry keep their sequence numbers and stay)."""
        with self._accumulator.lock:
            self._purge_intake(error)
        self._accumulator.purge_unsent(error)

    def _purge_intake(self, error: KafkaError) -> None:
        """Loop side: records produce() queued that have not reached the producer's batches."""
        with self._intake_lock:
            items = list(self._backlog) + list(self._intake)
            self._intake.clear()
            self._backlog.clear()
        for item in items:
            self._completed(item[6], item[2], item[1], item[5], item[4], error, None, topic=item[0])

    def __len__(self) -> int:
        pending = len(self._intake) + len(self._backlog) + self._accumulator.pending + len(self._reports)
        return pending + self._unserved_batch_records()

    def _unserved_batch_records(self) -> int:
        """Records of finished batches poll() has not served yet. The loop thread appends reports meanwhile, and
        a copy of a deque that changes mid-copy raises (a collection during the copy can switch threads), so a
        failed copy is taken again."""
        while True:
            try:
                reports = tuple(self._batch_reports)
            except RuntimeError:
                continue
            return sum([len(report[0]) for report in reports])

    def __bool__(self) -> bool:
        return True

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any:
        async def fetch() -> Any:
            await self._aio.cluster.refresh([topic] if topic else None)
            return cluster_metadata(self._aio.cluster)

        return self._runner.run(fetch(), None if timeout < 0 else timeout)

    def cluster_id(self, timeout: float = -1) -> str | None:
        """confluent-kafka's cluster_id(): the id from the cluster's metadata, None when none came in time."""
        try:
            return self.list_topics(timeout=timeout).cluster_id  # type: ignore[no-any-return]
        except (KafkaError, TimeoutError):
            return None

    def close(self, timeout: float | None = None) -> int:
        """Flushes and stops the client thread; returns the number of undelivered records."""
        if self._closed:
            return 0
        left = self.flush(timeout)
        self._closed = True
        self._plain = False
        self._runner.run(self._aio.close(0))
        self.poll(0)
        self._runner.stop()
        return left

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Report(tuple):  # type: ignore[type-arg]
    """The delivery-report entry of a record that took the full path: (callback, key, value, headers,
    timestamp, producer, topic). In a batch it is served in order with append_record's entries
    (deliver_batch reads the first five); a record rejected before it reached a batch reports itself."""

    __slots__ = ()

    def __call__(self, error: KafkaError | None, md: RecordMetadata | None) -> None:
        cb, key, value, headers, timestamp, producer, topic = self
        producer._completed(cb, key, value, headers, timestamp, error, md, topic=topic)


async def _make(conf: dict[str, Any]) -> AsyncProducer:
    producer = AsyncProducer({k: v for k, v in conf.items() if k not in ("on_delivery", "key.serializer", "value.serializer")})
    await producer.start()
    return producer


async def _call(fn: Callable[[], Any]) -> Any:
    """Runs a plain function on the loop thread, where the producer's state lives."""
    return fn()


def _headers(headers: Any) -> list[tuple[str, bytes | None]] | None:
    if not headers:
        return None
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, v.encode() if isinstance(v, str) else v) for k, v in items]
