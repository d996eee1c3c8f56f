"""PartitionLog: append/read/roll/retention/truncation/recovery with a manual clock, crash damage by hypothesis."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog
from strom.storage.log_manager import LogManager


def batch(n=3, value=b"v", ts=None, pid=-1, epoch=-1, seq=-1):
    b = BatchBuilder(producer_id=pid, producer_epoch=epoch, base_sequence=seq)
    for i in range(n):
        b.append(value + str(i).encode(), key=b"k", timestamp=ts)
    return b.build()


def values(log, offset=0):
    return [(r.offset, r.value) for _, r in iter_all_records(log.read_bytes(offset))]


_OPEN: list = []


@pytest.fixture(autouse=True)
def _close_logs():
    """Every log a test opens is closed after it (open files would be ResourceWarnings = errors)."""
    yield
    while _OPEN:
        lg = _OPEN.pop()
        for seg in lg.segments:
            seg.close()
        lg.close_retired()


_real_open = PartitionLog.open.__func__


def _tracked_open(cls, *args, **kwargs):
    lg = _real_open(cls, *args, **kwargs)
    _OPEN.append(lg)
    return lg


PartitionLog.open = classmethod(_tracked_open)  # type: ignore[method-assign]


@pytest.fixture
def clock():
    return ManualClock()


def open_log(tmp_path, clock, **cfg):
    return PartitionLog.open(tmp_path / "t-0", LogConfig(**cfg), clock)


def test_append_assigns_offsets_and_reads_back(tmp_path, clock):
    log = open_log(tmp_path, clock)
    r1 = log.append_as_leader(batch(3), leader_epoch=0)
    r2 = log.append_as_leader(batch(2) + batch(4), leader_epoch=0)
    assert (r1.first_offset, r1.last_offset) == (0, 2)
    assert (r2.first_offset, r2.last_offset) == (3, 8)
    assert log.log_end_offset == 9
    assert [o for o, _ in values(log)] == list(range(9))


def test_read_from_inside_a_batch_returns_the_whole_batch(tmp_path, clock):
    log = open_log(tmp_path, clock)
    log.append_as_leader(batch(5), 0)
    sl = log.read(3, 10)  # max_bytes smaller than a batch: still one batch
    assert sl is not None and sl.size > 10
    assert [o for _, r in iter_all_records(sl.read()) for o in [r.offset]] == [0, 1, 2, 3, 4]


def test_read_respects_high_watermark_bound_and_range(tmp_path, clock):
    log = open_log(tmp_path, clock)
    log.append_as_leader(batch(2), 0)
    log.append_as_leader(batch(2), 0)
    sl = log.read(0, 1 << 20, max_offset=2)
    assert [r.offset for _, r in iter_all_records(sl.read())] == [0, 1]
    assert log.read(4, 100) is None
    with pytest.raises(KafkaError) as e:
        log.read(5, 100)
    assert e.value.code() == ErrorCode.OFFSET_OUT_OF_RANGE


def test_roll_by_size_and_reopen(tmp_path, clock):
    log = open_log(tmp_path, clock, segment_bytes=300)
    for _ in range(10):
        log.append_as_leader(batch(2, value=b"x" * 50), 0)
    assert len(log.segments) > 3
    names = sorted(p.name for p in (tmp_path / "t-0").glob("*.log"))
    assert names[0] == "00000000000000000000.log"
    before = values(log)
    log.close()
    again = open_log(tmp_path, clock, segment_bytes=300)
    assert values(again) == before and again.log_end_offset == 20


def test_retention_by_time_and_bytes(tmp_path, clock):
    log = open_log(tmp_path, clock, segment_bytes=200, retention_ms=1000)
    for _ in range(6):
        log.append_as_leader(batch(1, value=b"x" * 100, ts=clock.now_ms()), 0)
    clock.advance(5000)
    assert log.enforce_retention(clock.now_ms()) >= 5
    assert log.log_start_offset == 6 == log.log_end_offset
    log2 = PartitionLog.open(tmp_path / "u-0", LogConfig(segment_bytes=200, retention_bytes=300), clock)
    for _ in range(6):
        log2.append_as_leader(batch(1, value=b"x" * 100, ts=clock.now_ms()), 0)
    log2.enforce_retention(clock.now_ms())
    assert log2.size_bytes <= 300 + 200 and log2.log_start_offset > 0


def test_delete_records_and_truncate(tmp_path, clock):
    log = open_log(tmp_path, clock, segment_bytes=200)
    for _ in range(6):
        log.append_as_leader(batch(1, value=b"x" * 100), 0)
    log.high_watermark = log.log_end_offset  # the caller (the partition's leader) owns the HW
    assert log.delete_records_before(4) == 4
    assert values(log, 4)[0][0] == 4
    with pytest.raises(KafkaError):
        log.read(2, 100)
    log.truncate_to(5)
    assert log.log_end_offset == 5


def test_offset_for_timestamp(tmp_path, clock):
    log = open_log(tmp_path, clock, index_interval_bytes=1)
    for i in range(10):
        log.append_as_leader(batch(1, ts=1000 + i * 10), 0)
    assert log.offset_for_timestamp(1035) == (4, 1040)
    assert log.offset_for_timestamp(5000) is None
    assert log.max_timestamp_and_offset() == (1090, 9)


def test_max_timestamp_is_found_inside_its_batch_across_segments_and_a_reopen(tmp_path, clock):
    """KIP-734: the offset of the first record with the largest timestamp, not its batch's last offset."""

    def stamped(*stamps):
        b = BatchBuilder(compression_type=1)
        for ts in stamps:
            b.append(b"v", key=b"k", timestamp=ts)
        return b.build()

    log = open_log(tmp_path, clock, segment_bytes=200)
    log.append_as_leader(stamped(10, 900, 20, 900, 30), 0)  # offsets 0-4, its own segment
    log.append_as_leader(stamped(40, 50), 0)
    assert len(log.segments) > 1
    assert log.max_timestamp_and_offset() == (900, 1)
    log.close()
    log = open_log(tmp_path, clock, segment_bytes=200)
    assert log.max_timestamp_and_offset() == (900, 1)
    log.close()


