"""Producer-state snapshots in Kafka's binary format, flush policy, and recovery points after kill -9."""

import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog
from strom.storage.log_manager import RECOVERY_CHECKPOINT, LogManager, read_checkpoint
from strom.storage.producer_state import CorruptSnapshot, ProducerEntry, decode_snapshot, encode_snapshot
from strom.storage.segment import Segment

_OPEN: list[PartitionLog] = []


@pytest.fixture(autouse=True)
def _close_logs():
    yield
    while _OPEN:
        lg = _OPEN.pop()
        for seg in lg.segments:
            seg.close()
        lg.close_retired()


def open_log(path, clock, **cfg):
    lg = PartitionLog.open(path, LogConfig(**cfg), clock)
    _OPEN.append(lg)
    return lg


def batch(n=2, pid=-1, epoch=-1, seq=-1, value=b"v"):
    b = BatchBuilder(producer_id=pid, producer_epoch=epoch, base_sequence=seq)
    for i in range(n):
        b.append(value + b"%d" % i, timestamp=1_700_000_000_000)
    return b.build()


# ---- snapshots ------------------------------------------------------------------------------------------


@given(
    st.dictionaries(
        st.integers(0, 2**63 - 1),
        st.tuples(st.integers(0, 32767), st.integers(50, 2**31 - 100), st.integers(0, 50), st.integers(0, 2**40), st.integers(-1, 2**41)),
        max_size=20,
    )
)
def test_snapshot_round_trips_the_last_batch_of_each_producer(raw):
    producers = {}
    for pid, (epoch, last_seq, delta, last_off, ts) in raw.items():
        entry = ProducerEntry(epoch, last_timestamp=ts)
        entry.batches.append((last_seq - delta, last_seq, last_off, last_off + delta))  # older batch: not kept
        entry.batches.append((last_seq - delta, last_seq, last_off, last_off + delta))
        producers[pid] = entry
    data = encode_snapshot(producers)
    assert len(data) == 2 + 4 + 4 + 46 * len(producers)  # Kafka's layout: 46-byte entries
    back = decode_snapshot(data)
    assert {pid: (e.epoch, list(e.batches), e.last_timestamp) for pid, e in back.items()} == {
        pid: (e.epoch, [e.batches[-1]], e.last_timestamp) for pid, e in producers.items()
    }


@given(st.data())
def test_a_damaged_snapshot_is_rejected(data):
    entry = ProducerEntry(3, last_timestamp=5)
    entry.batches.append((0, 4, 10, 14))
    raw = bytearray(encode_snapshot({42: entry, 43: entry}))
    where = data.draw(st.integers(0, len(raw) - 1))
    if data.draw(st.booleans()):
        raw[where] ^= 1 << data.draw(st.integers(0, 7))
    else:
        raw = raw[:where]
    with pytest.raises(CorruptSnapshot):
        decode_snapshot(bytes(raw))


def test_duplicates_are_still_detected_after_reopen_from_snapshot(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "t-0", clock)
    lg.append_as_leader(batch(2, pid=9, epoch=1, seq=0), 0)
    lg.append_as_leader(batch(3, pid=9, epoch=1, seq=2), 0)
    lg.roll()  # snapshot at offset 5, in Kafka's format
    assert (tmp_path / "t-0" / "00000000000000000005.snapshot").read_bytes()[:2] == b"\x00\x01"
    after = batch(1, pid=9, epoch=1, seq=5)
    lg.append_as_leader(after, 0)
    for seg in lg.segments:  # a crash: no close, no new snapshot
        seg.close()
    _OPEN.remove(lg)
    again = open_log(tmp_path / "t-0", clock)
    assert again.append_as_leader(after, 0).duplicate  # replayed from the log after the snapshot
    assert again.append_as_leader(batch(3, pid=9, epoch=1, seq=2), 0).duplicate  # from the snapshot
    assert again.append_as_leader(batch(1, pid=9, epoch=1, seq=6), 0).first_offset == 6


def test_a_corrupt_snapshot_is_rebuilt_from_the_log(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "t-0", clock)
    lg.append_as_leader(batch(2, pid=9, epoch=1, seq=0), 0)
    lg.close()
    _OPEN.remove(lg)
    snap = tmp_path / "t-0" / "00000000000000000002.snapshot"
    snap.write_bytes(snap.read_bytes()[:-3] + b"\xff\xff\xff")
    again = open_log(tmp_path / "t-0", clock)
    assert again.producer_state.producers[9].last_seq == 1
    assert again.append_as_leader(batch(2, pid=9, epoch=1, seq=0), 0).duplicate


