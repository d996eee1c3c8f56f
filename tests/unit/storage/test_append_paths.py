"""The ways an append reaches the file give the same log: read-only bytes (pwritev of the rewritten first 16
bytes plus the batch as it came), a writable request frame (rewritten in place), LogAppendTime (copied, CRC
redone), record sets of more batches than one pwritev takes, and a follower's batches with offset gaps."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder, iter_all_records, iter_batch_headers, read_batch_header, set_base_offset
from strom.storage.cleaner import _build_batch, records_of
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog


def batch(n: int, tag: bytes, ts: int = 1_700_000_000_000, pid: int = -1, seq: int = -1) -> bytes:
    b = BatchBuilder(producer_id=pid, producer_epoch=0 if pid >= 0 else -1, base_sequence=seq)
    for i in range(n):
        b.append(tag + b"-" + str(i).encode(), key=b"k%d" % i, timestamp=ts + i)
    return b.build()


def records(lg: PartitionLog) -> list[tuple[int, bytes | None]]:
    return [(r.offset, r.value) for _, r in iter_all_records(lg.read_bytes(lg.log_start_offset))]


@pytest.fixture
def log(tmp_path):
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(segment_bytes=64 * 1024, index_interval_bytes=256), ManualClock())
    yield lg
    lg.close()


KINDS = ["bytes", "bytearray", "frame", "frame_readonly"]


def as_kind(data: bytes, kind: str) -> bytes | bytearray | memoryview:
    if kind == "bytes":
        return data
    if kind == "bytearray":
        return bytearray(data)
    if kind == "frame":
        return memoryview(bytearray(b"xx" + data))[2:]  # a view into a larger request frame, writable
    return memoryview(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.sampled_from(KINDS), st.integers(-1, 3)), min_size=1, max_size=25
    )
)
def test_every_input_kind_appends_the_same_log(tmp_path_factory, appends):
    lg = PartitionLog.open(tmp_path_factory.mktemp("p") / "t-0", LogConfig(segment_bytes=8 * 1024, index_interval_bytes=200), ManualClock())
    try:
        expected = []
        for i, (sizes, kind, epoch) in enumerate(appends):
            data = b"".join(batch(n, b"%d.%d" % (i, j)) for j, n in enumerate(sizes))
            result = lg.append_as_leader(as_kind(data, kind), epoch)
            assert result.first_offset == len(expected)
            expected += [
                (len(expected) + k, b"%d.%d-%d" % (i, j, r))
                for j, n in enumerate(sizes)
                for k, r in enumerate(range(n), start=sum(sizes[:j]))
            ]
            assert result.last_offset == len(expected) - 1
        assert records(lg) == expected
        for seg in lg.segments:  # every index entry points at the batch it names, and survives a reopen
            for offset, position in zip(seg.index_offsets, seg.index_positions, strict=True):
                assert read_batch_header(seg.read_bytes(position, 61)).last_offset == offset
        lg.close()
        again = PartitionLog.open(lg.directory, lg.config, ManualClock(), recovery_point=lg.log_end_offset)
        assert records(again) == expected
        again.close()
    finally:
        for seg in lg.segments:
            seg.close()


def test_leader_epoch_is_written_into_each_batch(log):
    log.append_as_leader(batch(2, b"a") + batch(1, b"b"), 7)
    log.append_as_leader(memoryview(bytearray(batch(1, b"c"))), 9)
    epochs = [(h.base_offset, h.partition_leader_epoch) for _, h in iter_batch_headers(log.read_bytes(0))]
    assert epochs == [(0, 7), (2, 7), (3, 9)]
    assert log.leader_epoch_cache.entries == [(7, 0), (9, 3)]


def test_log_append_time_rewrites_timestamps_and_crc(tmp_path):
    clock = ManualClock(1_800_000_000_000)
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(message_timestamp_type="LogAppendTime"), clock)
    try:
        original = batch(3, b"a")
        result = lg.append_as_leader(original, 0)
        assert result.log_append_time == 1_800_000_000_000
        assert original == batch(3, b"a")  # the caller's bytes are not touched
        (_, header), *_ = iter_batch_headers(lg.read_bytes(0))
        assert header.max_timestamp == 1_800_000_000_000 and header.timestamp_type == 1
        assert lg.max_timestamp_and_offset() == (1_800_000_000_000, 0)  # every record carries it: the first
        lg.close()
        again = PartitionLog.open(lg.directory, lg.config, clock)  # recovery checks every CRC
        assert again.log_end_offset == 3
        again.close()
    finally:
        for seg in lg.segments:
            seg.close()


def test_more_batches_than_one_pwritev_takes(log):
    many = b"".join(batch(1, b"%d" % i) for i in range(600))
    assert log.append_as_leader(many, 0).last_offset == 599
    assert [v for _, v in records(log)] == [b"%d-0" % i for i in range(600)]


def test_idempotent_batches_get_their_assigned_offsets_in_producer_state(log):
    log.append_as_leader(batch(2, b"x"), 0)
    log.append_as_leader(batch(3, b"p", pid=42, seq=0), 0)
    dup = log.append_as_leader(batch(3, b"p", pid=42, seq=0), 0)
    assert dup.duplicate and (dup.first_offset, dup.last_offset) == (2, 4)
    with pytest.raises(KafkaError) as err:
        log.append_as_leader(batch(1, b"p", pid=42, seq=5), 0)
    assert err.value.code() == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER


def test_follower_accepts_a_compacted_batch_with_offset_gaps(tmp_path, log):
    """A leader's cleaner leaves batches whose offset range is wider than their record count; a follower
    replicating that log must take them (Kafka checks the count only for client appends)."""
    full = bytearray(batch(4, b"c"))
    set_base_offset(full, 0, 10)
    header = read_batch_header(full)
    kept = records_of(bytes(full), header)
    compacted = _build_batch(header, memoryview(full)[61:], [kept[0], kept[3]])  # as the cleaner writes it
    follower = PartitionLog.open(tmp_path / "f-0", LogConfig(), ManualClock())
    try:
        follower.truncate_fully_and_start_at(10)
        follower.append_as_follower(compacted)
        assert follower.log_end_offset == 14
        assert [(r.offset, r.value) for _, r in iter_all_records(follower.read_bytes(10))] == [(10, b"c-0"), (13, b"c-3")]
        with pytest.raises(KafkaError) as err:
            log.append_as_leader(compacted, 0)
        assert err.value.code() == ErrorCode.INVALID_RECORD
    finally:
        follower.close()