def test_corrupt_batch_and_too_large_rejected(tmp_path, clock):
    log = open_log(tmp_path, clock, max_message_bytes=100)
    raw = bytearray(batch(1))
    raw[-1] ^= 1
    with pytest.raises(KafkaError) as e:
        log.append_as_leader(bytes(raw), 0)
    assert e.value.code() == ErrorCode.CORRUPT_MESSAGE
    with pytest.raises(KafkaError) as e:
        log.append_as_leader(batch(1, value=b"x" * 200), 0)
    assert e.value.code() == ErrorCode.MESSAGE_TOO_LARGE


def test_idempotent_duplicates_and_gaps(tmp_path, clock):
    log = open_log(tmp_path, clock)
    first = log.append_as_leader(batch(2, pid=7, epoch=0, seq=0), 0)
    dup = log.append_as_leader(batch(2, pid=7, epoch=0, seq=0), 0)
    assert dup.duplicate and (dup.first_offset, dup.last_offset) == (first.first_offset, first.last_offset)
    assert log.log_end_offset == 2
    with pytest.raises(KafkaError) as e:
        log.append_as_leader(batch(1, pid=7, epoch=0, seq=5), 0)
    assert e.value.code() == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    log.append_as_leader(batch(1, pid=7, epoch=0, seq=2), 0)
    log.close()
    again = open_log(tmp_path, clock)  # producer state survives a restart
    assert again.append_as_leader(batch(1, pid=7, epoch=0, seq=2), 0).duplicate