# ---- flush policy and recovery point --------------------------------------------------------------------


def test_flush_messages_and_flush_ms_advance_the_recovery_point(tmp_path):
    clock = ManualClock()
    lm = LogManager([tmp_path], clock)
    by_count = lm.get_or_create("count", 0, LogConfig(flush_messages=5))
    by_time = lm.get_or_create("time", 0, LogConfig(flush_ms=1000))
    by_default = lm.get_or_create("os", 0, LogConfig())
    for lg in (by_count, by_time, by_default):
        lg.append_as_leader(batch(4), 0)
    assert lm.flush_dirty() == 0
    by_count.append_as_leader(batch(1), 0)  # 5 unflushed messages
    assert lm.flush_dirty() == 1 and by_count.recovery_point == 5 and by_time.recovery_point == 0
    clock.advance(1000)
    assert lm.flush_dirty() == 1 and by_time.recovery_point == 4
    assert by_default.recovery_point == 0  # Kafka's defaults leave flushing to the OS
    lm.checkpoint()
    assert read_checkpoint(tmp_path / RECOVERY_CHECKPOINT) == {("count", 0): 5, ("time", 0): 4, ("os", 0): 0}
    lm.close()  # a clean shutdown flushes everything
    assert read_checkpoint(tmp_path / RECOVERY_CHECKPOINT)[("os", 0)] == 4


def test_segments_below_the_recovery_point_are_not_rescanned(tmp_path, monkeypatch):
    clock = ManualClock()
    lg = open_log(tmp_path / "t-0", clock, segment_bytes=400)
    for _ in range(30):
        lg.append_as_leader(batch(2, value=b"x" * 30), 0)
    lg.flush()
    recovery_point = lg.recovery_point
    for _ in range(5):
        lg.append_as_leader(batch(2, value=b"x" * 30), 0)
    for seg in lg.segments:
        seg.close()
    _OPEN.remove(lg)
    scanned = []
    real = Segment.recover

    def counting(self, *args, **kwargs):
        scanned.append(self.base_offset)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Segment, "recover", counting)
    again = PartitionLog.open(tmp_path / "t-0", LogConfig(segment_bytes=400), clock, recovery_point=recovery_point)
    _OPEN.append(again)
    bases = [s.base_offset for s in again.segments]
    assert len(bases) > 4
    # only segments that end past the recovery point are read batch by batch
    assert scanned == [b for i, b in enumerate(bases) if i == len(bases) - 1 or bases[i + 1] > recovery_point]
    assert again.log_end_offset == 70


CHILD = """
import sys
from pathlib import Path
from strom.protocol.records import BatchBuilder
from strom.storage.clock import SystemClock
from strom.storage.config import LogConfig
from strom.storage.log_manager import LogManager
lm = LogManager([Path(sys.argv[1])], SystemClock())
lg = lm.get_or_create("t", 0, LogConfig(segment_bytes=16 * 1024, flush_messages=500))
i = 0
while True:
    b = BatchBuilder()
    for j in range(10):
        b.append(b"%08d" % (i * 10 + j))
    lg.append_as_leader(b.build(), 0)
    i += 1
    if lm.flush_dirty():
        lm.checkpoint()
    if i == 300:
        print("ready", flush=True)
"""


def test_kill_9_keeps_everything_up_to_the_checkpointed_recovery_point(tmp_path):
    with subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), str(tmp_path)], stdout=subprocess.PIPE) as proc:
        assert proc.stdout.readline().strip() == b"ready"
        proc.kill()
        proc.wait()
    checkpointed = read_checkpoint(tmp_path / RECOVERY_CHECKPOINT)[("t", 0)]
    assert checkpointed >= 2500
    lm = LogManager([tmp_path], ManualClock())
    lm.load_all(lambda topic: LogConfig(segment_bytes=16 * 1024, flush_messages=500))
    lg = lm.get("t", 0)
    values = [r.value for _, r in iter_all_records(lg.read_bytes(0))]
    assert len(values) >= checkpointed and len(values) == lg.log_end_offset
    assert values == [b"%08d" % i for i in range(len(values))]
    assert len(list((tmp_path / "t-0").glob("*.log"))) > 1 and os.path.exists(tmp_path / "t-0" / "leader-epoch-checkpoint")
    lm.close()
