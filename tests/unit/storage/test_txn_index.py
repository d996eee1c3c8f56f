"""Transactions on the partition side: the last stable offset, the aborted-transaction index (.txnindex in
Kafka's layout) across roll, reopen, crash recovery, truncation and retention, and transactional cleaning."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.cleaner import LogCleaner
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog
from strom.storage.txn_index import CONTROL_ABORT, CONTROL_COMMIT, AbortedTxn, control_type, marker_record_key, marker_record_value

_OPEN: list[PartitionLog] = []


@pytest.fixture(autouse=True)
def _close_logs():  # type: ignore[no-untyped-def]
    yield
    while _OPEN:
        crash(_OPEN.pop())


def crash(lg: PartitionLog) -> None:
    """Closes the fds without writing a snapshot (what kill -9 leaves)."""
    for seg in lg.segments:
        seg.close()
    lg.close_retired()


def open_log(path, clock=None, **cfg) -> PartitionLog:  # type: ignore[no-untyped-def]
    lg = PartitionLog.open(path, LogConfig(**cfg), clock or ManualClock())
    _OPEN.append(lg)
    return lg


def data(pid: int, epoch: int = 0, seq: int = 0, n: int = 1, txn: bool = True, key: bytes | None = None) -> bytes:
    b = BatchBuilder(producer_id=pid, producer_epoch=epoch, base_sequence=seq, is_transactional=txn)
    for i in range(n):
        b.append(b"v%d" % i, key=key if key is not None else b"k%d" % i, timestamp=1_700_000_000_000)
    return b.build()


def plain(n: int = 1) -> bytes:
    b = BatchBuilder()
    for i in range(n):
        b.append(b"p%d" % i, key=b"p%d" % i, timestamp=1_700_000_000_000)
    return b.build()


def marker(pid: int, commit: bool, epoch: int = 0) -> bytes:
    b = BatchBuilder(producer_id=pid, producer_epoch=epoch, is_transactional=True, is_control=True)
    b.append(marker_record_value(5), key=marker_record_key(commit), timestamp=1_700_000_000_000)
    return b.build()


def put(lg: PartitionLog, batch: bytes) -> int:
    first = lg.append_as_leader(batch, 0).first_offset
    lg.high_watermark = lg.log_end_offset
    return first


def test_control_type_reads_the_marker_key() -> None:
    assert control_type(marker(1, True)) == CONTROL_COMMIT
    assert control_type(marker(1, False)) == CONTROL_ABORT
    assert control_type(plain()[:70]) == -1


def test_lso_follows_the_oldest_open_transaction_and_aborts_are_indexed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lg = open_log(tmp_path / "t-0")
    put(lg, plain())  # 0
    assert lg.last_stable_offset == 1
    put(lg, data(7, n=2))  # 1-2: pid 7 opens at 1
    put(lg, plain())  # 3
    put(lg, data(8))  # 4: pid 8 opens at 4
    assert lg.last_stable_offset == 1
    put(lg, marker(7, commit=False))  # 5: pid 7 aborted
    assert lg.last_stable_offset == 4
    assert lg.aborted_transactions(0, 100) == [(7, 1)]
    put(lg, data(7, seq=2))  # 6: pid 7 opens again
    put(lg, marker(8, commit=True))  # 7
    assert lg.last_stable_offset == 6
    put(lg, marker(7, commit=True))  # 8
    assert lg.last_stable_offset == lg.high_watermark == 9
    assert lg.aborted_transactions(0, 100) == [(7, 1)]
    assert lg.aborted_transactions(6, 100) == []  # the aborted range ended at 5
    raw = (tmp_path / "t-0" / f"{0:020d}.txnindex").read_bytes()
    assert struct.unpack(">hqqqq", raw) == (0, 7, 1, 5, 4)  # Kafka's 34-byte entry: version, pid, first, last, LSO


def test_non_transactional_write_inside_a_transaction_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lg = open_log(tmp_path / "t-0")
    put(lg, data(3))
    with pytest.raises(KafkaError) as caught:
        put(lg, data(3, seq=1, txn=False))
    assert caught.value.code() == ErrorCode.INVALID_TXN_STATE


def test_state_survives_clean_close_crash_and_roll(tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path / "t-0"
    lg = open_log(d, segment_bytes=300)
    put(lg, data(1, n=3))
    put(lg, marker(1, commit=False))
    for _ in range(4):
        put(lg, plain(2))  # rolls a few segments
    put(lg, data(2, n=2))  # open at the end
    open_at = lg.log_end_offset - 2
    assert len(lg.segments) > 2
    expected = (lg.last_stable_offset, lg.aborted_transactions(0, 1 << 40))
    assert expected == (open_at, [(1, 0)])
    lg.close()
    _OPEN.remove(lg)
    again = open_log(d, segment_bytes=300)
    assert (again.last_stable_offset, again.aborted_transactions(0, 1 << 40)) == expected
    crash(again)
    _OPEN.remove(again)
    for snap in d.glob("*.snapshot"):
        snap.unlink()  # kill -9 before any snapshot: rebuilt from the log
    third = open_log(d, segment_bytes=300)
    assert (third.last_stable_offset, third.aborted_transactions(0, 1 << 40)) == expected
    put(third, marker(2, commit=False))
    assert third.aborted_transactions(0, 1 << 40) == [(1, 0), (2, open_at)]


def test_truncation_and_retention_drop_index_entries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    d = tmp_path / "t-0"
    lg = open_log(d, clock, segment_bytes=250, retention_ms=1000)
    put(lg, data(1))
    put(lg, marker(1, commit=False))  # aborted [0, 1]
    put(lg, plain(3))
    put(lg, data(2))
    cut = put(lg, marker(2, commit=False))
    assert [a for a, _ in lg.aborted_transactions(0, 1 << 40)] == [1, 2]
    lg.truncate_to(cut)  # the second marker goes: pid 2's transaction is open again
    assert [a for a, _ in lg.aborted_transactions(0, 1 << 40)] == [1]
    assert lg.last_stable_offset == cut - 1
    put(lg, marker(2, commit=True))
    for _ in range(6):
        put(lg, plain(3))
    clock.advance(10**12)  # everything but the active segment is past retention
    lg.enforce_retention(clock.now_ms())
    assert lg.aborted_transactions(0, 1 << 40) == []
    assert not [p for p in d.glob("*.txnindex") if int(p.name[:20]) < lg.segments[0].base_offset]


def test_compaction_drops_aborted_records_and_stops_at_the_lso(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, cleanup_policy="compact", segment_bytes=300)
    put(lg, data(1, key=b"K"))
    put(lg, marker(1, commit=True))  # K=v0 committed
    put(lg, data(2, key=b"K"))
    put(lg, marker(2, commit=False))  # K=v0 of pid 2 aborted: must not displace the committed value
    for _ in range(4):
        put(lg, plain(2))
    put(lg, data(3, key=b"K"))  # open: at and after it nothing is cleaned
    LogCleaner().clean(lg, clock.now_ms(), force=True)
    kept = [(h.producer_id, r.key) for h, r in iter_all_records(lg.read_bytes(0)) if not h.is_control and r.key == b"K"]
    assert kept == [(1, b"K"), (3, b"K")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["data", "commit", "abort", "plain"]), st.integers(1, 3)), max_size=30))
def test_lso_and_aborted_match_a_model_and_survive_reopen(tmp_path_factory, ops) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("h") / "t-0"
    lg = open_log(d, segment_bytes=400)
    open_first: dict[int, int] = {}
    seqs: dict[int, int] = {}
    aborted: list[tuple[int, int]] = []
    for op, pid in ops:
        if op == "data":
            offset = put(lg, data(pid, seq=seqs.get(pid, 0)))
            seqs[pid] = seqs.get(pid, 0) + 1
            open_first.setdefault(pid, offset)
        elif op == "plain":
            put(lg, plain())
        else:
            put(lg, marker(pid, commit=op == "commit"))
            first = open_first.pop(pid, None)
            if op == "abort" and first is not None:
                aborted.append((pid, first))
        assert lg.last_stable_offset == min(open_first.values(), default=lg.high_watermark)
    assert lg.aborted_transactions(0, 1 << 40) == aborted
    crash(lg)
    _OPEN.remove(lg)
    again = open_log(d, segment_bytes=400)
    assert again.last_stable_offset == min(open_first.values(), default=again.high_watermark)
    assert again.aborted_transactions(0, 1 << 40) == aborted
    assert all(isinstance(a, AbortedTxn) for a in again.txn_index.all())
