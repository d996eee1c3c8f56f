"""append_as_leader's fast path (one batch, no producer id, CreateTime, not compacted) gives exactly the
log, indexes, results and errors of the general path, and is the path plain batches take."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog


def batch(n: int, tag: bytes, ts: int = 1_700_000_000_000, pid: int = -1, key: bool = True) -> bytes:
    b = BatchBuilder(producer_id=pid, producer_epoch=0 if pid >= 0 else -1, base_sequence=0 if pid >= 0 else -1)
    for i in range(n):
        b.append(tag + b"-%d" % i, key=b"k%d" % i if key else None, timestamp=ts + (i * 7919) % 1000)
    return b.build()


def as_kind(data: bytes, kind: str) -> bytes | bytearray | memoryview:
    if kind == "bytearray":
        return bytearray(data)
    if kind == "frame":
        return memoryview(bytearray(b"xx" + data))[2:]  # a writable view into a request frame
    if kind == "view":
        return memoryview(data)
    return data


def state(lg: PartitionLog) -> list:
    """Everything an append changes that a reader or a restart can see."""
    out = [lg.log_end_offset, lg.unflushed_messages, list(lg.leader_epoch_cache.entries), lg.max_timestamp_and_offset()]
    for seg in lg.segments:
        seg.write_unwritten()
        out.append(
            (
                seg.base_offset,
                seg.read_bytes(0, seg.size),
                list(seg.index_offsets),
                list(seg.index_positions),
                list(seg.time_entries),
                seg.first_batch_timestamp,
                seg.next_offset,
            )
        )
    return out


APPEND = st.tuples(
    st.integers(1, 6),  # records
    st.sampled_from(["bytes", "bytearray", "frame", "view"]),
    st.integers(-1, 3),  # leader epoch
    st.integers(-50, 400),  # timestamp shift: max timestamps go up and down
    st.integers(0, 3),  # ms the clock moves first (segment.ms rolls)
    st.booleans(),  # deferred (group commit)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(APPEND, min_size=1, max_size=60))
def test_fast_path_and_general_path_give_the_same_log(tmp_path_factory, appends):
    config = LogConfig(segment_bytes=1400, index_interval_bytes=100, segment_index_bytes=64, segment_ms=20, segment_jitter_ms=0)
    root = tmp_path_factory.mktemp("p")
    clocks = [ManualClock(), ManualClock()]
    fast = PartitionLog.open(root / "fast-0", config, clocks[0])
    general = PartitionLog.open(root / "general-0", config, clocks[1])
    try:
        for i, (n, kind, epoch, shift, tick, deferred) in enumerate(appends):
            data = batch(n, b"%d" % i, ts=1_700_000_000_000 + shift)
            for clock in clocks:
                clock.advance(tick)
            got = fast.append_as_leader(as_kind(data, kind), epoch, defer_write=deferred)
            want = general._append_checked(as_kind(data, kind), epoch, False, deferred)
            assert got == want and type(got) is type(want)
            if i % 5 == 4:
                fast.write_buffered()
                general.write_buffered()
        assert state(fast) == state(general)
        fast.close()
        again = PartitionLog.open(fast.directory, config, ManualClock(), recovery_point=0)  # every CRC checked
        assert again.log_end_offset == general.log_end_offset
        again.close()
    finally:
        general.close()
        for seg in fast.segments:
            seg.close()


@pytest.fixture
def log(tmp_path):
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(max_message_bytes=4096, segment_bytes=1 << 20), ManualClock())
    yield lg
    lg.close()


def test_plain_batches_take_the_fast_path(log, monkeypatch):
    def general(*args):
        raise AssertionError("general path taken")

    monkeypatch.setattr(log, "_append_checked", general)
    for kind in ("bytes", "bytearray", "frame", "view"):
        log.append_as_leader(as_kind(batch(3, b"a"), kind), 0, defer_write=True)
    log.write_buffered()
    assert log.log_end_offset == 12
    with pytest.raises(AssertionError):  # an idempotent batch needs producer state: general path
        log.append_as_leader(batch(1, b"p", pid=5), 0)


def corrupt(data: bytes, at: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


GOOD = batch(3, b"x")
BAD = [
    (corrupt(GOOD, 17, ">I", 12345), ErrorCode.CORRUPT_MESSAGE),  # CRC
    (corrupt(GOOD, 16, ">b", 1), ErrorCode.CORRUPT_MESSAGE),  # magic
    (corrupt(GOOD, 57, ">i", 4), ErrorCode.CORRUPT_MESSAGE),  # record count (CRC covered: fails the CRC first)
    (GOOD + b"\0" * 10, ErrorCode.CORRUPT_MESSAGE),  # trailing garbage
    (GOOD[:-1], ErrorCode.CORRUPT_MESSAGE),  # truncated
    (batch(60, b"y" * 60), ErrorCode.MESSAGE_TOO_LARGE),  # above max.message.bytes=4096
]


@pytest.mark.parametrize(("data", "code"), BAD)
def test_bad_single_batches_get_the_general_paths_error(log, data, code):
    with pytest.raises(KafkaError) as err:
        log.append_as_leader(data, 0)
    assert err.value.code() == code
    assert log.log_end_offset == 0 and log.active_segment.size == 0


def test_record_count_check_without_crc_failure(log):
    """A client's count that does not match lastOffsetDelta is INVALID_RECORD (the CRC was computed over it)."""
    from crc32c import crc32c

    bad = bytearray(corrupt(GOOD, 57, ">i", 5))
    struct.pack_into(">I", bad, 17, crc32c(bytes(bad[21:])))
    with pytest.raises(KafkaError) as err:
        log.append_as_leader(bytes(bad), 0)
    assert err.value.code() == ErrorCode.INVALID_RECORD


