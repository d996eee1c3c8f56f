"""Appends with defer_write (group commit): buffered until write_buffered(), yet every reader, flush, roll,
truncation and close sees them, a failed write takes the log back to what is on disk, and a flush on a
worker thread racing deferred appends loses nothing."""

import errno
import os
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strom.storage.segment as segment_module
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog


def batch(tag: bytes, n: int = 2, pid: int = -1, seq: int = -1) -> bytes:
    b = BatchBuilder(producer_id=pid, producer_epoch=0 if pid >= 0 else -1, base_sequence=seq)
    for i in range(n):
        b.append(tag + b"." + str(i).encode(), key=b"k", timestamp=1_700_000_000_000)
    return b.build()


def values(lg: PartitionLog) -> list[bytes | None]:
    return [r.value for _, r in iter_all_records(lg.read_bytes(lg.log_start_offset))]


def on_disk(lg: PartitionLog) -> int:
    return sum(os.path.getsize(s.log_path) for s in lg.segments)


@pytest.fixture
def log(tmp_path):
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(segment_bytes=4096, index_interval_bytes=100), ManualClock())
    yield lg
    lg.close()


def test_deferred_appends_are_written_in_one_call_by_write_buffered(log, monkeypatch):
    calls = []
    real = os.pwritev
    monkeypatch.setattr(segment_module, "pwritev", lambda fd, pieces, pos: calls.append(len(pieces)) or real(fd, pieces, pos))
    for i in range(5):
        assert log.append_as_leader(batch(b"%d" % i), 0, defer_write=True).first_offset == 2 * i
    assert log.log_end_offset == 10 and on_disk(log) == 0 and calls == []
    log.write_buffered()
    assert calls == [10] and on_disk(log) == log.size_bytes
    assert values(log) == [b"%d.%d" % (i, j) for i in range(5) for j in range(2)]


@pytest.mark.parametrize("action", ["read", "flush", "roll", "truncate", "close", "immediate_append", "timestamp"])
def test_every_reader_and_change_sees_deferred_appends(log, action):
    for i in range(3):
        log.append_as_leader(batch(b"%d" % i), 0, defer_write=True)
    expected = [b"%d.%d" % (i, j) for i in range(3) for j in range(2)]
    if action == "read":
        chunk = log.read(0, 1 << 20)
        assert chunk is not None and chunk.size == log.size_bytes
        assert len(chunk.read()) == chunk.size  # what sendfile would send is in the file
    elif action == "flush":
        log.flush()
        assert log.recovery_point == 6
    elif action == "roll":
        log.roll()
        log.append_as_leader(batch(b"x"), 0)
        expected += [b"x.0", b"x.1"]
    elif action == "truncate":
        log.truncate_to(4)
        expected = expected[:4]
        log.append_as_leader(batch(b"t"), 0, defer_write=True)
        expected += [b"t.0", b"t.1"]
    elif action == "close":
        log.close()
        log = PartitionLog.open(log.directory, log.config, ManualClock())
    elif action == "immediate_append":  # an append without defer_write writes what was buffered before it
        log.append_as_leader(batch(b"n"), 0)
        expected += [b"n.0", b"n.1"]
        assert on_disk(log) == log.size_bytes
    elif action == "timestamp":
        assert log.offset_for_timestamp(1_700_000_000_000) == (0, 1_700_000_000_000)
    assert values(log) == expected
    log.write_buffered()
    assert on_disk(log) == log.size_bytes
    if action == "close":
        log.close()


def test_a_failed_write_takes_the_log_back_to_the_disk(log, monkeypatch):
    log.append_as_leader(batch(b"kept", pid=7, seq=0), 0)
    log.append_as_leader(batch(b"lost", pid=7, seq=2), 0, defer_write=True)
    log.append_as_leader(batch(b"lost2"), 0, defer_write=True)
    log.high_watermark = log.log_end_offset

    def refuse(fd, pieces, pos):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(segment_module, "pwritev", refuse)
    with pytest.raises(KafkaError) as err:
        log.write_buffered()
    assert err.value.code() == ErrorCode.KAFKA_STORAGE_ERROR
    assert log.log_end_offset == 2 and log.high_watermark == 2 and on_disk(log) == log.size_bytes
    monkeypatch.undo()
    # the producer's lost batch was never acknowledged: its retry is not a duplicate and is appended
    again = log.append_as_leader(batch(b"lost", pid=7, seq=2), 0)
    assert not again.duplicate and again.first_offset == 2
    assert values(log) == [b"kept.0", b"kept.1", b"lost.0", b"lost.1"]


