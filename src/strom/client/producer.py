"""Async producer: per-partition accumulators, one sender task, idempotent retries.

Records go into a per-partition queue of batches (linger.ms, batch.size); the sender task sends the
ready head batch of every partition, grouped into one Produce request per leader, with at most
max.in.flight.requests.per.connection requests per broker and as many batches per partition in flight.
With the idempotent producer (the default) every batch keeps its producer id, epoch and sequence across
retries and the broker drops duplicates. When a batch fails with a retriable error, the batches sent
after it come back OUT_OF_ORDER_SEQUENCE_NUMBER; all of them are queued again in sequence order and
resent once the partition has nothing in flight (Java's rule): no loss, no duplicate, no reordering.

With `transactional.id` the batches also carry the transactional flag, and a partition's first batch
of a transaction waits until the coordinator has the partition (AddPartitionsToTxn; transactions.py).

Partitioning is Java's: murmur2 of the key, and a sticky partition per batch for null keys (KIP-480).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from strom.client.cluster import Cluster
from strom.client.config import acks_value, resolve
from strom.client.partitioner import partition_for_key
from strom.client.record_codec import BatchWriter, mark_transactional
from strom.client.transactions import ConsumerGroupMetadata, TransactionError, TransactionManager, TxnState, offsets_request
from strom.client.types import RecordMetadata
from strom.protocol.compression import CODEC_IDS
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema.init_producer_id import InitProducerIdRequest
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, TopicProduceData

log = logging.getLogger("strom.client.producer")

TP = tuple[str, int]
# A completion: an asyncio future, or a callable(err, metadata) run on the loop thread, or None.
Completion = Any
RECORD_OVERHEAD = 70  # batch header share + varints: a generous bound for the size checks


class _Batch:
    __slots__ = ("tp", "builder", "entries", "created", "closed", "data", "sequence", "attempts", "retry_at", "nbytes")

    def __init__(self, tp: TP, codec: int, now: float) -> None:
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


def _legacy_config(bootstrap: str, kw: dict[str, Any]) -> dict[str, Any]:
    """The keyword form the first CLI tools used: AsyncProducer("host:port", acks=1, linger_ms=5, ...)."""
    conf: dict[str, Any] = {"bootstrap.servers": bootstrap}
    for name, value in kw.items():
        key = name.replace("_", ".")
        if key == "acks":
            value = "all" if value in (-1, "all", "-1") else str(value)
        conf[key] = value
    return conf


class AsyncProducer:
    def __init__(self, config: Mapping[str, Any] | str | None = None, **kw: Any) -> None:
        conf = _legacy_config(config, kw) if isinstance(config, str) else {**(config or {}), **kw}
        if isinstance(config, str) and "enable.idempotence" not in conf and conf.get("acks", "all") != "all":
            conf["enable.idempotence"] = False
        self.config = c = resolve("producer", conf)
        self.cluster = Cluster(c["bootstrap.servers"], c["client.id"], c["request.timeout.ms"], c["retry.backoff.ms"])
        self.cluster.on_error = c["error_cb"]
        self.acks = acks_value(c["acks"])
        self.linger = c["linger.ms"] / 1000
        self.batch_size = max(c["batch.size"], 1)
        self.codec = CODEC_IDS[c["compression.type"]]
        self.timeout_ms = c["request.timeout.ms"]
        self.delivery_timeout = c["delivery.timeout.ms"] / 1000
        self.retries = c["retries"]
        self.backoff = c["retry.backoff.ms"] / 1000
        self.max_in_flight = c["max.in.flight.requests.per.connection"]
        self.max_request_size = c["max.request.size"]
        self.buffer_memory = c["buffer.memory"]
        self.idempotent = c["enable.idempotence"]
        self.key_serializer: Callable[[Any], Any] | None = c["key.serializer"]
        self.value_serializer: Callable[[Any], Any] | None = c["value.serializer"]
        self._batches: dict[TP, deque[_Batch]] = {}
        self._sticky: dict[str, int] = {}
        self._in_flight: dict[TP, int] = {}  # batches in flight per partition (at most max.in.flight)
        self._draining: set[TP] = set()  # a batch failed: resend in sequence order once nothing is in flight
        self._requests_in_flight: dict[int, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.idle_hook: Callable[[], None] | None = None  # the sync facade's flush() waits on it
        self._sender: asyncio.Task[None] | None = None
        self._refreshing: asyncio.Task[Any] | None = None
        self._flushing = 0
        self._closed = False
        self.buffered_bytes = 0
        self.pending = 0  # records appended and not yet completed
        self._idle: asyncio.Event | None = None
        self._space: asyncio.Event | None = None
        self._producer_id = -1
        self._producer_epoch = -1
        self._sequences: dict[TP, int] = {}
        self.txn: TransactionManager | None = None
        if c["transactional.id"] is not None:
            self.txn = TransactionManager(self.cluster, c["transactional.id"], c["transaction.timeout.ms"], self.backoff)
            self.txn.kick = self._kick
            self.txn.on_error = self._fail_queued
            self.txn.on_abortable = self._purge_unsent

    # -- public API --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connects and (idempotent producer) gets a producer id; send() calls it on first use."""
        if self._sender is None:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._idle = asyncio.Event()
            self._idle.set()
            self._space = asyncio.Event()
            self._space.set()
            self._sender = asyncio.ensure_future(self._run())

    async def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Sequence[tuple[str, bytes | None]] | Mapping[str, bytes | None] | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        """Queues a record; the returned future resolves to its RecordMetadata when acknowledged."""
        if self.txn is not None:
            self.txn.require("send", TxnState.IN_TRANSACTION)
        fut: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        if self.key_serializer is not None:
            key = self.key_serializer(key)
        if self.value_serializer is not None:
            value = self.value_serializer(value)
        await self.start()
        await self.wait_for_topic(topic)
        assert self._space is not None
        if self.buffered_bytes >= self.buffer_memory:
            self._space.clear()
            try:
                await asyncio.wait_for(self._space.wait(), self.config["max.block.ms"] / 1000)
            except TimeoutError:
                raise KafkaError(ErrorCode.REQUEST_TIMED_OUT, "buffer.memory is full (max.block.ms elapsed)") from None
        self.append(topic, value, key, partition, timestamp, headers, fut)
        return fut

    async def send_and_wait(self, topic: str, value: Any = None, key: Any = None, **kw: Any) -> RecordMetadata:
        return await (await self.send(topic, value, key, **kw))

    async def wait_for_topic(self, topic: str) -> int:
        """Partition count of `topic`, fetching metadata (and auto-creating as the broker allows)."""
        info = self.cluster.topics.get(topic)
        if info is not None and info.partitions:
            return len(info.partitions)
        deadline = asyncio.get_running_loop().time() + self.config["max.block.ms"] / 1000
        while True:
            try:
                await self.cluster.refresh([topic], allow_auto_create=True)
            except KafkaError as exc:
                # no broker answers (yet): wait up to max.block.ms, as Java's send() does
                if not exc.retriable or asyncio.get_running_loop().time() + self.backoff > deadline:
                    raise
                await asyncio.sleep(self.backoff)
                continue
            info = self.cluster.topics.get(topic)
            if info is not None and info.partitions:
                return len(info.partitions)
            code = self.cluster.topic_errors.get(topic, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            if code not in (ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) or (
                asyncio.get_running_loop().time() + self.backoff > deadline
            ):
                raise KafkaError(code, f"topic {topic} is not available: {KafkaError(code).message}")
            await asyncio.sleep(self.backoff)

    async def partitions_for(self, topic: str) -> list[int]:
        await self.wait_for_topic(topic)
        return sorted(self.cluster.topics[topic].partitions)

    def append(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        partition: int | None,
        timestamp: int | None,
        headers: Sequence[tuple[str, bytes | None]] | Mapping[str, bytes | None] | None,
        completion: Completion,
    ) -> None:
        """Adds a record to its partition's batch (topic metadata must be known). Runs on the loop."""
        if self._closed:
            _complete(completion, KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "producer is closed"), None)
            return
        if self.txn is not None and self.txn.state is not TxnState.IN_TRANSACTION:
            try:
                self.txn.require("produce", TxnState.IN_TRANSACTION)
            except KafkaError as exc:
                _complete(completion, exc, None)
                return
        if headers:
            items = headers.items() if isinstance(headers, Mapping) else headers
            headers = [(k, v.encode() if isinstance(v, str) else v) for k, v in items]
        else:
            headers = None
        if value.__class__ is not bytes and value is not None:
            value = value.encode() if isinstance(value, str) else bytes(value)
        if key.__class__ is not bytes and key is not None:
            key = key.encode() if isinstance(key, str) else bytes(key)
        info = self.cluster.topics.get(topic)
        n = len(info.partitions) if info is not None else 0
        if n == 0:
            self._reject(completion, KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic {topic} does not exist"))
            return
        size = RECORD_OVERHEAD + (len(key) if key else 0) + (len(value) if value else 0)
        if headers:
            size += sum(len(k) + len(v or b"") for k, v in headers)
        if size > self.max_request_size:
            self._reject(
                completion,
                KafkaError(ErrorCode.MESSAGE_TOO_LARGE, f"record of {size} bytes is larger than max.request.size {self.max_request_size}"),
            )
            return
        if partition is None or partition < 0:
            if key is not None and not self.config["partitioner.ignore.keys"]:
                partition = partition_for_key(key, n)
            else:
                partition = self._sticky.get(topic)
                if partition is None or partition >= n:
                    partition = self._sticky[topic] = random.randrange(n)
        elif partition >= n:
            self._reject(completion, KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"partition {topic}-{partition} does not exist"))
            return
        tp = (topic, partition)
        queue = self._batches.get(tp)
        if queue is None:
            queue = self._batches[tp] = deque()
        batch = queue[-1] if queue and not queue[-1].closed else None
        if batch is not None and batch.builder.estimated_size + size > self.batch_size:
            batch.closed = True
            batch = None
        if batch is None:
            loop = self._loop
            assert loop is not None
            now = loop.time()
            batch = _Batch(tp, self.codec, now)
            queue.append(batch)
            if self.txn is not None and tp not in self.txn.added:
                self.txn.may_send(tp)  # AddPartitionsToTxn now, overlapping linger.ms (as Java's send() does)
            if self.linger == 0 or len(queue) > 1:
                self._kick()
            else:
                loop.call_at(now + self.linger, self._kick)
        batch.builder.append(value, key, timestamp, headers)
        batch.entries.append(completion)
        batch.nbytes += size
        self.buffered_bytes += size
        self.pending += 1
        if self.pending == 1:
            self._idle.clear()  # type: ignore[union-attr]
        if batch.builder.estimated_size >= self.batch_size:
            batch.closed = True
            if key is None:
                self._sticky.pop(topic, None)
            self._kick()

    def _reject(self, completion: Completion, error: KafkaError) -> None:
        """A record that cannot be sent at all; inside a transaction it makes the transaction abortable."""
        if self.txn is not None:
            self.txn.set_abortable(error)
        _complete(completion, error, None)

    async def flush(self, timeout: float | None = None) -> int:
        """Sends everything queued now and waits for it; returns how many records are still pending."""
        if self._sender is None:
            return 0
        assert self._idle is not None
        self._flushing += 1
        try:
            self._kick()
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except TimeoutError:
                pass
        finally:
            self._flushing -= 1
        return self.pending

    async def close(self, timeout: float | None = None) -> None:
        if self._sender is not None and not self._closed:
            await self.flush(timeout)
        self._closed = True
        self._kick()
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for queue in self._batches.values():
            for batch in queue:
                self._finish(batch, KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "producer closed before delivery"))
        self._batches.clear()
        self.cluster.close()

    # -- transactions (confluent-kafka's names; timeouts in seconds, None = max.block.ms as in Java) ----

    def _transactional(self, operation: str) -> TransactionManager:
        if self.txn is None:
            raise TransactionError(ErrorCode.INVALID_TXN_STATE, f"{operation} needs 'transactional.id' in the configuration", fatal=True)
        return self.txn

    def _deadline(self, timeout: float | None) -> float:
        assert self.txn is not None
        span = self.config["max.block.ms"] / 1000 if timeout is None or timeout < 0 else timeout  # Java's bound
        return asyncio.get_running_loop().time() + span

    async def init_transactions(self, timeout: float | None = None) -> None:
        """Registers the transactional.id with its coordinator and gets the producer id and a new epoch:
        older producers with the same id are fenced and their open transaction is aborted. A timeout
        raises a retriable error; calling again continues."""
        txn = self._transactional("init_transactions")
        await self.start()
        txn.require("init_transactions", TxnState.UNINITIALIZED, TxnState.INITIALIZING)
        txn.state = TxnState.INITIALIZING
        await txn.init_producer_id(self._deadline(timeout))
        self._use_producer_id(txn.producer_id, txn.producer_epoch)
        txn.state = TxnState.READY

    def begin_transaction(self) -> None:
        """Starts a transaction: records sent from now on commit or abort together."""
        self._transactional("begin_transaction").begin()

    async def send_offsets_to_transaction(
        self, offsets: Sequence[Any], group_metadata: ConsumerGroupMetadata | str, timeout: float | None = None
    ) -> None:
        """Commits a consumer's offsets (TopicPartitions: the next offset to read) as part of the
        transaction, so consuming and producing commit or abort together (exactly once)."""
        txn = self._transactional("send_offsets_to_transaction")
        txn.require("send_offsets_to_transaction", TxnState.IN_TRANSACTION)
        group = ConsumerGroupMetadata(group_metadata) if isinstance(group_metadata, str) else group_metadata
        if not isinstance(group, ConsumerGroupMetadata):
            raise TypeError("group_metadata must come from Consumer.consumer_group_metadata()")
        request = offsets_request(offsets)
        deadline = self._deadline(timeout)
        await txn.add_offsets(group.group_id, deadline)
        await txn.commit_offsets(request, group, deadline)

    async def commit_transaction(self, timeout: float | None = None) -> None:
        """Sends every record of the transaction, then commits it. Raises an abortable error if any
        record failed (call abort_transaction), a retriable one on timeout (call commit again)."""
        txn = self._transactional("commit_transaction")
        txn.require("commit_transaction", TxnState.IN_TRANSACTION, TxnState.COMMITTING)
        txn.state = TxnState.COMMITTING
        deadline = self._deadline(timeout)
        await self._settle(txn, deadline, "commit_transaction")
        txn.require("commit_transaction", TxnState.COMMITTING)  # a record failed: abortable (or fatal)
        if txn.started:
            await txn.end(True, deadline)
        txn.completed()

    async def abort_transaction(self, timeout: float | None = None) -> None:
        """Drops the records not sent yet (their reports carry the abort), waits for those in flight,
        and aborts: read_committed consumers never see any record of the transaction."""
        txn = self._transactional("abort_transaction")
        txn.require("abort_transaction", TxnState.IN_TRANSACTION, TxnState.ABORTING, TxnState.ABORTABLE_ERROR)
        txn.state = TxnState.ABORTING
        deadline = self._deadline(timeout)
        self._purge_unsent(TransactionError(ErrorCode.TRANSACTION_ABORTABLE, "the transaction was aborted before the record was sent"))
        await self._settle(txn, deadline, "abort_transaction")
        if txn.state is TxnState.FATAL_ERROR:
            txn.require("abort_transaction")
        txn.state = TxnState.ABORTING
        if txn.started:
            await txn.end(False, deadline)
        if txn.epoch_bump_required:
            # a failed batch left its partition's sequence state unknown: continue with a new epoch
            await txn.init_producer_id(deadline, bump=True)
            self._use_producer_id(txn.producer_id, txn.producer_epoch)
        txn.completed()

    async def _settle(self, txn: TransactionManager, deadline: float, operation: str) -> None:
        """Waits until every record of the transaction is acknowledged or failed, and for AddPartitionsToTxn."""
        left = await self.flush(max(deadline - asyncio.get_running_loop().time(), 0))
        if left:
            raise TransactionError(
                ErrorCode.REQUEST_TIMED_OUT, f"{operation}: {left} record(s) still in flight; call it again", retriable=True
            )
        await txn.wait_adding()

    def _use_producer_id(self, producer_id: int, epoch: int) -> None:
        """A new producer id or epoch starts every partition's sequence at 0 again."""
        self._producer_id, self._producer_epoch = producer_id, epoch
        self._sequences.clear()
        self._kick()

    def _purge_unsent(self, error: KafkaError) -> None:
        """Fails batches that never left (no sequence number spent); batches awaiting a retry stay."""
        for queue in self._batches.values():
            keep = [b for b in queue if b.data is not None]
            for batch in queue:
                if batch.data is None:
                    self._finish(batch, error)
            queue.clear()
            queue.extend(keep)

    def _fail_queued(self, error: KafkaError) -> None:
        """A fatal error (fenced): nothing queued may be sent any more."""
        for queue in self._batches.values():
            for batch in queue:
                self._finish(batch, error)
            queue.clear()

    # -- sender ------------------------------------------------------------------------------------

    def _kick(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while not self._closed:
            self._wake.clear()
            if self.idempotent and self._producer_id < 0 and self.txn is None:
                await self._init_producer_id()
            now = loop.time()
            next_at = self._expire(now)
            ready: dict[int, list[_Batch]] = {}
            stale: list[str] = []
            for tp, queue in self._batches.items():
                if not queue:
                    continue
                in_flight = self._in_flight.get(tp, 0)
                if in_flight >= self.max_in_flight or (in_flight and tp in self._draining):
                    continue
                self._draining.discard(tp)
                batch = queue[0]
                if batch.retry_at > now:
                    next_at = min(next_at, batch.retry_at)
                    continue
                if not (batch.closed or len(queue) > 1 or self._flushing or now >= batch.created + self.linger):
                    next_at = min(next_at, batch.created + self.linger)
                    continue
                if self.txn is not None and not self.txn.may_send(tp):
                    continue  # AddPartitionsToTxn first; it kicks the sender when done
                leader = self.cluster.leader_of(*tp)
                if leader is None:
                    stale.append(tp[0])
                    continue
                ready.setdefault(leader, []).append(batch)
            if stale:
                self._refresh(stale)
            for leader, batches in ready.items():
                if self._dispatch(leader, batches):
                    self._wake.set()  # the next batch of a partition may go out in the next request
            timeout = None if next_at == float("inf") else max(next_at - loop.time(), 0.0005)
            await wait_event(self._wake, timeout)

    def _expire(self, now: float) -> float:
        """Fails batches older than delivery.timeout.ms that are not in flight; returns the next expiry."""
        next_at = float("inf")
        for tp, queue in self._batches.items():
            while queue and not self._in_flight.get(tp) and queue[0].created + self.delivery_timeout <= now:
                batch = queue.popleft()
                self._finish(batch, KafkaError(ErrorCode.REQUEST_TIMED_OUT, f"{len(batch.entries)} record(s) for {tp[0]}-{tp[1]} expired"))
            if queue:
                next_at = min(next_at, queue[0].created + self.delivery_timeout)
        return next_at

    def _refresh(self, topics: list[str]) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._refresh_then_kick(topics))

    async def _refresh_then_kick(self, topics: list[str]) -> None:
        try:
            await self.cluster.refresh(sorted(set(topics)))
        except KafkaError as exc:
            log.debug("metadata refresh failed: %s", exc)
            await asyncio.sleep(self.backoff)
        self._kick()

    async def _init_producer_id(self) -> None:
        try:
            conn = await self.cluster.any_connection()
            if 22 not in conn.versions:
                log.warning("broker has no InitProducerId: idempotence disabled")
                self.idempotent = False
                return
            resp = await conn.send(InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=-1))
            if resp.error_code:
                raise KafkaError(resp.error_code)
            self._producer_id, self._producer_epoch = resp.producer_id, resp.producer_epoch
        except KafkaError as exc:
            log.debug("InitProducerId failed: %s", exc)
            await asyncio.sleep(self.backoff)

    def _dispatch(self, leader: int, batches: list[_Batch]) -> bool:
        """Sends up to one request's worth of batches to `leader` if it has an in-flight slot."""
        if self._requests_in_flight.get(leader, 0) >= self.max_in_flight:
            return False
        chosen: list[_Batch] = []
        total = 0
        for batch in batches:
            if batch.data is None:
                if self.idempotent:
                    seq = self._sequences.get(batch.tp, 0)
                    batch.builder.producer_id = self._producer_id
                    batch.builder.producer_epoch = self._producer_epoch
                    batch.builder.base_sequence = seq
                    batch.sequence = seq
                    self._sequences[batch.tp] = (seq + len(batch.entries)) & 0x7FFFFFFF
                batch.data = batch.builder.build()
                if self.txn is not None:
                    batch.data = mark_transactional(batch.data)
            if chosen and total + len(batch.data) > self.max_request_size:
                break
            chosen.append(batch)
            total += len(batch.data)
        for batch in chosen:
            self._batches[batch.tp].popleft()
            self._in_flight[batch.tp] = self._in_flight.get(batch.tp, 0) + 1
            batch.closed = True
            if batch.tp[0] in self._sticky and self._sticky[batch.tp[0]] == batch.tp[1]:
                self._sticky.pop(batch.tp[0])
        self._requests_in_flight[leader] = self._requests_in_flight.get(leader, 0) + 1
        task = asyncio.ensure_future(self._produce(leader, chosen))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _produce(self, leader: int, batches: list[_Batch]) -> None:
        topics: dict[str, list[PartitionProduceData]] = {}
        for batch in batches:
            topics.setdefault(batch.tp[0], []).append(PartitionProduceData(index=batch.tp[1], records=batch.data))
        request = ProduceRequest(
            transactional_id=None if self.txn is None else self.txn.transactional_id,
            acks=self.acks,
            timeout_ms=self.timeout_ms,
            topic_data=[TopicProduceData(name=t, partition_data=ps) for t, ps in topics.items()],
        )
        results: dict[TP, tuple[int, str | None, int, int]] = {}
        try:
            conn = await self.cluster.connection(leader)
            response = await conn.send(request, expect_response=self.acks != 0)
            if response is None:
                results = {b.tp: (0, None, -1, -1) for b in batches}
            else:
                for t in response.responses:
                    for p in t.partition_responses:
                        results[(t.name, p.index)] = (p.error_code, p.error_message, p.base_offset, p.log_append_time_ms)
        except KafkaError as exc:
            results = {b.tp: (exc.code if exc.code else ErrorCode.NETWORK_EXCEPTION, exc.message, -1, -1) for b in batches}
        finally:
            self._requests_in_flight[leader] -= 1
        refresh: list[str] = []
        for batch in batches:
            code, message, base_offset, append_time = results.get(batch.tp, (ErrorCode.UNKNOWN_SERVER_ERROR, "no result", -1, -1))
            self._in_flight[batch.tp] -= 1
            if code in (0, ErrorCode.DUPLICATE_SEQUENCE_NUMBER):
                self._deliver(batch, base_offset, append_time)
                continue
            error = KafkaError(code, message)
            batch.attempts += 1
            expired = asyncio.get_running_loop().time() >= batch.created + self.delivery_timeout
            # an earlier batch of this partition failed, so the broker saw a gap: this one goes again too
            follows_failure = code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER and batch.tp in self._draining
            if (error.retriable or follows_failure) and batch.attempts <= self.retries and not expired:
                backoff = min(self.backoff * (2 ** (batch.attempts - 1)), self.config["retry.backoff.max.ms"] / 1000)
                batch.retry_at = asyncio.get_running_loop().time() + backoff
                self._requeue(batch)
                refresh.append(batch.tp[0])
                continue
            if self.txn is not None:
                self.txn.batch_failed(error)  # the transaction can only abort now (or is fenced)
            elif self.idempotent:
                # a failed batch leaves a gap: later batches of this partition would be out of order
                self._reset_sequences(batch.tp)
            self._finish(batch, error)
        if refresh:
            self._refresh(refresh)
        self._kick()

    def _requeue(self, batch: _Batch) -> None:
        """Puts a failed batch back before the unsent ones, sent batches in sequence order (as Java does)."""
        queue = self._batches[batch.tp]
        resent = sorted([b for b in queue if b.data is not None] + [batch], key=lambda b: b.sequence)
        fresh = [b for b in queue if b.data is None]
        queue.clear()
        queue.extend(resent)
        queue.extend(fresh)
        self._draining.add(batch.tp)

    def _reset_sequences(self, tp: TP) -> None:
        """After a fatal batch error the broker's sequence state is unknown: start a new producer id."""
        self._producer_id = -1
        self._sequences.clear()
        for queue in self._batches.values():
            for batch in queue:
                batch.data = None

    def _deliver(self, batch: _Batch, base_offset: int, append_time: int) -> None:
        topic, partition = batch.tp
        for i, entry in enumerate(batch.entries):
            if entry is None:
                continue  # nobody waits for this record's report: no metadata object to build
            offset = base_offset + i if base_offset >= 0 else -1
            _complete(entry, None, RecordMetadata(topic, partition, offset, append_time))
        self._done(batch)

    def _finish(self, batch: _Batch, error: KafkaError) -> None:
        for entry in batch.entries:
            _complete(entry, error, None)
        self._done(batch)

    def _done(self, batch: _Batch) -> None:
        self.pending -= len(batch.entries)
        self.buffered_bytes -= batch.nbytes
        if self._space is not None and self.buffered_bytes < self.buffer_memory:
            self._space.set()
        if self.pending == 0 and self._idle is not None:
            self._idle.set()
            if self.idle_hook is not None:
                self.idle_hook()


async def wait_event(event: asyncio.Event, timeout: float | None) -> None:
    """Waits for `event` at most `timeout` seconds. Unlike asyncio.wait_for on Python 3.11, it never
    swallows a cancellation, and it needs no extra task per wait."""
    if timeout is None:
        await event.wait()
        return
    handle = asyncio.get_running_loop().call_later(timeout, event.set)
    try:
        await event.wait()
    finally:
        handle.cancel()


def _complete(entry: Completion, error: KafkaError | None, metadata: RecordMetadata | None) -> None:
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