def test_batch_above_segment_bytes_is_record_list_too_large(tmp_path):
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(max_message_bytes=1 << 20, segment_bytes=1024), ManualClock())
    try:
        with pytest.raises(KafkaError) as err:
            lg.append_as_leader(batch(40, b"z" * 40), 0)
        assert err.value.code() == ErrorCode.RECORD_LIST_TOO_LARGE
    finally:
        lg.close()


def test_a_config_change_turns_the_fast_path_off_and_on(log):
    log.append_as_leader(batch(1, b"a", key=False), 0)
    log.update_config(LogConfig(max_message_bytes=4096, cleanup_policy="compact"))
    with pytest.raises(KafkaError) as err:  # compacted: keyless records are refused
        log.append_as_leader(batch(1, b"b", key=False), 0)
    assert err.value.code() == ErrorCode.INVALID_RECORD
    log.update_config(LogConfig(max_message_bytes=4096, message_timestamp_type="LogAppendTime"))
    assert log.append_as_leader(batch(1, b"c"), 0).log_append_time == log.clock.now_ms()
    log.update_config(LogConfig(max_message_bytes=4096))
    assert log.append_as_leader(batch(1, b"d"), 0).log_append_time == -1
    assert log.log_end_offset == 3


ONE = batch(2, b"r")


@pytest.mark.parametrize(
    ("config", "tick", "bases"),
    [
        (LogConfig(segment_bytes=3 * len(ONE)), 0, [0, 6, 12, 18]),  # the third batch fills a segment exactly
        (LogConfig(index_interval_bytes=1, segment_index_bytes=8 * 3), 0, [0, 6, 12, 18]),  # an entry per batch
        (LogConfig(segment_ms=10, segment_jitter_ms=0), 5, [0, 4, 10, 16]),  # 10 ms old: not yet; 15 ms: roll
    ],
    ids=["segment.bytes", "segment.index.bytes", "segment.ms"],
)
def test_fast_path_rolls_exactly_where_the_general_path_does(tmp_path, config, tick, bases):
    clocks = [ManualClock(), ManualClock()]
    fast = PartitionLog.open(tmp_path / "fast-0", config, clocks[0])
    general = PartitionLog.open(tmp_path / "general-0", config, clocks[1])
    try:
        for _ in range(10):
            for clock in clocks:
                clock.advance(tick)
            assert fast.append_as_leader(ONE, 0) == general._append_checked(ONE, 0, False, False)
        assert [s.base_offset for s in fast.segments] == [s.base_offset for s in general.segments] == bases
        assert state(fast) == state(general)
    finally:
        fast.close()
        general.close()
