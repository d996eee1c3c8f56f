"""The transaction coordinator as a pure state machine: the transaction's life cycle, fencing, KIP-360
epoch bumps, timeouts, error codes for out-of-order calls, and (hypothesis) any call sequence keeps its
invariants and is rebuilt exactly from the `__transaction_state` records it asked to write."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.coordination.transaction_records import parse_txn_key, parse_txn_value, txn_key, txn_value
from strom.coordination.transactions import (
    COMPLETE_ABORT,
    COMPLETE_COMMIT,
    EMPTY,
    ONGOING,
    PREPARE_ABORT,
    PREPARE_COMMIT,
    TransactionCoordinator,
    TxnConfig,
    TxnMetadata,
)
from strom.protocol.errors import ErrorCode

TP = ("t", 0)


def coordinator() -> tuple[TransactionCoordinator, itertools.count[int]]:
    return TransactionCoordinator(TxnConfig(max_timeout_ms=60_000)), itertools.count(1000)


def init(c: TransactionCoordinator, ids: itertools.count[int], now: int = 0, pid: int = -1, epoch: int = -1) -> tuple[int, int, int]:
    return c.init_producer_id(now, "tx", 10_000, pid, epoch, lambda: next(ids))


def complete_markers(c: TransactionCoordinator, now: int = 0) -> None:
    for job in c.take_markers():
        c.markers_written(now, job)


def test_commit_cycle_and_retries() -> None:
    c, ids = coordinator()
    assert init(c, ids) == (0, 1000, 0)
    assert c.add_partitions(1, "tx", 1000, 0, [TP]) == 0
    assert c.describe("tx").state == ONGOING  # type: ignore[union-attr]
    assert c.end_txn(2, "tx", 1000, 0, commit=True) == 0
    assert c.describe("tx").state == PREPARE_COMMIT  # type: ignore[union-attr]
    assert c.add_partitions(2, "tx", 1000, 0, [TP]) == ErrorCode.CONCURRENT_TRANSACTIONS
    assert c.end_txn(2, "tx", 1000, 0, commit=True) == ErrorCode.CONCURRENT_TRANSACTIONS
    assert c.end_txn(2, "tx", 1000, 0, commit=False) == ErrorCode.INVALID_TXN_STATE
    [job] = c.take_markers()
    assert (job.commit, job.partitions, job.producer_epoch) == (True, (TP,), 0)
    c.markers_written(3, job)
    assert c.describe("tx").state == COMPLETE_COMMIT  # type: ignore[union-attr]
    assert c.end_txn(4, "tx", 1000, 0, commit=True) == 0  # a retried commit succeeds
    assert c.end_txn(4, "tx", 1000, 0, commit=False) == ErrorCode.INVALID_TXN_STATE
    assert c.add_partitions(5, "tx", 1000, 0, [TP]) == 0  # the next transaction
    assert c.describe("tx").start_ms == 5  # type: ignore[union-attr]


def test_out_of_order_calls_and_bad_input() -> None:
    c, ids = coordinator()
    assert c.add_partitions(0, "tx", 1, 0, [TP]) == ErrorCode.INVALID_PRODUCER_ID_MAPPING  # unknown id
    assert c.init_producer_id(0, "tx", 60_001, -1, -1, lambda: 1)[0] == ErrorCode.INVALID_TRANSACTION_TIMEOUT
    assert c.init_producer_id(0, "tx", 0, -1, -1, lambda: 1)[0] == ErrorCode.INVALID_TRANSACTION_TIMEOUT
    init(c, ids)
    assert c.end_txn(0, "tx", 1000, 0, commit=True) == ErrorCode.INVALID_TXN_STATE  # nothing begun
    assert c.add_partitions(0, "tx", 999, 0, [TP]) == ErrorCode.INVALID_PRODUCER_ID_MAPPING
    assert c.add_partitions(0, "tx", 1000, 3, [TP]) == ErrorCode.PRODUCER_FENCED
    assert c.verify_partition("tx", 1000, 0, TP) == ErrorCode.INVALID_TXN_STATE  # not added
    c.add_partitions(0, "tx", 1000, 0, [TP])
    assert c.verify_partition("tx", 1000, 0, TP) == 0
    assert c.verify_partition("tx", 1000, 0, ("t", 1)) == ErrorCode.INVALID_TXN_STATE


def test_new_producer_fences_the_old_one_and_aborts_its_transaction() -> None:
    c, ids = coordinator()
    init(c, ids)
    c.add_partitions(0, "tx", 1000, 0, [TP])
    assert init(c, ids)[0] == ErrorCode.CONCURRENT_TRANSACTIONS  # the open transaction is aborted first
    [job] = c.take_markers()
    assert (job.commit, job.producer_epoch) == (False, 1)  # with the bumped epoch: the zombie is fenced
    assert init(c, ids)[0] == ErrorCode.CONCURRENT_TRANSACTIONS  # markers still pending
    c.markers_written(1, job)
    assert init(c, ids) == (0, 1000, 2)
    assert c.end_txn(2, "tx", 1000, 0, commit=True) == ErrorCode.PRODUCER_FENCED  # the zombie
    assert c.add_partitions(2, "tx", 1000, 1, [TP]) == ErrorCode.PRODUCER_FENCED


def test_kip360_bump_retry_and_fencing() -> None:
    c, ids = coordinator()
    init(c, ids)
    assert init(c, ids, pid=1000, epoch=0) == (0, 1000, 1)  # the producer bumps its own epoch
    assert init(c, ids, pid=1000, epoch=0) == (0, 1000, 1)  # a retry of that bump: the same answer
    assert init(c, ids, pid=1000, epoch=5)[0] == ErrorCode.PRODUCER_FENCED
    assert init(c, ids, pid=77, epoch=1)[0] == ErrorCode.PRODUCER_FENCED  # another producer id
    m = c.describe("tx")
    assert m is not None
    m.producer_epoch = 32766  # exhausted: a new producer id
    assert init(c, ids, pid=1000, epoch=32766) == (0, 1001, 0)


def test_timed_out_transaction_is_aborted_with_a_bumped_epoch() -> None:
    c, ids = coordinator()
    init(c, ids)
    c.add_partitions(100, "tx", 1000, 0, [TP])
    assert c.next_timeout() == 10_100
    assert c.abort_timed_out(10_100) == []
    assert c.abort_timed_out(10_101) == ["tx"]
    assert c.describe("tx").state == PREPARE_ABORT  # type: ignore[union-attr]
    complete_markers(c, 10_102)
    assert c.describe("tx").state == COMPLETE_ABORT  # type: ignore[union-attr]
    assert c.end_txn(10_103, "tx", 1000, 0, commit=False) == ErrorCode.PRODUCER_FENCED
    assert c.next_timeout() is None


def _record_of(m: TxnMetadata) -> tuple[bytes, bytes]:
    return txn_key(m.transactional_id), txn_value(
        m.producer_id, m.producer_epoch, m.timeout_ms, m.state, m.partitions_by_topic(), m.last_update_ms, m.start_ms
    )


def _replay(records: list[tuple[bytes, bytes]]) -> TransactionCoordinator:
    c = TransactionCoordinator(TxnConfig(max_timeout_ms=60_000))
    for key, value in records:
        txn_id = parse_txn_key(key)
        v = parse_txn_value(value)
        parts = {(t.topic, i) for t in v.transaction_partitions or [] for i in t.partition_ids}
        c.apply_record(
            txn_id,  # type: ignore[arg-type]
            TxnMetadata(
                txn_id,  # type: ignore[arg-type]
                v.producer_id,
                v.producer_epoch,
                v.transaction_timeout_ms,
                v.transaction_status,
                parts,
                v.transaction_start_timestamp_ms,
                v.transaction_last_update_timestamp_ms,
            ),
        )
    return c


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["init", "init_kip360", "add", "commit", "abort", "markers", "tick", "restart"]),
        st.integers(0, 1),  # which of two clients (they share the transactional id)
        st.integers(0, 2),  # partition
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(_OPS)
def test_any_call_sequence_keeps_invariants_and_replays_from_its_records(ops) -> None:  # type: ignore[no-untyped-def]
    c, ids = coordinator()
    clients: list[tuple[int, int]] = [(-1, -1), (-1, -1)]
    records: list[tuple[bytes, bytes]] = []
    now = 0
    last_epoch = -1
    for op, who, partition in ops:
        now += 1000
        pid, epoch = clients[who]
        if op in ("init", "init_kip360"):
            code, new_pid, new_epoch = c.init_producer_id(
                now, "tx", 5000, pid if op == "init_kip360" else -1, epoch if op == "init_kip360" else -1, lambda: next(ids)
            )
            if code == 0:
                clients[who] = (new_pid, new_epoch)
        elif op == "add":
            c.add_partitions(now, "tx", pid, epoch, [("t", partition)])
        elif op in ("commit", "abort"):
            c.end_txn(now, "tx", pid, epoch, commit=op == "commit")
        elif op == "markers":
            complete_markers(c, now)
        elif op == "tick":
            c.abort_timed_out(now)
        for txn_id in c.take_changed():
            m = c.describe(txn_id)
            assert m is not None
            records.append(_record_of(m))
        if op == "restart":  # a new coordinator from the records; unfinished markers are written again
            pending = {(j.producer_id, j.producer_epoch, j.commit) for j in c.pending_markers}
            c = _replay(records)
            c.resume(now)
            assert {(j.producer_id, j.producer_epoch, j.commit) for j in c.pending_markers} == pending
        m = c.describe("tx")
        if m is None:
            continue
        assert m.producer_epoch >= last_epoch or m.producer_epoch == 0  # epochs only grow (or a new producer id)
        last_epoch = m.producer_epoch
        assert (m.state == ONGOING) <= bool(m.partitions)
        assert m.state not in (EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT) or not m.partitions
        assert len({(j.producer_id, j.producer_epoch) for j in c.pending_markers}) == len(c.pending_markers)
        assert bool(c.pending_markers) == (m.state in (PREPARE_COMMIT, PREPARE_ABORT))
        # a client other than the latest one is fenced
        for other in range(2):
            opid, oepoch = clients[other]
            if opid >= 0 and (opid, oepoch) != (m.producer_id, m.producer_epoch):
                assert c.add_partitions(now, "tx", opid, oepoch, [TP]) in (ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_ID_MAPPING)
        replayed = _replay(records).describe("tx")
        assert replayed is not None
        assert (replayed.producer_id, replayed.producer_epoch, replayed.state, replayed.partitions) == (
            m.producer_id,
            m.producer_epoch,
            m.state,
            m.partitions,
        )


def test_idle_transactional_ids_expire_but_open_transactions_do_not() -> None:
    c, ids = coordinator()
    init(c, ids)
    c.init_producer_id(0, "busy", 10_000, -1, -1, lambda: next(ids))
    c.add_partitions(0, "busy", 1001, 0, [TP])
    c.take_changed()
    assert c.expire_ids(1000, 1000) == []
    assert c.expire_ids(1001, 1000) == ["tx"]
    assert c.take_expired() == ["tx"] and c.describe("tx") is None
    assert c.describe("busy") is not None  # Ongoing: aborted by its timeout, never expired
    assert init(c, ids, now=2000) == (0, 1002, 0)  # the id starts afresh


def test_list_filters_by_state_producer_and_duration() -> None:
    c, ids = coordinator()
    init(c, ids)
    c.add_partitions(1000, "tx", 1000, 0, [TP])
    c.init_producer_id(0, "idle", 10_000, -1, -1, lambda: next(ids))
    assert {m.transactional_id for m in c.list(None, None, -1, 5000)} == {"tx", "idle"}
    assert [m.transactional_id for m in c.list({ONGOING}, None, -1, 5000)] == ["tx"]
    assert [m.transactional_id for m in c.list(None, {1001}, -1, 5000)] == ["idle"]
    assert [m.transactional_id for m in c.list({ONGOING}, None, 3000, 5000)] == ["tx"]  # running 4000 ms
    assert c.list({ONGOING}, None, 4000, 5000) == []
