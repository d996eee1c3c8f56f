"""Async producer: confluent-kafka's and aiokafka's producer API over an accumulator and a sender.

send()/append() check a record, pick its partition and add it to the record accumulator
(accumulator.py: per-partition batches, linger.ms, batch.size, the sticky partition); the sender task
(sender.py) produces ready batches to the leaders: in-flight limits, retries with the same sequence
numbers (idempotence is on by default), delivery reports. With `transactional.id` the producer also
drives the transaction manager (transactions.py): a partition's first batch of a transaction waits
until the coordinator has the partition (AddPartitionsToTxn).

Partitioning is Java's: murmur2 of the key, and a sticky partition per batch for null keys (KIP-480).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from strom.client.accumulator import RECORD_OVERHEAD, Completion, RecordAccumulator, complete
from strom.client.cluster import Cluster, channel_security
from strom.client.config import acks_value, resolve, sasl_login
from strom.client.reconnect_backoff import ReconnectBackoff
from strom.client.sender import Sender, SenderConfig
from strom.client.transactions import TransactionError, TransactionManager, TxnState, offsets_request
from strom.client.types import ConsumerGroupMetadata, RecordMetadata
from strom.protocol.compression import CODEC_IDS
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.types import TP

log = logging.getLogger("strom.client.producer")


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
    """The asyncio producer: validates and partitions records into the accumulator; the sender sends them."""

    def __init__(self, config: Mapping[str, Any] | str | None = None, **kw: Any) -> None:
        conf = _legacy_config(config, kw) if isinstance(config, str) else {**(config or {}), **kw}
        if isinstance(config, str) and "enable.idempotence" not in conf and conf.get("acks", "all") != "all":
            conf["enable.idempotence"] = False
        self.config = c = resolve("producer", conf)
        self.cluster = Cluster(
            c["bootstrap.servers"], c["client.id"], c["request.timeout.ms"], c["retry.backoff.ms"], sasl_login(c), channel_security(c)
        )
        self.cluster.on_error = c["error_cb"]
        self.cluster.socket_keepalive = c["socket.keepalive.enable"]
        self.cluster.reconnect_backoff = ReconnectBackoff.from_config(c)
        self.max_request_size: int = c["max.request.size"]
        self.key_serializer: Callable[[Any], Any] | None = c["key.serializer"]
        self.value_serializer: Callable[[Any], Any] | None = c["value.serializer"]
        self.txn: TransactionManager | None = None
        if c["transactional.id"] is not None:
            self.txn = TransactionManager(self.cluster, c["transactional.id"], c["transaction.timeout.ms"], c["retry.backoff.ms"] / 1000)
            self.txn.kick = self._kick
            self.txn.on_error = self._fail_queued
            self.txn.on_abortable = self._purge_unsent
        self.accumulator = RecordAccumulator(
            batch_size=c["batch.size"],
            linger=c["linger.ms"] / 1000,
            codec=CODEC_IDS[c["compression.type"]],
            buffer_memory=c["buffer.memory"],
            delivery_timeout=c["delivery.timeout.ms"] / 1000,
            ignore_keys=c["partitioner.ignore.keys"],
            wake=self._kick,
            on_new_batch=None if self.txn is None else self._add_partition,
        )
        self._accumulate = self.accumulator.append  # bound once: append() runs per record
        self.sender = Sender(self.accumulator, self.cluster, sender_config(c), idempotent=c["enable.idempotence"], txn=self.txn)
        self._sender_task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def pending(self) -> int:
        """Records appended and not yet completed."""
        return self.accumulator.pending

    @property
    def buffered_bytes(self) -> int:
        return self.accumulator.buffered_bytes

    @property
    def buffer_memory(self) -> int:
        return self.accumulator.buffer_memory

    @property
    def idle_hook(self) -> Callable[[], None] | None:
        """Called on the loop whenever the last pending record completes (the sync facade's flush waits on it)."""
        return self.accumulator.idle_hook

    @idle_hook.setter
    def idle_hook(self, hook: Callable[[], None] | None) -> None:
        self.accumulator.idle_hook = hook

    # -- public API --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connects and (idempotent producer) gets a producer id; send() calls it on first use."""
        if self._sender_task is None:
            self.accumulator.timer = asyncio.get_running_loop()
            self._sender_task = asyncio.ensure_future(self.sender.run())

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
        acc = self.accumulator
        if acc.buffered_bytes >= acc.buffer_memory:
            acc.space.clear()
            try:
                await asyncio.wait_for(acc.space.wait(), self.config["max.block.ms"] / 1000)
            except TimeoutError:
                raise KafkaError(ErrorCode.REQUEST_TIMED_OUT, "buffer.memory is full (max.block.ms elapsed)") from None
        self.append(topic, value, key, partition, timestamp, headers, fut)
        return fut

    async def send_and_wait(self, topic: str, value: Any = None, key: Any = None, **kw: Any) -> RecordMetadata:
        return await (await self.send(topic, value, key, **kw))

    async def wait_for_topic(self, topic: str, timeout: float | None = None) -> int:
        """Partition count of `topic`, fetching metadata (and auto-creating as the broker allows), waiting up
        to `timeout` seconds (max.block.ms by default, as Java's send())."""
        info = self.cluster.topics.get(topic)
        if info is not None and info.partitions:
            return len(info.partitions)
        loop = asyncio.get_running_loop()
        backoff = self.cluster.retry_backoff
        deadline = loop.time() + (self.config["max.block.ms"] / 1000 if timeout is None else timeout)
        while True:
            try:
                await self.cluster.refresh([topic], allow_auto_create=True)
            except KafkaError as exc:
                # no broker answers (yet): wait up to max.block.ms, as Java's send() does
                if not exc.retriable() or loop.time() + backoff > deadline:
                    raise
                await asyncio.sleep(backoff)
                continue
            info = self.cluster.topics.get(topic)
            if info is not None and info.partitions:
                return len(info.partitions)
            code = self.cluster.topic_errors.get(topic, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            if code not in (ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) or loop.time() + backoff > deadline:
                raise KafkaError(code, f"topic {topic} is not available: {KafkaError(code).message}")
            await asyncio.sleep(backoff)

    async def partitions_for(self, topic: str) -> list[int]:
        await self.wait_for_topic(topic)
        return sorted(self.cluster.topics[topic].partitions)

    def append(
        self,
        topic: str,
        value: bytes | str | None,
        key: bytes | str | None,
        partition: int | None,
        timestamp: int | None,
        headers: Sequence[tuple[str, bytes | str | None]] | Mapping[str, bytes | str | None] | None,
        completion: Completion,
    ) -> None:
        """Checks a record and adds it to the accumulator (topic metadata must be known). Runs on the loop."""
        if self._closed:
            complete(completion, KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "producer is closed"), None)
            return
        if self.txn is not None and self.txn.state is not TxnState.IN_TRANSACTION:
            try:
                self.txn.require("produce", TxnState.IN_TRANSACTION)
            except KafkaError as exc:
                complete(completion, exc, None)
                return
        record_headers: list[tuple[str, bytes | None]] | None = None
        if headers:
            items = headers.items() if isinstance(headers, Mapping) else headers
            record_headers = [(k, v.encode() if isinstance(v, str) else v) for k, v in items]
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
        if record_headers:
            size += sum(len(k) + len(v or b"") for k, v in record_headers)
        if size > self.max_request_size:
            self._reject(
                completion,
                KafkaError(ErrorCode.MESSAGE_TOO_LARGE, f"record of {size} bytes is larger than max.request.size {self.max_request_size}"),
            )
            return
        if partition is not None:
            if partition < 0:
                partition = None  # confluent-kafka's "any partition" (-1)
            elif partition >= n:
                self._reject(completion, KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"partition {topic}-{partition} does not exist"))
                return
        self._accumulate(topic, partition, n, value, key, timestamp, record_headers, size, completion)

    def _add_partition(self, tp: TP) -> None:
        """A transaction's new batch: AddPartitionsToTxn now, overlapping linger.ms (as Java's send() does)."""
        if self.txn is not None and tp not in self.txn.added:
            self.txn.may_send(tp)

    def _reject(self, completion: Completion, error: KafkaError) -> None:
        """A record that cannot be sent at all; inside a transaction it makes the transaction abortable."""
        if self.txn is not None:
            self.txn.set_abortable(error)
        complete(completion, error, None)

    async def flush(self, timeout: float | None = None) -> int:
        """Sends everything queued now and waits for it; returns how many records are still pending."""
        if self._sender_task is None:
            return 0
        acc = self.accumulator
        acc.flushing += 1
        try:
            self._kick()
            try:
                await asyncio.wait_for(acc.idle.wait(), timeout)
            except TimeoutError:
                pass
        finally:
            acc.flushing -= 1
        return acc.pending

    async def close(self, timeout: float | None = None) -> None:
        if self._sender_task is not None and not self._closed:
            await self.flush(timeout)
        self._closed = True
        self.sender.closed = True
        self._kick()
        if self._sender_task is not None:
            self._sender_task.cancel()
            await asyncio.gather(self._sender_task, return_exceptions=True)
        await self.sender.close()
        self.accumulator.fail_all(KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "producer closed before delivery"))
        self.accumulator.batches.clear()
        self.cluster.close()

    def _kick(self) -> None:
        self.sender.wakeup()

    # -- transactions (confluent-kafka's names; timeouts in seconds, None = max.block.ms as in Java) ----

    def _transactional(self, operation: str) -> TransactionManager:
        if self.txn is None:
            raise TransactionError(ErrorCode.INVALID_TXN_STATE, f"{operation} needs 'transactional.id' in the configuration", fatal=True)
        return self.txn

    def _deadline(self, timeout: float | None) -> float:
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
        self.sender.use_producer_id(txn.producer_id, txn.producer_epoch)
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
            self.sender.use_producer_id(txn.producer_id, txn.producer_epoch)
        txn.completed()

    async def _settle(self, txn: TransactionManager, deadline: float, operation: str) -> None:
        """Waits until every record of the transaction is acknowledged or failed, and for AddPartitionsToTxn."""
        left = await self.flush(max(deadline - asyncio.get_running_loop().time(), 0))
        if left:
            raise TransactionError(
                ErrorCode.REQUEST_TIMED_OUT, f"{operation}: {left} record(s) still in flight; call it again", retriable=True
            )
        await txn.wait_adding()

    def _purge_unsent(self, error: KafkaError) -> None:
        self.accumulator.purge_unsent(error)

    def _fail_queued(self, error: KafkaError) -> None:
        """A fatal error (fenced): nothing queued may be sent any more."""
        self.accumulator.fail_all(error)


def sender_config(c: Mapping[str, Any]) -> SenderConfig:
    """The sender's settings from a resolved producer configuration."""
    return SenderConfig(
        acks=acks_value(c["acks"]),
        request_timeout_ms=c["request.timeout.ms"],
        retries=c["retries"],
        retry_backoff=c["retry.backoff.ms"] / 1000,
        retry_backoff_max=c["retry.backoff.max.ms"] / 1000,
        max_in_flight=c["max.in.flight.requests.per.connection"],
        max_request_size=c["max.request.size"],
        delivery_timeout=c["delivery.timeout.ms"] / 1000,
    )
