"""RecordAccumulator: the producer's per-partition queues of record batches (Java's RecordAccumulator).

append() adds a record to the open batch of its partition and closes the batch at batch.size. A head
batch is ready to send when it is closed, has a batch behind it, is older than linger.ms, or a flush is
on. Records without a key stick to one partition until its batch is closed or sent (KIP-480). The
accumulator also keeps the buffer.memory accounting and says when the producer is idle (no record
pending), which flush() waits for. It does no IO: the sender (sender.py) takes ready batches from here
and hands each back with release() once its records are acknowledged or failed.

Threads: the sync facade (sync_producer.py) appends from the application's thread, straight into the open
batch, while the sender works on the loop thread. Every method holds `lock` for its changes; a batch the
sender takes is closed (under the lock) before it is built, so no record can land in a built batch. With
`post` set, what append() must tell the loop (wake the sender, arm the linger timer) is posted to it.
"""

from __future__ import annotations

import asyncio
import copy
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from strom import _native
from strom.client.partitioner import partition_for_key
from strom.client.record_codec import BatchWriter
from strom.client.types import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, RecordMetadata
from strom.protocol.errors import KafkaError, LocalError
from strom.protocol.types import TP

# A completion: an asyncio future, or a callable(err, metadata) run on the loop thread, or None; with a
# batch report hook (`RecordAccumulator.report`) whatever the hook's owner stores (the sync facade: a tuple).
Completion = Any
# Bulk delivery reports: (batch, error, base_offset, log_append_time), once per batch, on the loop thread.
BatchReport = Callable[["ProducerBatch", "KafkaError | None", int, int], None]
Headers = Sequence[tuple[str, bytes | None]]
RECORD_OVERHEAD = 70  # batch header share + varints: a generous bound for the size checks


class Timer(Protocol):
    """The clock and timer of the producer's event loop (an asyncio loop is one)."""

    def time(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], object]) -> object: ...


def complete(entry: Completion, error: KafkaError | None, metadata: RecordMetadata | None) -> None:
    """Reports one record's outcome to whoever waits for it (a future or a delivery callback)."""
    if entry is None:
        return
    if isinstance(entry, asyncio.Future):
        if entry.done():
            return
        if error is not None:
            entry.set_exception(error)
        else:
            entry.set_result(metadata)
    else:
        entry(error, metadata)


class ProducerBatch:
    """The records of one partition that travel in one RecordBatch, with their completions.

    `data` is the built batch once the sender has given it a sequence number; it is kept across
    retries so the broker can recognise a resent batch as a duplicate."""

    __slots__ = ("tp", "builder", "entries", "created", "closed", "data", "sequence", "attempts", "retry_at", "nbytes", "report")

    def __init__(self, tp: TP, codec: int, now: float, report: BatchReport | None = None) -> None:
        self.tp = tp
        self.builder = BatchWriter(codec)
        self.entries: list[Completion] = []
        self.created = now
        self.closed = False
        self.data: bytes | None = None
        self.sequence = -1
        self.attempts = 0
        self.retry_at = 0.0
        self.nbytes = 0
        self.report = report  # set: the whole batch is reported at once, not record by record

    def complete(self, base_offset: int, append_time: int) -> None:
        """Delivery reports for an acknowledged batch: record i got offset base_offset + i."""
        if self.report is not None:
            self.report(self, None, base_offset, append_time)
            return
        topic, partition = self.tp
        for i, entry in enumerate(self.entries):
            if entry is None:
                continue  # nobody waits for this record's report: no metadata object to build
            offset = base_offset + i if base_offset >= 0 else -1
            complete(entry, None, RecordMetadata(topic, partition, offset, append_time))

    def fail(self, error: KafkaError) -> None:
        if self.report is not None:
            self.report(self, error, -1, -1)
            return
        self._fail_entries(error)

    def fail_records(self, record_errors: Mapping[int, KafkaError]) -> None:
        """KIP-467: the broker named the records it rejected (by index in the batch). Each of those gets its own
        error and every other record _INVALID_DIFFERENT_RECORD, as librdkafka reports them."""
        others = KafkaError(LocalError.INVALID_DIFFERENT_RECORD)
        groups = [(others, [None if i in record_errors else entry for i, entry in enumerate(self.entries)])]
        groups += [(error, [self.entries[i]]) for i, error in sorted(record_errors.items()) if 0 <= i < len(self.entries)]
        for error, entries in groups:
            part = copy.copy(self)
            part.entries = entries
            part.fail(error)

    def _fail_entries(self, error: KafkaError) -> None:
        # the partition is known: an error report names it, as librdkafka's does
        where = RecordMetadata(self.tp[0], self.tp[1], -1)
        for entry in self.entries:
            complete(entry, error, where)