def test_leader_epoch_cache(tmp_path, clock):
    log = open_log(tmp_path, clock)
    log.append_as_leader(batch(2), 0)
    log.append_as_leader(batch(3), 2)
    assert log.leader_epoch_cache.end_offset_for(0, log.log_end_offset) == (0, 2)
    assert log.leader_epoch_cache.end_offset_for(1, log.log_end_offset) == (0, 2)
    assert log.leader_epoch_cache.end_offset_for(2, log.log_end_offset) == (2, 5)
    assert (tmp_path / "t-0" / "leader-epoch-checkpoint").read_text().startswith("0\n2\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_recovery_keeps_every_batch_before_damage(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("crash")
    clock = ManualClock()
    log = PartitionLog.open(d / "t-0", LogConfig(), clock)
    ends = []
    for i in range(8):
        log.append_as_leader(batch(2, value=b"v" * (i * 7 + 1)), 0)
        ends.append(log.active_segment.size)
    log.close()
    path = d / "t-0" / "00000000000000000000.log"
    size = path.stat().st_size
    damage = data.draw(st.sampled_from(["truncate", "flip", "drop-index"]))
    where = data.draw(st.integers(0, size - 1))
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[:where]
    elif damage == "flip":
        raw[where] ^= 0xFF
    path.write_bytes(bytes(raw))
    if damage == "drop-index":
        (d / "t-0" / "00000000000000000000.index").unlink()
    again = PartitionLog.open(d / "t-0", LogConfig(), clock)
    intact = sum(1 for e in ends if e <= where) if damage != "drop-index" else len(ends)
    starts = [0, *ends[:-1]]
    if damage == "flip" and any(s + 12 <= where < s + 16 for s in starts):
        # the partition leader epoch is outside the CRC (as in Kafka): a flip there is not detectable
        intact = len(ends)
    got = values(again)
    assert len(got) == 2 * intact
    assert again.log_end_offset == 2 * intact
    # and the log accepts new appends at the right offset
    assert again.append_as_leader(batch(1), 0).first_offset == 2 * intact


def test_kill_minus_9_mid_append_recovers(tmp_path):
    script = f"""
import sys
from strom.protocol.records import BatchBuilder
from strom.storage.clock import SystemClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog
log = PartitionLog.open(__import__('pathlib').Path({str(tmp_path / "t-0")!r}), LogConfig(segment_bytes=1<<20), SystemClock())
i = 0
while True:
    b = BatchBuilder()
    for j in range(50):
        b.append(b'x' * 100)
    log.append_as_leader(b.build(), 0)
    i += 1
    if i == 200:
        print('ready', flush=True)
"""
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as proc:
        assert proc.stdout.readline().strip() == b"ready"
        proc.kill()
        proc.wait()
    log = PartitionLog.open(tmp_path / "t-0", LogConfig(segment_bytes=1 << 20), ManualClock())
    got = [o for o, _ in values(log)]
    assert len(got) >= 200 * 50 and got == list(range(len(got)))


def test_log_manager_layout_and_checkpoints(tmp_path, clock):
    (tmp_path / "not-a-log").mkdir()
    (tmp_path / "not-a-log" / "keep.txt").write_text("x")
    lm = LogManager([tmp_path], clock)
    lg = lm.get_or_create("orders", 3, LogConfig())
    lg.append_as_leader(batch(2), 0)
    lm.close()
    assert (tmp_path / "orders-3").is_dir() and (tmp_path / "meta.properties").exists()
    assert "orders 3 2" in (tmp_path / "recovery-point-offset-checkpoint").read_text()
    lm2 = LogManager([tmp_path], clock)
    lm2.load_all(lambda topic: LogConfig())
    assert lm2.get("orders", 3).log_end_offset == 2
    assert (tmp_path / "not-a-log" / "keep.txt").read_text() == "x"
    lm2.delete("orders", 3)
    lm2.close()
    assert not any(p.name.startswith("orders-3") for p in tmp_path.iterdir())
    assert os.path.exists(tmp_path / "meta.properties") and Path(tmp_path).exists()


def test_read_cuts_by_bytes_like_kafka_and_clients_drop_the_partial_tail(tmp_path, clock):
    """LogSegment.read in Kafka cuts the slice at max_bytes, not at a batch boundary: a read costs two
    index lookups whatever the batch sizes. A trailing partial batch is what clients expect and drop."""
    log = open_log(tmp_path, clock)
    for _ in range(4):
        log.append_as_leader(batch(2, value=b"x" * 100), 0)
    whole = log.read(0, 1 << 20)
    one = whole.size // 4
    sl = log.read(0, one + one // 2)
    assert sl.size == one + one // 2
    assert [r.offset for _, r in iter_all_records(sl.read())] == [0, 1]  # the partial second batch is dropped
    assert log.read(0, one + one // 2, max_offset=2).size == one  # never past the high watermark
    assert log.read(2, 10, min_one_batch=False) is None  # not even one batch fits: empty, as in Kafka


def test_read_bytes_returns_only_whole_batches(tmp_path, clock):
    log = open_log(tmp_path, clock)
    for _ in range(4):
        log.append_as_leader(batch(2, value=b"x" * 100), 0)
    one = log.read(0, 1 << 20).size // 4
    assert [o for o, _ in values(log)] == list(range(8))
    assert len(log.read_bytes(0, max_bytes=2 * one + 5)) == 2 * one
    assert len(log.read_bytes(3, max_bytes=one - 1)) == one  # the first batch always comes whole


def test_new_partition_skips_the_disk_scan_and_reopens_the_same(tmp_path, clock):
    """A fresh directory has nothing to recover: open() creates the first segment directly."""
    log = open_log(tmp_path, clock)
    assert [s.base_offset for s in log.segments] == [0] and log.log_end_offset == 0
    log.append_as_leader(batch(3), 0)
    log.close()
    again = open_log(tmp_path, clock)
    assert again.log_end_offset == 3 and [o for o, _ in values(again)] == [0, 1, 2]


def test_closing_a_segment_twice_leaves_the_fd_number_alone(tmp_path, clock):
    """The second close must not close the fd number again: by then it may be a client's socket (a uvloop
    loop watching it aborts the process) or another segment's file."""
    log = open_log(tmp_path, clock)
    log.append_as_leader(batch(), leader_epoch=0)
    seg = log.segments[0]
    number = seg._fd
    seg.close()
    read_end, write_end = os.pipe()
    os.dup2(read_end, number)  # the number is reused, as the next open() or socket() would
    try:
        seg.close()
        log.close()
        os.fstat(number)  # still open
    finally:
        for fd in {number, read_end, write_end}:
            os.close(fd)
