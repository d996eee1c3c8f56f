"""The transactional producer's coordinator side: state, error classes and the transaction RPCs.

A transactional producer talks to two coordinators besides the partition leaders: the transaction
coordinator of its `transactional.id` (FindCoordinator key_type 1) for InitProducerId,
AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and the group coordinator for TxnOffsetCommit. This
module owns those calls and the state machine Kafka's clients follow; the producer (producer.py) owns
the records and asks this module before sending a partition's first batch of a transaction.

Errors are sorted the way Java's TransactionManager sorts them: retried (CONCURRENT_TRANSACTIONS,
a loading or moved coordinator), abortable (the application aborts and carries on with the same
producer) and fatal (fenced by a newer producer with the same id, not authorized, a broken state: the
producer can only be closed).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from strom.client.cluster import Cluster
from strom.client.coordinator import coordinator_for
from strom.client.types import ConsumerGroupMetadata
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import add_offsets_to_txn, add_partitions_to_txn, end_txn, init_producer_id, txn_offset_commit
from strom.protocol.types import TP
from strom.transport.connection import BrokerConnection

log = logging.getLogger("strom.client.transactions")


# AddPartitionsToTxn v4+ is the brokers' own verification API (KIP-890): clients stop at v3.
CLIENT_MAX_ADD_PARTITIONS_VERSION = 3
# InitProducerId v3+ takes the current producer id and epoch, so the coordinator can bump the epoch
# of a live producer after an abortable error (KIP-360).
EPOCH_BUMP_VERSION = 3


class TxnState(enum.Enum):
    UNINITIALIZED = "Uninitialized"
    INITIALIZING = "Initializing"
    READY = "Ready"
    IN_TRANSACTION = "InTransaction"
    COMMITTING = "CommittingTransaction"
    ABORTING = "AbortingTransaction"
    ABORTABLE_ERROR = "AbortableError"
    FATAL_ERROR = "FatalError"


class TransactionError(KafkaError):
    """A transactional failure, with confluent-kafka's questions: is it fatal()? does it
    txn_requires_abort()? retriable() says the same call may be repeated."""

    def __init__(self, code: int, message: str | None = None, *, fatal: bool = False, abortable: bool = False, retriable: bool = False):
        super().__init__(code, message, fatal=fatal, retriable=retriable, txn_requires_abort=abortable and not fatal)


class Action(enum.Enum):
    RETRY = "retry"  # same request again after a backoff
    REDISCOVER = "rediscover"  # find the coordinator again, then retry
    ABORTABLE = "abortable"
    FATAL = "fatal"


_RETRY = frozenset(
    {
        ErrorCode.CONCURRENT_TRANSACTIONS,
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.OPERATION_NOT_ATTEMPTED,
        ErrorCode.UNSTABLE_OFFSET_COMMIT,
    }
)
_REDISCOVER = frozenset(
    {ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT}
)
FENCED = frozenset({ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED})
_FATAL = FENCED | {
    ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    ErrorCode.INVALID_TXN_STATE,
    ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    ErrorCode.INVALID_TRANSACTION_TIMEOUT,
    ErrorCode.UNSUPPORTED_VERSION,
    ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
}
# A produce error that leaves the partition's sequence state unknown: after the abort the producer
# needs a new epoch (KIP-360) before it may send again.
NEEDS_EPOCH_BUMP = frozenset({ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID})


def classify(code: int, *, within_transaction: bool) -> Action:
    """What a transactional RPC does with an error code. Inside a transaction an unexpected error is
    abortable (the application can abort and go on); outside (InitProducerId, EndTxn) it is fatal."""
    if code in _FATAL:
        return Action.FATAL
    if code in _REDISCOVER:
        return Action.REDISCOVER
    if code in _RETRY:
        return Action.RETRY
    if within_transaction:
        return Action.ABORTABLE
    if code == ErrorCode.TRANSACTION_ABORTABLE:
        return Action.ABORTABLE
    return Action.FATAL


def produce_error_kind(code: int) -> Action:
    """A batch of a transaction failed for good with `code`: fenced and authorization errors are
    fatal, anything else makes the transaction abortable."""
    return Action.FATAL if code in _FATAL else Action.ABORTABLE


class TransactionManager:
    """One transactional.id's state and coordinator calls. Every method runs on the producer's loop."""

    def __init__(self, cluster: Cluster, transactional_id: str, timeout_ms: int, backoff: float) -> None:
        self.cluster = cluster
        self.transactional_id = transactional_id
        self.timeout_ms = timeout_ms
        self.backoff = backoff
        self.state = TxnState.UNINITIALIZED
        self.producer_id = -1
        self.producer_epoch = -1
        self.added: set[TP] = set()  # partitions the coordinator has in the current transaction
        self.wanted: set[TP] = set()  # partitions with records, not yet added
        self.offsets_added = False
        self.error: TransactionError | None = None
        self.epoch_bump_required = False
        self.on_error: Callable[[TransactionError], None] | None = None  # the producer fails its queue on fatal
        self.on_abortable: Callable[[TransactionError], None] | None = None  # ... and its unsent batches here
        self._coordinator: BrokerConnection | None = None
        self._adding: asyncio.Task[None] | None = None
        self.kick: Callable[[], None] = lambda: None

    # -- state ---------------------------------------------------------------------------------------

    def require(self, operation: str, *states: TxnState) -> None:
        """Raises the error an application calling `operation` now must see."""
        if self.state is TxnState.FATAL_ERROR and self.error is not None:
            raise self.error
        if self.state in states:
            return
        if self.state is TxnState.ABORTABLE_ERROR and self.error is not None:
            raise TransactionError(
                self.error.code(), f"{operation}: the transaction must be aborted ({self.error.message})", abortable=True
            )
        raise TransactionError(ErrorCode.INVALID_TXN_STATE, f"{operation} is not valid in state {self.state.value}")

    def set_abortable(self, error: KafkaError, epoch_bump: bool = False) -> None:
        if epoch_bump:
            self.epoch_bump_required = True
        if self.state in (TxnState.FATAL_ERROR, TxnState.ABORTABLE_ERROR):
            return
        self.error = TransactionError(error.code(), error.message, abortable=True)
        self.state = TxnState.ABORTABLE_ERROR
        log.info("transaction %s must be aborted: %s", self.transactional_id, error)
        if self.on_abortable is not None:
            self.on_abortable(self.error)  # as Java's sender: nothing more of this transaction is sent

    def set_fatal(self, error: KafkaError) -> TransactionError:
        if self.state is TxnState.FATAL_ERROR and self.error is not None:
            return self.error
        hint = " (fenced by a newer producer with the same transactional.id)" if error.code() in FENCED else ""
        self.error = TransactionError(error.code(), f"{error.message}{hint}", fatal=True)
        self.state = TxnState.FATAL_ERROR
        log.warning("transactional producer %s failed: %s", self.transactional_id, self.error)
        if self.on_error is not None:
            self.on_error(self.error)
        return self.error

    def batch_failed(self, error: KafkaError) -> None:
        """A batch sent in the transaction failed for good: the transaction cannot commit."""
        if self.state is TxnState.UNINITIALIZED:
            return
        if produce_error_kind(error.code()) is Action.FATAL:
            self.set_fatal(error)
        else:
            # its sequence numbers are spent or unknown: the next transaction needs a new epoch
            self.set_abortable(error, epoch_bump=True)

    def begin(self) -> None:
        self.require("begin_transaction", TxnState.READY)
        self.added.clear()
        self.wanted.clear()
        self.offsets_added = False
        self.state = TxnState.IN_TRANSACTION

    def may_send(self, tp: TP) -> bool:
        """The sender's question before a batch leaves: is its partition in the transaction yet?"""
        if tp in self.added:
            return True
        if tp not in self.wanted:
            self.wanted.add(tp)
        if self.state is TxnState.IN_TRANSACTION or self.state is TxnState.COMMITTING:
            if self._adding is None or self._adding.done():
                self._adding = asyncio.ensure_future(self._add_wanted())
        return False

    @property
    def started(self) -> bool:
        """The coordinator knows of this transaction, so it must end with EndTxn."""
        return bool(self.added) or self.offsets_added

    # -- RPCs ----------------------------------------------------------------------------------------

    async def coordinator(self) -> BrokerConnection:
        conn = self._coordinator
        if conn is None or conn.closed:
            conn = self._coordinator = await coordinator_for(self.cluster, self.transactional_id, self.backoff, key_type=1)
        return conn

    def _end_unless_retriable(self, code: int, error: KafkaError, within: bool) -> Action:
        """A fatal or abortable answer ends the call (and, when fatal, the producer); anything else is retried."""
        action = classify(code, within_transaction=within)
        if action is Action.FATAL:
            raise self.set_fatal(error)
        if action is Action.ABORTABLE:
            self.set_abortable(error)
            raise TransactionError(code, error.message, abortable=True)
        return action

    async def call(
        self, make: Callable[[BrokerConnection], tuple[Any, int]], codes: Callable[[Any], int], deadline: float, *, within: bool
    ) -> None:
        """Sends a request to the transaction coordinator until it succeeds, retrying what Kafka retries;
        raises a TransactionError (fatal, abortable, or retriable on timeout)."""
        loop = asyncio.get_running_loop()
        while True:
            name = "transaction coordinator"
            try:
                conn = await self.coordinator()
                request, version = make(conn)
                name = type(request).__name__.removesuffix("Request")
                code = codes(await conn.send(request, version))
            except KafkaError as exc:
                code = _unanswered(exc)
            if code == 0:
                return
            error = KafkaError(code, f"{name} for {self.transactional_id}: {KafkaError(code).message}")
            if self._end_unless_retriable(code, error, within) is Action.REDISCOVER:
                self._coordinator = None
            if loop.time() + self.backoff > deadline:
                raise TransactionError(
                    ErrorCode.REQUEST_TIMED_OUT, f"{name} for {self.transactional_id} timed out (last: {error})", retriable=True
                )
            await asyncio.sleep(self.backoff if code != ErrorCode.CONCURRENT_TRANSACTIONS else min(self.backoff, 0.02))

    async def init_producer_id(self, deadline: float, bump: bool = False) -> None:
        """InitProducerId for the transactional id: a new epoch fences older producers and makes the
        coordinator finish (abort) any transaction they left open. With `bump`, the live producer id
        and epoch go along so the coordinator bumps this producer's own epoch (KIP-360)."""

        def make(conn: BrokerConnection) -> tuple[Any, int]:
            version = conn.version_for(init_producer_id.API_KEY)
            if bump and version < EPOCH_BUMP_VERSION:
                raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, "the broker cannot bump a producer epoch (InitProducerId < v3)")
            pid, epoch = (self.producer_id, self.producer_epoch) if bump else (-1, -1)
            req = init_producer_id.InitProducerIdRequest(
                transactional_id=self.transactional_id, transaction_timeout_ms=self.timeout_ms, producer_id=pid, producer_epoch=epoch
            )
            return req, version

        result: list[Any] = []

        def codes(resp: Any) -> int:
            result.append(resp)
            return int(resp.error_code)

        await self.call(make, codes, deadline, within=False)
        resp = result[-1]
        self.producer_id, self.producer_epoch = resp.producer_id, resp.producer_epoch
        self.epoch_bump_required = False

    async def _add_wanted(self) -> None:
        """AddPartitionsToTxn for every partition waiting for it (one request in flight at a time)."""
        loop = asyncio.get_running_loop()
        while self.wanted and self.state in (TxnState.IN_TRANSACTION, TxnState.COMMITTING):
            batch = sorted(self.wanted)
            try:
                await self.add_partitions(batch, loop.time() + self.timeout_ms / 1000)
            except TransactionError as exc:
                log.info("AddPartitionsToTxn failed: %s", exc)
                if not exc.retriable():
                    break
                continue
            self.wanted.difference_update(batch)
            self.added.update(batch)
            self.kick()
        self.kick()

    async def add_partitions(self, tps: Iterable[TP], deadline: float) -> None:
        by_topic: dict[str, list[int]] = {}
        for topic, partition in tps:
            by_topic.setdefault(topic, []).append(partition)
        # the v0-3 field has its own struct class (v4+ nests topics in transactions)
        topics = [
            add_partitions_to_txn.AddPartitionsToTxnRequestAddPartitionsToTxnTopic(name=t, partitions=ps) for t, ps in by_topic.items()
        ]

        def make(conn: BrokerConnection) -> tuple[Any, int]:
            version = min(conn.version_for(add_partitions_to_txn.API_KEY), CLIENT_MAX_ADD_PARTITIONS_VERSION)
            req = add_partitions_to_txn.AddPartitionsToTxnRequest(
                v3_and_below_transactional_id=self.transactional_id,
                v3_and_below_producer_id=self.producer_id,
                v3_and_below_producer_epoch=self.producer_epoch,
                v3_and_below_topics=topics,
            )
            return req, version

        def codes(resp: Any) -> int:
            worst = 0
            for t in resp.results_by_topic_v3_and_below:
                for p in t.results_by_partition:
                    code = p.partition_error_code
                    # OPERATION_NOT_ATTEMPTED only says another partition failed: report that one
                    if code and (worst == 0 or worst == ErrorCode.OPERATION_NOT_ATTEMPTED):
                        worst = code
            return worst

        await self.call(make, codes, deadline, within=True)

    async def add_offsets(self, group_id: str, deadline: float) -> None:
        def make(conn: BrokerConnection) -> tuple[Any, int]:
            req = add_offsets_to_txn.AddOffsetsToTxnRequest(
                transactional_id=self.transactional_id,
                producer_id=self.producer_id,
                producer_epoch=self.producer_epoch,
                group_id=group_id,
            )
            return req, conn.version_for(add_offsets_to_txn.API_KEY)

        await self.call(make, lambda resp: int(resp.error_code), deadline, within=True)
        self.offsets_added = True

    async def commit_offsets(
        self, offsets: Mapping[TP, tuple[int, str | None, int]], group: ConsumerGroupMetadata, deadline: float
    ) -> None:
        """TxnOffsetCommit to the group coordinator: the offsets become visible when the transaction commits."""
        loop = asyncio.get_running_loop()
        left = dict(offsets)
        while left:
            code = 0
            try:
                conn = await coordinator_for(self.cluster, group.group_id, self.backoff)
                version = conn.version_for(txn_offset_commit.API_KEY)
                by_topic: dict[str, list[Any]] = {}
                for (topic, partition), (offset, metadata, epoch) in sorted(left.items()):
                    by_topic.setdefault(topic, []).append(
                        txn_offset_commit.TxnOffsetCommitRequestPartition(
                            partition_index=partition, committed_offset=offset, committed_leader_epoch=epoch, committed_metadata=metadata
                        )
                    )
                req = txn_offset_commit.TxnOffsetCommitRequest(
                    transactional_id=self.transactional_id,
                    group_id=group.group_id,
                    producer_id=self.producer_id,
                    producer_epoch=self.producer_epoch,
                    generation_id=group.generation_id,
                    member_id=group.member_id,
                    group_instance_id=group.group_instance_id,
                    topics=[txn_offset_commit.TxnOffsetCommitRequestTopic(name=t, partitions=ps) for t, ps in by_topic.items()],
                )
                resp = await conn.send(req, version)
                for t in resp.topics:
                    for p in t.partitions:
                        if p.error_code == 0:
                            left.pop((t.name, p.partition_index), None)
                        elif code == 0:
                            code = p.error_code
            except KafkaError as exc:
                code = _unanswered(exc)
            if not left:
                return
            code = code or ErrorCode.UNKNOWN_SERVER_ERROR
            error = KafkaError(code, f"TxnOffsetCommit for group {group.group_id}: {KafkaError(code).message}")
            self._end_unless_retriable(code, error, within=True)
            if loop.time() + self.backoff > deadline:
                raise TransactionError(ErrorCode.REQUEST_TIMED_OUT, f"TxnOffsetCommit timed out (last: {error})", retriable=True)
            await asyncio.sleep(self.backoff)

    async def end(self, commit: bool, deadline: float) -> None:
        def make(conn: BrokerConnection) -> tuple[Any, int]:
            req = end_txn.EndTxnRequest(
                transactional_id=self.transactional_id, producer_id=self.producer_id, producer_epoch=self.producer_epoch, committed=commit
            )
            return req, conn.version_for(end_txn.API_KEY)

        await self.call(make, lambda resp: int(resp.error_code), deadline, within=False)

    async def wait_adding(self) -> None:
        """Lets an AddPartitionsToTxn in flight finish: EndTxn must not overtake it."""
        if self._adding is not None and not self._adding.done():
            await asyncio.gather(self._adding, return_exceptions=True)

    def completed(self) -> None:
        self.added.clear()
        self.wanted.clear()
        self.offsets_added = False
        self.error = None
        self.state = TxnState.READY


def offsets_request(offsets: Iterable[Any]) -> dict[TP, tuple[int, str | None, int]]:
    """send_offsets_to_transaction's TopicPartition list as TxnOffsetCommit wants it; rejects bad input."""
    out: dict[TP, tuple[int, str | None, int]] = {}
    for tp in offsets:
        if tp.offset < 0:
            raise TransactionError(
                ErrorCode.INVALID_COMMIT_OFFSET_SIZE, f"offset {tp.offset} of {tp.topic}-{tp.partition} is not an offset to commit"
            )
        out[(tp.topic, tp.partition)] = (tp.offset, tp.metadata, -1 if tp.leader_epoch is None else tp.leader_epoch)
    if not out:
        raise TransactionError(ErrorCode.INVALID_COMMIT_OFFSET_SIZE, "send_offsets_to_transaction needs at least one offset")
    return out


def _unanswered(exc: KafkaError) -> int:
    """No answer (connection lost, timed out, coordinator unknown): retried after finding the coordinator again,
    unless the error is one that no retry can mend."""
    retry = exc.code() not in _FATAL and (exc.retriable() or exc.code() in _REDISCOVER)
    return ErrorCode.COORDINATOR_NOT_AVAILABLE if retry else exc.code()