class RecordAccumulator:
    def __init__(
        self,
        *,
        batch_size: int,
        linger: float,
        codec: int,
        buffer_memory: int,
        delivery_timeout: float,
        ignore_keys: bool,
        wake: Callable[[], None],
        on_new_batch: Callable[[TP], None] | None = None,
    ) -> None:
        self.batch_size = max(batch_size, 1)
        self.linger = linger
        self.codec = codec
        self.buffer_memory = buffer_memory
        self.delivery_timeout = delivery_timeout
        self.ignore_keys = ignore_keys
        self.wake = wake  # the sender has something to look at
        self.on_new_batch = on_new_batch  # the transactional producer adds the partition (AddPartitionsToTxn)
        self.timer: Timer | None = None  # the producer's loop, known once it starts
        self.batches: dict[TP, deque[ProducerBatch]] = {}
        self.sticky: dict[str, int] = {}  # topic -> partition records without a key go to now
        self.flushing = 0
        self.buffered_bytes = 0
        self.pending = 0  # records appended and not yet completed
        self.idle = asyncio.Event()
        self.idle.set()
        self.space = asyncio.Event()  # buffered_bytes is below buffer.memory
        self.space.set()
        self.idle_hook: Callable[[], None] | None = None  # the sync facade's flush() waits on it
        self.report: BatchReport | None = None  # bulk delivery reports (the sync facade)
        self.lock = threading.RLock()  # reentrant: a completion may append again
        self.post: Callable[[Callable[[], None]], None] | None = None  # runs a function on the loop thread

    def append(
        self,
        topic: str,
        partition: int | None,
        partition_count: int,
        value: bytes | None,
        key: bytes | None,
        timestamp: int | None,
        headers: Headers | None,
        size: int,
        completion: Completion,
    ) -> None:
        """Adds a record; `partition` None picks one (murmur2 of the key, or the sticky partition)."""
        with self.lock:
            self._append(topic, partition, partition_count, value, key, timestamp, headers, size, completion)

    def _append(
        self,
        topic: str,
        partition: int | None,
        partition_count: int,
        value: bytes | None,
        key: bytes | None,
        timestamp: int | None,
        headers: Headers | None,
        size: int,
        completion: Completion,
    ) -> None:
        if partition is None:
            if key is not None and not self.ignore_keys:
                partition = partition_for_key(key, partition_count)
            else:
                partition = self.sticky.get(topic)
                if partition is None or partition >= partition_count:
                    partition = self.sticky[topic] = random.randrange(partition_count)
        tp = (topic, partition)
        queue = self.batches.get(tp)
        if queue is None:
            queue = self.batches[tp] = deque()
        batch = queue[-1] if queue else None
        if batch is not None and not batch.closed and batch.builder.estimated_size + size > self.batch_size:
            batch.closed = True
        if batch is None or batch.closed:
            batch = self.new_batch(tp, queue)
        builder = batch.builder
        builder.append(value, key, timestamp, headers)
        batch.entries.append(completion)
        batch.nbytes += size
        self.buffered_bytes += size
        self.pending += 1
        if self.pending == 1:
            self.idle.clear()
        if builder.estimated_size >= self.batch_size:
            self.batch_full(batch, key is None)

    def batch_full(self, batch: ProducerBatch, keyless: bool) -> None:
        """The open batch reached batch.size: it is closed and ready, and null-key records move on."""
        batch.closed = True
        if keyless:
            self.sticky.pop(batch.tp[0], None)
        if self.post is None:
            self.wake()
        else:
            self.post(self.wake)

    def new_batch(self, tp: TP, queue: deque[ProducerBatch]) -> ProducerBatch:
        timer = self.timer
        assert timer is not None, "the producer has not started"
        batch = ProducerBatch(tp, self.codec, timer.time(), self.report)
        queue.append(batch)
        if self.post is None:
            self._opened(batch)
        else:
            self.post(lambda: self._opened(batch))
        return batch

    def _opened(self, batch: ProducerBatch) -> None:
        """Loop thread: a new batch waits linger.ms unless a batch is ahead of it (then it is ready at once)."""
        timer = self.timer
        assert timer is not None
        if self.on_new_batch is not None:
            self.on_new_batch(batch.tp)
        with self.lock:
            queue = self.batches.get(batch.tp)
            behind = queue is not None and len(queue) > 0 and queue[0] is not batch
        if self.linger == 0 or behind or batch.closed:
            self.wake()
        else:
            timer.call_at(batch.created + self.linger, self.wake)

    # -- the sender's side -------------------------------------------------------------------------

    def ready(self, now: float, muted: Callable[[TP], bool]) -> tuple[list[ProducerBatch], float]:
        """The head batches that may be sent now, and when the next one will be (linger or backoff).
        `muted(tp)` is the sender's say: a partition with too much in flight sends nothing."""
        ready: list[ProducerBatch] = []
        next_at = float("inf")
        with self.lock:
            for tp, queue in self.batches.items():
                if not queue or muted(tp):
                    continue
                batch = queue[0]
                if batch.retry_at > now:
                    next_at = min(next_at, batch.retry_at)
                    continue
                if not (batch.closed or len(queue) > 1 or self.flushing or now >= batch.created + self.linger):
                    next_at = min(next_at, batch.created + self.linger)
                    continue
                if not batch.closed:
                    self._close(batch)  # the sender builds it next: no record may join it any more
                ready.append(batch)
        return ready, next_at

    def _close(self, batch: ProducerBatch) -> None:
        batch.closed = True
        topic, partition = batch.tp
        if self.sticky.get(topic) == partition:
            del self.sticky[topic]

    def drained(self, batch: ProducerBatch) -> None:
        """The sender took the head batch of its partition: it is closed, and null-key records move on."""
        with self.lock:
            self.batches[batch.tp].popleft()
            self._close(batch)

    def expire(self, now: float, in_flight: Mapping[TP, int]) -> float:
        """Fails batches older than delivery.timeout.ms whose partition has nothing in flight; returns
        when the next one expires."""
        with self.lock:
            next_at = float("inf")
            for tp, queue in self.batches.items():
                while queue and not in_flight.get(tp) and queue[0].created + self.delivery_timeout <= now:
                    batch = queue.popleft()
                    self.fail(batch, _expired(len(batch.entries), tp))
                if queue:
                    next_at = min(next_at, queue[0].created + self.delivery_timeout)
            return next_at

    def reenqueue(self, batch: ProducerBatch) -> None:
        """Puts a failed batch back before the unsent ones, sent batches in sequence order (as Java does)."""
        with self.lock:
            queue = self.batches[batch.tp]
            resent = sorted([b for b in queue if b.data is not None] + [batch], key=lambda b: b.sequence)
            fresh = [b for b in queue if b.data is None]
            queue.clear()
            queue.extend(resent)
            queue.extend(fresh)

    def discard_built(self) -> None:
        """Every queued batch gets a new sequence (and is built again) under the next producer id."""
        with self.lock:
            for queue in self.batches.values():
                for batch in queue:
                    batch.data = None

    def purge_unsent(self, error: KafkaError) -> None:
        """Fails batches that never left (no sequence number spent); batches awaiting a retry stay."""
        with self.lock:
            for queue in self.batches.values():
                keep = [b for b in queue if b.data is not None]
                for batch in queue:
                    if batch.data is None:
                        self.fail(batch, error)
                queue.clear()
                queue.extend(keep)

    def fail_all(self, error: KafkaError) -> None:
        """Nothing queued may be sent any more (fenced, or the producer closes)."""
        with self.lock:
            for queue in self.batches.values():
                for batch in queue:
                    self.fail(batch, error)
                queue.clear()

    def fail(self, batch: ProducerBatch, error: KafkaError, record_errors: Mapping[int, KafkaError] | None = None) -> None:
        if record_errors:
            batch.fail_records(record_errors)
        else:
            batch.fail(error)
        self.release(batch)

    def release(self, batch: ProducerBatch) -> None:
        """A batch is done (delivered or failed): its records and bytes leave the accounting."""
        with self.lock:
            self.pending -= len(batch.entries)
            self.buffered_bytes -= batch.nbytes
            if self.buffered_bytes < self.buffer_memory:
                self.space.set()
            if self.pending == 0:
                self.idle.set()
                if self.idle_hook is not None:
                    self.idle_hook()


