"""Sender: takes ready batches from the accumulator and produces them to the partition leaders (Java's Sender).

The ready head batch of every partition goes into one Produce request per leader, with at most
max.in.flight.requests.per.connection requests per broker and as many batches per partition in flight.
With the idempotent producer every batch keeps its producer id, epoch and sequence across retries and
the broker drops duplicates. When a batch fails with a retriable error, the batches sent after it come
back OUT_OF_ORDER_SEQUENCE_NUMBER; all of them are queued again in sequence order and resent once the
partition has nothing in flight (Java's rule): no loss, no duplicate, no reordering. A partition whose
leader is unknown (or answered NOT_LEADER) triggers a metadata refresh.

A transactional producer's batch leaves only once the coordinator has its partition
(AddPartitionsToTxn, asked through `TransactionGate.may_send`) and carries the transactional flag.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from strom.client.accumulator import ProducerBatch, RecordAccumulator
from strom.client.loop_thread import wait_event
from strom.client.network import ClusterView
from strom.client.record_codec import mark_transactional
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import init_producer_id
from strom.protocol.schema.init_producer_id import InitProducerIdRequest, InitProducerIdResponse
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, ProduceResponse, TopicProduceData
from strom.protocol.types import TP

log = logging.getLogger("strom.client.sender")

# A partition's outcome: (error code, error message, base offset, log append time)
PartitionResult = tuple[int, str | None, int, int]


@dataclass(frozen=True, slots=True)
class SenderConfig:
    acks: int
    request_timeout_ms: int
    retries: int
    retry_backoff: float  # seconds
    retry_backoff_max: float  # seconds
    max_in_flight: int  # requests per broker, batches per partition
    max_request_size: int
    delivery_timeout: float  # seconds


class TransactionGate(Protocol):
    """What the sender asks of the transaction manager."""

    transactional_id: str

    def may_send(self, tp: TP) -> bool: ...

    def batch_failed(self, error: KafkaError) -> None: ...


class Sender:
    def __init__(
        self,
        accumulator: RecordAccumulator,
        cluster: ClusterView,
        config: SenderConfig,
        *,
        idempotent: bool,
        txn: TransactionGate | None = None,
    ) -> None:
        self.accumulator = accumulator
        self.cluster = cluster
        self.config = config
        self.idempotent = idempotent
        self.txn = txn
        self.producer_id = -1
        self.producer_epoch = -1
        self.sequences: dict[TP, int] = {}  # the next sequence number per partition
        self.acked_next: dict[TP, int] = {}  # per partition: the sequence after the last acknowledged batch
        self.in_flight: dict[TP, int] = {}  # batches in flight per partition (at most max.in.flight)
        self.requests_in_flight: dict[int, int] = {}  # per broker
        self.draining: set[TP] = set()  # a batch failed: resend in sequence order once nothing is in flight
        self.closed = False
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refreshing: asyncio.Task[Any] | None = None
        self._turns: dict[int, asyncio.Future[None]] = {}  # per leader: done once its latest request is written

    def wakeup(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """The sender task: one step whenever something changed or a linger/backoff/expiry is due."""
        loop = asyncio.get_running_loop()
        while not self.closed:
            self._wake.clear()
            if self.idempotent and self.producer_id < 0 and self.txn is None:
                await self.init_producer_id()
            next_at = self.run_once(loop.time())
            timeout = None if next_at == float("inf") else max(next_at - loop.time(), 0.0005)
            await wait_event(self._wake, timeout)

    def run_once(self, now: float) -> float:
        """Expires old batches, sends what is ready; returns when to look again (inf: when woken)."""
        next_at = self.accumulator.expire(now, self.in_flight)
        batches, ready_at = self.accumulator.ready(now, self._muted)
        ready: dict[int, list[ProducerBatch]] = {}
        stale: list[str] = []
        for batch in batches:
            tp = batch.tp
            if self.txn is not None and not self.txn.may_send(tp):
                continue  # AddPartitionsToTxn first; it wakes the sender when done
            leader = self.cluster.leader_of(*tp)
            if leader is None:
                stale.append(tp[0])
                continue
            ready.setdefault(leader, []).append(batch)
        if stale:
            self._refresh(stale)
        for leader, leader_batches in ready.items():
            if self._dispatch(leader, leader_batches):
                self._wake.set()  # the next batch of a partition may go out in the next request
        return min(next_at, ready_at)

    def _muted(self, tp: TP) -> bool:
        """A partition sends nothing while max.in.flight of its batches are out, or while a failed batch
        waits to be resent in order behind the ones still in flight."""
        in_flight = self.in_flight.get(tp, 0)
        if in_flight >= self.config.max_in_flight or (in_flight and tp in self.draining):
            return True
        self.draining.discard(tp)
        return False

    def use_producer_id(self, producer_id: int, epoch: int) -> None:
        """A new producer id or epoch starts every partition's sequence at 0 again."""
        self.producer_id, self.producer_epoch = producer_id, epoch
        self.sequences.clear()
        self.acked_next.clear()
        self._wake.set()

    async def init_producer_id(self) -> None:
        """The idempotent (not transactional) producer's id; without InitProducerId idempotence is off."""
        try:
            conn = await self.cluster.any_connection()
            if init_producer_id.API_KEY not in conn.versions:
                log.warning("broker has no InitProducerId: idempotence disabled")
                self.idempotent = False
                return
            resp: InitProducerIdResponse = await conn.send(InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=-1))
            if resp.error_code:
                raise KafkaError(resp.error_code)
            self.producer_id, self.producer_epoch = resp.producer_id, resp.producer_epoch
        except KafkaError as exc:
            log.debug("InitProducerId failed: %s", exc)
            await asyncio.sleep(self.config.retry_backoff)

    def _refresh(self, topics: list[str]) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._refresh_then_wake(topics))

    async def _refresh_then_wake(self, topics: list[str]) -> None:
        try:
            await self.cluster.refresh(sorted(set(topics)))
        except KafkaError as exc:
            log.debug("metadata refresh failed: %s", exc)
            await asyncio.sleep(self.config.retry_backoff)
        self._wake.set()

    # -- requests ------------------------------------------------------------------------------------

    def _dispatch(self, leader: int, batches: list[ProducerBatch]) -> bool:
        """Sends up to one request's worth of batches to `leader` if it has an in-flight slot."""
        if self.requests_in_flight.get(leader, 0) >= self.config.max_in_flight:
            return False
        chosen: list[ProducerBatch] = []
        total = 0
        for batch in batches:
            data = batch.data if batch.data is not None else self._build(batch)
            if chosen and total + len(data) > self.config.max_request_size:
                break
            chosen.append(batch)
            total += len(data)
        for batch in chosen:
            self.accumulator.drained(batch)
            self.in_flight[batch.tp] = self.in_flight.get(batch.tp, 0) + 1
        self.requests_in_flight[leader] = self.requests_in_flight.get(leader, 0) + 1
        # Requests to a leader go out in the order their sequences were given: each waits its turn
        # (the one before it has its connection and is written), even when it would find the connection
        # open while the one before it is still waiting for that connection to be made.
        turn = self._turns.get(leader)
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns[leader] = written
        task = asyncio.ensure_future(self._produce(leader, chosen, turn, written))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def _build(self, batch: ProducerBatch) -> bytes:
        """Gives a batch its producer id, epoch and sequence (idempotent producer) and builds it, once."""
        if self.idempotent:
            seq = self.sequences.get(batch.tp, 0)
            batch.builder.producer_id = self.producer_id
            batch.builder.producer_epoch = self.producer_epoch
            batch.builder.base_sequence = seq
            batch.sequence = seq
            self.sequences[batch.tp] = (seq + len(batch.entries)) & 0x7FFFFFFF
        data = batch.builder.build()
        if self.txn is not None:
            data = mark_transactional(data)
        batch.data = data
        return data

    def produce_request(self, batches: list[ProducerBatch]) -> ProduceRequest:
        topics: dict[str, list[PartitionProduceData]] = {}
        for batch in batches:
            topics.setdefault(batch.tp[0], []).append(PartitionProduceData(index=batch.tp[1], records=batch.data))
        return ProduceRequest(
            transactional_id=None if self.txn is None else self.txn.transactional_id,
            acks=self.config.acks,
            timeout_ms=self.config.request_timeout_ms,
            topic_data=[TopicProduceData(name=t, partition_data=ps) for t, ps in topics.items()],
        )

    async def _produce(
        self, leader: int, batches: list[ProducerBatch], turn: asyncio.Future[None] | None, written: asyncio.Future[None]
    ) -> None:
        request = self.produce_request(batches)
        results: dict[TP, PartitionResult] = {}
        record_errors: dict[TP, dict[int, KafkaError]] = {}
        try:
            if turn is not None and not turn.done():
                await turn
            conn = await self.cluster.connection(leader)
            written.set_result(None)  # the next request resumes after this step, which writes ours
            response: ProduceResponse | None = await conn.send(request, expect_response=self.config.acks != 0)
            if response is None:
                results = {b.tp: (0, None, -1, -1) for b in batches}
            else:
                for t in response.responses:
                    for p in t.partition_responses:
                        results[(t.name, p.index)] = (p.error_code, p.error_message, p.base_offset, p.log_append_time_ms)
                        if p.error_code and p.record_errors:  # KIP-467 (v8+): which records the broker rejected
                            record_errors[(t.name, p.index)] = {
                                r.batch_index: KafkaError(p.error_code, r.batch_index_error_message or p.error_message)
                                for r in p.record_errors
                            }
        except KafkaError as exc:
            code = exc.code() if exc.code() else ErrorCode.NETWORK_EXCEPTION
            if code == ErrorCode.BROKER_NOT_AVAILABLE:
                # the leader left the cluster's metadata (it died) before the next leader was elected: as Java's
                # client, the partition has no known leader yet, which is retried after a metadata refresh
                code = ErrorCode.LEADER_NOT_AVAILABLE
            results = {b.tp: (code, exc.message, -1, -1) for b in batches}
        finally:
            if not written.done():
                written.set_result(None)
            self.requests_in_flight[leader] -= 1
        self.handle_results(batches, results, record_errors)

    def handle_results(
        self,
        batches: list[ProducerBatch],
        results: dict[TP, PartitionResult],
        record_errors: Mapping[TP, Mapping[int, KafkaError]] | None = None,
    ) -> None:
        """Delivers, retries (same sequence, after a backoff) or fails each batch of a request; a batch the
        broker rejected for some of its records fails each record with its own error."""
        refresh: list[str] = []
        now = asyncio.get_running_loop().time()
        for batch in batches:
            code, message, base_offset, append_time = results.get(batch.tp, (ErrorCode.UNKNOWN_SERVER_ERROR, "no result", -1, -1))
            self.in_flight[batch.tp] -= 1
            if code in (0, ErrorCode.DUPLICATE_SEQUENCE_NUMBER):
                if batch.sequence >= 0:
                    self.acked_next[batch.tp] = max(self.acked_next.get(batch.tp, 0), batch.sequence + len(batch.entries))
                batch.complete(base_offset, append_time)
                self.accumulator.release(batch)
                continue
            error = KafkaError(code, message)
            if self._retry(batch, error, now):
                refresh.append(batch.tp[0])
                continue
            if self.txn is not None:
                self.txn.batch_failed(error)  # the transaction can only abort now (or is fenced)
            elif self.idempotent:
                # a failed batch leaves a gap: later batches of this partition would be out of order
                self._reset_producer_id()
            self.accumulator.fail(batch, error, (record_errors or {}).get(batch.tp))
        if refresh:
            self._refresh(refresh)
        self._wake.set()

    def _retry(self, batch: ProducerBatch, error: KafkaError, now: float) -> bool:
        """Queues a failed batch again (keeping its sequence) if Kafka would retry it."""
        batch.attempts += 1
        expired = now >= batch.created + self.config.delivery_timeout
        # the broker saw a gap because an earlier batch of this partition is not written yet: it failed and waits to
        # be resent, or it is still on its way (to a leader that just died, say, while this one reached the next
        # leader). This one goes again after it, as Java's producer retries a batch that is not the next sequence.
        follows_failure = error.code() == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER and (
            batch.tp in self.draining or batch.sequence != self.acked_next.get(batch.tp, 0)
        )
        if not (error.retriable() or follows_failure) or batch.attempts > self.config.retries or expired:
            return False
        backoff = min(self.config.retry_backoff * (2 ** (batch.attempts - 1)), self.config.retry_backoff_max)
        batch.retry_at = now + backoff
        self.accumulator.reenqueue(batch)
        self.draining.add(batch.tp)
        return True

    def _reset_producer_id(self) -> None:
        """After a fatal batch error the broker's sequence state is unknown: start a new producer id."""
        self.producer_id = -1
        self.sequences.clear()
        self.acked_next.clear()
        self.accumulator.discard_built()

    async def close(self) -> None:
        """Stops sending; requests in flight are abandoned (their batches are failed by the producer)."""
        self.closed = True
        self._wake.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
