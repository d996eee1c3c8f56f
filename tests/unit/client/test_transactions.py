"""The transactional producer's pure parts: error classes (as Java's TransactionManager sorts them), the
state machine's answers to calls in the wrong state, the transactional batch flag, offsets and config."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.client.cluster import Cluster
from strom.client.config import ConfigError, resolve
from strom.client.record_codec import BatchWriter, mark_transactional
from strom.client.transactions import (
    Action,
    TransactionError,
    TransactionManager,
    TxnState,
    classify,
    offsets_request,
    produce_error_kind,
)
from strom.client.types import TopicPartition
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import crc_ok, iter_records, read_batch_header

E = ErrorCode


@pytest.mark.parametrize(
    ("code", "within", "action"),
    [
        (E.CONCURRENT_TRANSACTIONS, False, Action.RETRY),
        (E.COORDINATOR_LOAD_IN_PROGRESS, True, Action.RETRY),
        (E.UNKNOWN_TOPIC_OR_PARTITION, True, Action.RETRY),
        (E.NOT_COORDINATOR, False, Action.REDISCOVER),
        (E.COORDINATOR_NOT_AVAILABLE, True, Action.REDISCOVER),
        (E.PRODUCER_FENCED, True, Action.FATAL),
        (E.INVALID_PRODUCER_EPOCH, False, Action.FATAL),
        (E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, True, Action.FATAL),
        (E.INVALID_TXN_STATE, False, Action.FATAL),
        (E.TOPIC_AUTHORIZATION_FAILED, True, Action.ABORTABLE),
        (E.GROUP_AUTHORIZATION_FAILED, True, Action.ABORTABLE),
        (E.UNKNOWN_MEMBER_ID, True, Action.ABORTABLE),
        (E.ILLEGAL_GENERATION, True, Action.ABORTABLE),
        (E.TRANSACTION_ABORTABLE, False, Action.ABORTABLE),
        (E.UNKNOWN_SERVER_ERROR, False, Action.FATAL),
        (E.UNKNOWN_SERVER_ERROR, True, Action.ABORTABLE),
    ],
)
def test_errors_are_sorted_as_kafka_clients_sort_them(code: int, within: bool, action: Action) -> None:
    assert classify(code, within_transaction=within) is action


def test_a_failed_batch_is_fatal_only_when_fenced_or_unauthorized() -> None:
    assert produce_error_kind(E.INVALID_PRODUCER_EPOCH) is Action.FATAL
    assert produce_error_kind(E.PRODUCER_FENCED) is Action.FATAL
    for code in (E.MESSAGE_TOO_LARGE, E.OUT_OF_ORDER_SEQUENCE_NUMBER, E.UNKNOWN_PRODUCER_ID, E.REQUEST_TIMED_OUT):
        assert produce_error_kind(code) is Action.ABORTABLE


def manager() -> TransactionManager:
    return TransactionManager(Cluster("127.0.0.1:1"), "t1", 60000, 0.01)


def test_state_machine_answers_each_call_with_the_error_kafka_clients_give() -> None:
    m = manager()
    with pytest.raises(TransactionError, match="begin_transaction is not valid in state Uninitialized") as e:
        m.begin()
    assert not e.value.fatal() and not e.value.txn_requires_abort() and e.value.code() == E.INVALID_TXN_STATE
    m.state = TxnState.READY
    m.begin()
    assert m.state is TxnState.IN_TRANSACTION and not m.started
    m.added.add(("t", 0))
    assert m.started

    failures: list[TransactionError] = []
    m.on_abortable = failures.append
    m.batch_failed(KafkaError(E.MESSAGE_TOO_LARGE))
    assert m.state is TxnState.ABORTABLE_ERROR and m.epoch_bump_required and len(failures) == 1
    with pytest.raises(TransactionError) as e:
        m.require("commit_transaction", TxnState.IN_TRANSACTION)
    assert e.value.txn_requires_abort() and not e.value.fatal() and "must be aborted" in e.value.message
    m.require("abort_transaction", TxnState.ABORTABLE_ERROR)  # the way out
    m.completed()
    assert m.state is TxnState.READY and not m.added and m.error is None

    fatal: list[TransactionError] = []
    m.on_error = fatal.append
    m.begin()
    m.batch_failed(KafkaError(E.INVALID_PRODUCER_EPOCH))
    assert m.state is TxnState.FATAL_ERROR and len(fatal) == 1 and fatal[0].fatal()
    assert "fenced" in fatal[0].message
    for op in ("begin_transaction", "abort_transaction", "produce"):
        with pytest.raises(TransactionError) as e:
            m.require(op, TxnState.READY, TxnState.IN_TRANSACTION, TxnState.ABORTABLE_ERROR)
        assert e.value is fatal[0]
    m.set_abortable(KafkaError(E.TOPIC_AUTHORIZATION_FAILED))  # a fatal state never softens
    assert m.state is TxnState.FATAL_ERROR


def test_an_abortable_error_is_kept_first() -> None:
    m = manager()
    m.state = TxnState.IN_TRANSACTION
    m.set_abortable(KafkaError(E.TOPIC_AUTHORIZATION_FAILED))
    m.set_abortable(KafkaError(E.MESSAGE_TOO_LARGE))
    assert m.error is not None and m.error.code() == E.TOPIC_AUTHORIZATION_FAILED


@given(
    st.lists(st.tuples(st.binary(max_size=40) | st.none(), st.binary(max_size=10) | st.none()), min_size=1, max_size=20),
    st.sampled_from([0, 1, 3, 4]),
)
def test_mark_transactional_sets_the_flag_and_keeps_the_batch_valid(records: list[tuple[bytes | None, bytes | None]], codec: int) -> None:
    w = BatchWriter(codec)
    w.producer_id, w.producer_epoch, w.base_sequence = 7, 3, 11
    for value, key in records:
        w.append(value, key, 1_700_000_000_000, None)
    plain = w.build()
    marked = mark_transactional(plain)
    before, after = read_batch_header(plain), read_batch_header(marked)
    assert not before.is_transactional and after.is_transactional and not after.is_control
    assert crc_ok(marked, 0, after)
    assert after._replace(attributes=before.attributes, crc=before.crc) == before
    assert [(r.value, r.key) for r in iter_records(marked)] == records


def test_offsets_to_commit_are_checked() -> None:
    got = offsets_request([TopicPartition("a", 0, 5), TopicPartition("a", 1, 0, "meta", leader_epoch=2)])
    assert got == {("a", 0): (5, None, -1), ("a", 1): (0, "meta", 2)}
    with pytest.raises(TransactionError, match="not an offset"):
        offsets_request([TopicPartition("a", 0, -1001)])
    with pytest.raises(TransactionError, match="at least one"):
        offsets_request([])


def test_transactional_configuration() -> None:
    base = {"bootstrap.servers": "h:1", "transactional.id": "t"}
    c = resolve("producer", base)
    assert c["transaction.timeout.ms"] == 60000 and c["enable.idempotence"] is True
    assert resolve("producer", {**base, "transaction.timeout.ms": "9000"})["transaction.timeout.ms"] == 9000
    for bad, what in (
        ({"enable.idempotence": False}, "needs enable.idempotence"),
        ({"acks": "1"}, "'transactional.id' needs acks must be all"),
        ({"max.in.flight.requests.per.connection": 6}, "'transactional.id' needs max.in.flight"),
        ({"transactional.id": ""}, "must not be empty"),
        ({"transaction.timeout.ms": 0}, "transaction.timeout.ms"),
    ):
        with pytest.raises(ConfigError, match=what):
            resolve("producer", {**base, **bad})


class _Coordinator:
    """Answers EndTxn with the given error codes in turn (a stand-in for the coordinator's socket)."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = codes
        self.closed = False
        self.sent = 0

    def version_for(self, api_key: int) -> int:
        return 3

    async def send(self, request: object, version: int) -> object:
        self.sent += 1
        code = self.codes.pop(0)
        if code == E.NETWORK_EXCEPTION:
            raise KafkaError(code, "connection lost")
        return type("Resp", (), {"error_code": code})()


def _run_end(codes: list[int], timeout: float = 5.0) -> tuple[TransactionManager, int, int]:
    import asyncio

    m = manager()
    m.state = TxnState.COMMITTING
    conn = _Coordinator(codes)
    lookups = 0

    async def coordinator() -> _Coordinator:
        nonlocal lookups
        if m._coordinator is None:
            lookups += 1
            m._coordinator = conn  # type: ignore[assignment]
        return conn

    m.coordinator = coordinator  # type: ignore[method-assign]

    async def go() -> None:
        await m.end(True, asyncio.get_running_loop().time() + timeout)

    asyncio.run(go())
    return m, conn.sent, lookups


def test_concurrent_transactions_and_a_moved_coordinator_are_retried() -> None:
    codes = [E.CONCURRENT_TRANSACTIONS, E.NOT_COORDINATOR, E.NETWORK_EXCEPTION, E.COORDINATOR_LOAD_IN_PROGRESS, 0]
    m, sent, lookups = _run_end(codes)
    assert sent == 5 and lookups == 3  # found again after NOT_COORDINATOR and after the lost connection
    assert m.state is TxnState.COMMITTING


def test_fencing_on_end_txn_is_fatal_and_a_busy_coordinator_times_out_retriably() -> None:
    with pytest.raises(TransactionError) as e:
        _run_end([E.CONCURRENT_TRANSACTIONS, E.PRODUCER_FENCED])
    assert e.value.fatal() and e.value.code() == E.PRODUCER_FENCED
    with pytest.raises(TransactionError) as e:
        _run_end([E.CONCURRENT_TRANSACTIONS] * 1000, timeout=0.3)
    assert e.value.retriable() and not e.value.fatal() and e.value.code() == E.REQUEST_TIMED_OUT