def append_record(
    acc: RecordAccumulator,
    topics: Mapping[str, Any],
    topic: str,
    value: Any,
    key: Any,
    partition: int,
    timestamp: int | None,
    headers: Any,
    cb: Callable[..., Any] | None,
    max_request_size: int,
) -> bool:
    """The sync facade's produce(): one record straight into its partition's open batch, from the
    application's thread (the caller holds `acc.lock`). False, with nothing done, when the record needs the
    full path on the loop thread: topic metadata not known yet, a partition out of range, a record larger
    than max.request.size, a key or value that is not bytes or str (the full path reports the error).

    `topics` is the client's metadata (topic -> info with `partitions`); `partition` < 0 lets the
    partitioner choose. The compiled twin (_fast_codec.append_record) does the same without a Python
    object per record."""
    encoded_value, encoded_key = value, key
    if value is not None and value.__class__ is not bytes:
        if value.__class__ is not str:
            return False
        encoded_value = value.encode()
    if key is not None and key.__class__ is not bytes:
        if key.__class__ is not str:
            return False
        encoded_key = key.encode()
    info = topics.get(topic)
    if info is None:
        return False
    n = len(info.partitions)
    if n == 0 or partition >= n:
        return False
    size = RECORD_OVERHEAD + (len(encoded_key) if encoded_key is not None else 0) + (len(encoded_value) if encoded_value is not None else 0)
    record_headers = None
    if headers:
        record_headers = record_header_list(headers)
        size += sum(len(k) + len(v or b"") for k, v in record_headers)
    if size > max_request_size:
        return False
    entry = None if cb is None else (cb, key, value, headers, timestamp)  # the record as given, for its report
    acc._append(topic, partition if partition >= 0 else None, n, encoded_value, encoded_key, timestamp, record_headers, size, entry)
    return True