def test_a_failed_immediate_write_leaves_no_partial_bytes(log, monkeypatch):
    log.append_as_leader(batch(b"a"), 0)

    def half(fd, pieces, pos):
        os.pwrite(fd, bytes(pieces[0]), pos)  # a torn write: the first piece only
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(segment_module, "pwritev", half)
    with pytest.raises(OSError):
        log.append_as_leader(batch(b"b"), 0)
    monkeypatch.undo()
    assert on_disk(log) == log.size_bytes and log.log_end_offset == 2
    log.append_as_leader(batch(b"c"), 0)
    assert values(log) == [b"a.0", b"a.1", b"c.0", b"c.1"]


OPS = st.one_of(
    st.tuples(st.just("append"), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("write"), st.just(0), st.just(False)),
    st.tuples(st.just("read"), st.integers(0, 40), st.just(False)),
    st.tuples(st.just("roll"), st.just(0), st.just(False)),
    st.tuples(st.just("flush"), st.just(0), st.just(False)),
    st.tuples(st.just("truncate"), st.integers(0, 40), st.just(False)),
    st.tuples(st.just("reopen"), st.just(0), st.just(False)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(OPS, min_size=1, max_size=40))
def test_deferred_and_immediate_appends_interleaved_with_everything_else(tmp_path_factory, ops):
    directory = tmp_path_factory.mktemp("d") / "t-0"
    config = LogConfig(segment_bytes=1024, index_interval_bytes=150)
    lg = PartitionLog.open(directory, config, ManualClock())
    model: list[bytes] = []
    try:
        for i, (op, arg, defer) in enumerate(ops):
            if op == "append":
                lg.append_as_leader(batch(b"%d" % i, arg), 0, defer_write=defer)
                model += [b"%d.%d" % (i, j) for j in range(arg)]
            elif op == "write":
                lg.write_buffered()
            elif op == "read" and arg < len(model):
                first = lg.read(arg, 1 << 20)
                assert first is not None
                got = [(r.offset, r.value) for _, r in iter_all_records(first.read())]
                assert (arg, model[arg]) in got
            elif op == "roll":
                lg.roll()
            elif op == "flush":
                lg.flush()
            elif op == "truncate" and arg < len(model):
                lg.truncate_to(arg)
                # whole batches go: the model keeps what the log kept
                model = model[: lg.log_end_offset]
            elif op == "reopen":
                lg.close()
                lg = PartitionLog.open(directory, config, ManualClock())
            assert lg.log_end_offset == len(model)
        assert values(lg) == model
        lg.close()
        lg = PartitionLog.open(directory, config, ManualClock(), recovery_point=0)
        assert values(lg) == model
    finally:
        lg.close()


def test_flush_on_a_worker_thread_racing_deferred_appends_loses_nothing(tmp_path):
    """The broker flushes from an executor thread while the event loop keeps appending (deferred)."""
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(segment_bytes=256 * 1024), ManualClock())
    stop = threading.Event()

    def flusher() -> None:
        while not stop.is_set():
            lg.flush()

    thread = threading.Thread(target=flusher)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up in a few thousand appends
    thread.start()
    try:
        for i in range(6000):
            lg.append_as_leader(batch(b"%d" % i, 1), 0, defer_write=i % 3 != 0)  # immediate ones too
            if i % 7 == 0:
                lg.write_buffered()
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    lg.write_buffered()
    assert on_disk(lg) == lg.size_bytes
    lg.close()
    again = PartitionLog.open(tmp_path / "t-0", lg.config, ManualClock(), recovery_point=0)
    try:
        assert values(again) == [b"%d.0" % i for i in range(6000)]
    finally:
        again.close()


class _Pieces(list):
    """A list of buffers of a subclass type: still the pieces of one batch, not one buffer."""


@pytest.mark.parametrize("defer_write", [False, True])
def test_pieces_of_a_list_subclass_are_written_as_pieces(tmp_path, defer_write):
    seg = segment_module.Segment(tmp_path, 0, 4096, 0)
    data = batch(b"p")
    seg.append_batch(_Pieces([data[:16], data[16:]]), len(data), 1, 1_700_000_000_000, 1_700_000_000_000, defer_write)
    seg.write_unwritten()
    assert seg.read_bytes(0, len(data)) == data
    seg.close()