def record_header_list(headers: Any) -> list[tuple[str, bytes | None]]:
    """Headers as the batch writer takes them: (name, bytes or None) pairs, from a list or a mapping."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, v.encode() if isinstance(v, str) else v) for k, v in items]


def deliver_batch(
    entries: list[Completion], tp: TP, error: KafkaError | None, base_offset: int, append_time: int, message_cls: Callable[..., Any]
) -> int:
    """Application thread: the delivery reports of a finished batch, record i at base_offset + i; returns
    how many records the batch had. An entry is None (no callback), a tuple starting (callback, key, value, headers,
    timestamp) tuple from append_record, or a completion callable from the full path. Each entry is cleared
    before its callback runs, so a callback that raises can be followed by serving the rest again."""
    topic, partition = tp
    for i in range(len(entries)):
        entry = entries[i]
        if entry is None:
            continue
        entries[i] = None
        if isinstance(entry, tuple):
            cb, key, value, headers, ts = entry[:5]
            record_headers = record_header_list(headers) if headers else None
            if error is None:
                offset = base_offset + i if base_offset >= 0 else -1
                stamp = (TIMESTAMP_LOG_APPEND_TIME, append_time) if append_time >= 0 else (TIMESTAMP_CREATE_TIME, ts or -1)
                msg = message_cls(topic, partition, offset, key, value, record_headers, stamp)
            else:
                msg = message_cls(topic, partition, None, key, value, record_headers, error=error)  # as confluent: no offset
            cb(error, msg)
        elif error is None:
            entry(None, RecordMetadata(topic, partition, base_offset + i if base_offset >= 0 else -1, append_time))
        else:  # the partition is known: the error report names it, as librdkafka's does
            entry(error, RecordMetadata(topic, partition, -1))
    return len(entries)


py_append_record = append_record  # the references; the compiled twins replace them when built
py_deliver_batch = deliver_batch
_fast = _native.load("strom.client._fast_codec")
if _fast is not None:
    append_record = _fast.append_record  # noqa: F811 - same contract, compiled
    deliver_batch = _fast.deliver_batch  # noqa: F811


def _expired(records: int, tp: TP) -> KafkaError:
    """librdkafka's _MSG_TIMED_OUT ("Local: Message timed out"), what confluent-style code checks for."""
    return KafkaError(
        LocalError.MSG_TIMED_OUT, f"Local: Message timed out: {records} record(s) for {tp[0]}-{tp[1]} not sent in delivery.timeout.ms"
    )
