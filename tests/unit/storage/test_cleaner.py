"""Log compaction: results with a manual clock, hypothesis-driven invariants, and a crash at every swap step."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.protocol.records import BatchBuilder, iter_all_records, iter_batch_headers
from strom.storage.cleaner import LogCleaner, SimulatedCrash
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog
from strom.storage.log_manager import CLEANER_CHECKPOINT, LogManager

_OPEN: list[PartitionLog] = []


@pytest.fixture(autouse=True)
def _close_logs():
    yield
    while _OPEN:
        abandon(_OPEN.pop())


def abandon(lg):
    """Closes the fds of a log without writing anything (what a crash leaves behind)."""
    for seg in lg.segments:
        seg.close()
    lg.close_retired()


def open_log(path, clock, **cfg):
    cfg.setdefault("cleanup_policy", "compact")
    lg = PartitionLog.open(path, LogConfig(**cfg), clock)
    _OPEN.append(lg)
    return lg


def kv_batch(pairs, ts, compression_type=0, pid=-1, epoch=-1, seq=-1):
    b = BatchBuilder(compression_type=compression_type, producer_id=pid, producer_epoch=epoch, base_sequence=seq)
    for key, value in pairs:
        b.append(value, key=key, timestamp=ts)
    return b.build()


def put(lg, data, epoch=0):
    """Appends as a single broker does: the high watermark follows the log end (the cleaner stops at it)."""
    result = lg.append_as_leader(data, epoch)
    lg.high_watermark = lg.log_end_offset
    return result


def records(lg):
    return [(r.offset, r.key, r.value) for _, r in iter_all_records(lg.read_bytes(lg.log_start_offset))]


def latest(recs):
    out = {}
    for offset, key, value in recs:
        out[key] = (offset, value)
    return out


def test_keeps_last_value_per_key_with_original_offsets(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, segment_bytes=600)
    for i in range(60):
        put(lg, kv_batch([(b"k%d" % (i % 5), b"v%d" % i)], clock.now_ms()))
    lg.roll()
    before = records(lg)
    stats = LogCleaner().clean(lg, clock.now_ms())
    assert stats is not None and stats.records_after < stats.records_before
    after = records(lg)
    assert latest(after) == latest(before)
    assert [o for o, _, _ in after] == [55, 56, 57, 58, 59]
    assert lg.log_end_offset == 60 and lg.log_start_offset == 0
    assert lg.first_dirty_offset == 60
    # reads from a compacted-away offset start at the next surviving batch
    assert lg.read(3, 1 << 20) is not None
    assert put(lg, kv_batch([(b"k0", b"new")], clock.now_ms()), 0).first_offset == 60
    lg.close()
    again = open_log(tmp_path / "c-0", clock, segment_bytes=600)
    assert records(again)[:5] == after
    assert not list((tmp_path / "c-0").glob("*.cleaned")) and not list((tmp_path / "c-0").glob("*.deleted"))


def test_compressed_batches_are_filtered_and_recompressed(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock)
    for codec in (1, 2, 3, 4):
        put(lg, kv_batch([(b"a", b"%d" % codec), (b"b", b"x%d" % codec), (b"u%d" % codec, b"once")], 1, codec))
    lg.roll()
    LogCleaner().clean(lg, clock.now_ms(), force=True)
    got = records(lg)
    assert (9, b"a", b"4") in got and (10, b"b", b"x4") in got
    assert sorted(k for _, k, _ in got) == [b"a", b"b", b"u1", b"u2", b"u3", b"u4"]
    codecs = [h.compression for _, h in iter_batch_headers(lg.read_bytes(0))]
    assert codecs == [1, 2, 3, 4]


def test_tombstones_go_after_delete_retention(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, delete_retention_ms=1000)
    put(lg, kv_batch([(b"a", b"1"), (b"b", b"1")], clock.now_ms()))
    put(lg, kv_batch([(b"a", None)], clock.now_ms()))
    lg.roll()
    cleaner = LogCleaner()
    cleaner.clean(lg, clock.now_ms(), force=True)
    assert records(lg) == [(1, b"b", b"1"), (2, b"a", None)]  # the tombstone is still seen by late readers
    clock.advance(500)
    put(lg, kv_batch([(b"c", b"1")], clock.now_ms()))
    lg.roll()
    cleaner.clean(lg, clock.now_ms(), force=True)
    assert (2, b"a", None) in records(lg)  # only 500 ms old
    clock.advance(600)
    put(lg, kv_batch([(b"d", b"1")], clock.now_ms()))
    lg.roll()
    stats = cleaner.clean(lg, clock.now_ms(), force=True)
    assert stats.tombstones_removed == 1
    assert records(lg) == [(1, b"b", b"1"), (3, b"c", b"1"), (4, b"d", b"1")]


def test_dirty_ratio_and_compaction_lag_decide_what_is_cleaned(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, min_cleanable_dirty_ratio=0.5, min_compaction_lag_ms=10_000)
    cleaner = LogCleaner()
    put(lg, kv_batch([(b"a", b"1")], clock.now_ms()))
    lg.roll()
    assert cleaner.clean(lg, clock.now_ms()) is None  # younger than min.compaction.lag.ms
    clock.advance(10_001)
    put(lg, kv_batch([(b"a", b"2")], clock.now_ms()))
    lg.roll()
    segs, end = cleaner.cleanable_segments(lg, clock.now_ms())
    assert len(segs) == 1 and end == 1  # the second segment is still too young
    assert cleaner.clean(lg, clock.now_ms()) is not None
    assert lg.first_dirty_offset == 1
    # the clean section is now most of the log: 1 small dirty segment of 3 is below the ratio
    clock.advance(10_001)
    for i in range(6):
        put(lg, kv_batch([(b"x%d" % i, b"y" * 200)], clock.now_ms()))
    lg.roll()
    clock.advance(10_001)
    assert cleaner.clean(lg, clock.now_ms()) is not None  # dirty bytes dominate: cleaned
    assert lg.first_dirty_offset == 8
    put(lg, kv_batch([(b"z", b"1")], clock.now_ms()))
    lg.roll()
    clock.advance(10_001)
    ratio, forced = cleaner.dirty_ratio(lg, clock.now_ms())
    assert 0 < ratio < 0.5 and not forced
    assert cleaner.clean(lg, clock.now_ms()) is None


def test_max_compaction_lag_forces_a_clean(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, min_cleanable_dirty_ratio=0.99, max_compaction_lag_ms=5000)
    for i in range(10):
        put(lg, kv_batch([(b"big%d" % i, b"x" * 300)], clock.now_ms()))
    lg.roll()
    LogCleaner().clean(lg, clock.now_ms(), force=True)
    put(lg, kv_batch([(b"big0", b"y")], clock.now_ms()))
    lg.roll()
    assert LogCleaner().clean(lg, clock.now_ms()) is None
    clock.advance(5001)
    assert LogCleaner().clean(lg, clock.now_ms()) is not None
    assert latest(records(lg))[b"big0"] == (10, b"y")


def test_idempotent_producer_state_survives_compaction(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock)
    first = kv_batch([(b"a", b"1"), (b"a", b"2")], 1, pid=7, epoch=0, seq=0)
    put(lg, first, 0)
    put(lg, kv_batch([(b"a", b"3")], 1))
    lg.roll()
    LogCleaner().clean(lg, clock.now_ms(), force=True)
    headers = [h for _, h in iter_batch_headers(lg.read_bytes(0))]
    # the producer's only batch lost all its records but stays as an empty batch: its sequence is kept
    assert headers[0].producer_id == 7 and headers[0].records_count == 0 and headers[0].last_offset == 1
    lg.close()
    again = open_log(tmp_path / "c-0", clock)
    assert put(again, first, 0).duplicate
    nxt = kv_batch([(b"b", b"1")], 1, pid=7, epoch=0, seq=2)
    assert put(again, nxt, 0).first_offset == 3


def test_keyless_records_are_discarded_after_a_switch_to_compact(tmp_path):
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, cleanup_policy="delete")
    put(lg, kv_batch([(None, b"nokey"), (b"k", b"v")], 1))
    lg.roll()
    lg.update_config(LogConfig(cleanup_policy="compact"))
    LogCleaner().clean(lg, clock.now_ms(), force=True)
    assert records(lg) == [(1, b"k", b"v")]


def test_log_manager_runs_the_cleaner_and_checkpoints_it(tmp_path):
    clock = ManualClock()
    lm = LogManager([tmp_path], clock)
    cfg = LogConfig(cleanup_policy="compact", segment_bytes=300, file_delete_delay_ms=0)
    lg = lm.get_or_create("__consumer_offsets", 0, cfg)
    plain = lm.get_or_create("plain", 0, LogConfig(segment_bytes=300))
    for i in range(40):
        put(lg, kv_batch([(b"group%d" % (i % 3), b"offset%d" % i)], 1))
        put(plain, kv_batch([(b"k", b"v%d" % i)], 1))
    assert lm.run_cleaner() == 1
    assert len(records(plain)) == 40
    assert sorted(v for _, _, v in records(lg))[-3:] == [b"offset37", b"offset38", b"offset39"]
    text = (tmp_path / CLEANER_CHECKPOINT).read_text()
    assert text.startswith("0\n1\n") and f"__consumer_offsets 0 {lg.first_dirty_offset}" in text
    lm.close()
    lm2 = LogManager([tmp_path], clock)
    lm2.load_all(lambda topic: cfg if topic.startswith("__") else LogConfig(segment_bytes=300))
    assert lm2.get("__consumer_offsets", 0).first_dirty_offset == lg.first_dirty_offset
    assert lm2.run_cleaner() == 0  # nothing new is dirty
    lm2.close()


# ---- hypothesis: invariants of any compaction ------------------------------------------------------------

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("put"),
            st.lists(
                st.tuples(st.sampled_from([b"a", b"b", b"c", b"d", b"e"]), st.one_of(st.none(), st.binary(max_size=20))),
                min_size=1,
                max_size=4,
            ),
        ),
        st.tuples(st.just("roll"), st.none()),
        st.tuples(st.just("tick"), st.integers(0, 3000)),
        st.tuples(st.just("clean"), st.none()),
    ),
    min_size=1,
    max_size=40,
)


def check_compacted(before, after, first_uncleanable):
    """The invariants: nothing invented, the latest record per key kept (a tombstone may go), the
    records at or after the dirty point untouched."""
    by_offset = {o: (k, v) for o, k, v in before}
    offsets = [o for o, _, _ in after]
    assert offsets == sorted(set(offsets))
    for o, k, v in after:
        assert by_offset[o] == (k, v)
    kept = {o for o, _, _ in after}
    for key, (o, v) in latest(before).items():
        if key is not None and v is not None:
            assert o in kept
    for o, _k, _v in before:
        if o >= first_uncleanable:
            assert o in kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=ops, codec=st.sampled_from([0, 1, 3]))
def test_compaction_invariants(tmp_path_factory, script, codec):
    d = tmp_path_factory.mktemp("inv")
    clock = ManualClock()
    lg = open_log(d / "c-0", clock, segment_bytes=400, delete_retention_ms=2000)
    cleaner = LogCleaner()
    log_of_all = []
    for op, arg in script:
        if op == "put":
            result = put(lg, kv_batch(arg, clock.now_ms(), codec))
            log_of_all += [(result.first_offset + i, k, v) for i, (k, v) in enumerate(arg)]
        elif op == "roll":
            lg.roll()
        elif op == "tick":
            clock.advance(arg)
        else:
            before = records(lg)
            stats = cleaner.clean(lg, clock.now_ms(), force=True)
            after = records(lg)
            if stats is None:
                assert after == before
            else:
                check_compacted(before, after, stats.first_uncleanable_offset)
                check_compacted(log_of_all, after, stats.first_uncleanable_offset)
    final = records(lg)
    lg.close()
    assert records(open_log(d / "c-0", clock, segment_bytes=400, delete_retention_ms=2000)) == final


# ---- crash at each step of the swap ----------------------------------------------------------------------

STEPS = ["cleaned-written", "old-renamed-0", "old-renamed-1", "old-renamed-2", "swap-committed", "swap-installed"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    step=st.sampled_from(STEPS),
    n=st.integers(10, 50),
    keys=st.integers(1, 8),
    per_segment=st.integers(1, 6),
    segment_bytes=st.sampled_from([300, 1 << 20]),  # one group per segment, or all segments in one group
)
def test_crash_at_each_swap_step_recovers(tmp_path_factory, step, n, keys, per_segment, segment_bytes):
    d = tmp_path_factory.mktemp("crash")
    clock = ManualClock()
    lg = open_log(d / "c-0", clock, segment_bytes=segment_bytes)
    for i in range(n):
        put(lg, kv_batch([(b"k%d" % (i % keys), b"v%d" % i)], clock.now_ms()))
        if i % per_segment == per_segment - 1:
            lg.roll()
    lg.roll()
    before = records(lg)
    reached = []

    def crash(at):
        reached.append(at)
        if at == step:
            raise SimulatedCrash(at)

    try:
        stats = LogCleaner(crash_hook=crash).clean(lg, clock.now_ms(), force=True)
    except SimulatedCrash:
        stats = None
    if step in reached:
        assert stats is None
    abandon(lg)
    _OPEN.remove(lg)
    again = open_log(d / "c-0", clock, segment_bytes=segment_bytes)
    after = records(again)
    check_compacted(before, after, n)
    assert latest(after) == latest(before)
    assert again.log_end_offset == n
    leftovers = [p.name for p in (d / "c-0").iterdir() if p.suffix in (".cleaned", ".swap", ".deleted")]
    assert not leftovers
    # and the next pass finishes the job
    LogCleaner().clean(again, clock.now_ms(), force=True)
    assert [o for o, _, _ in records(again)] == sorted(o for o, _ in latest(before).values())
    assert stats is None or stats.records_after <= stats.records_before


def test_a_pass_racing_retention_or_truncation_swaps_nothing(tmp_path):
    """The cleaner reads without the lock; if the segments it read leave the log before a swap (retention,
    a follower's truncation), that swap is abandoned and the log is as retention/truncation left it."""
    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, segment_bytes=300, cleanup_policy="compact,delete", retention_ms=1000)
    for i in range(30):
        put(lg, kv_batch([(b"k%d" % (i % 3), b"v%d" % i)], clock.now_ms()))
    lg.roll()
    cleaner = LogCleaner()
    real = cleaner._clean_group

    def clean_then_truncate(*args, **kwargs):
        cleaned = real(*args, **kwargs)
        lg.truncate_to(5)  # the log changes between reading and swapping
        return cleaned

    cleaner._clean_group = clean_then_truncate
    cleaner.clean(lg, clock.now_ms(), force=True)
    assert [o for o, _, _ in records(lg)] == [0, 1, 2, 3, 4]
    assert not list((tmp_path / "c-0").glob("*.cleaned")) and not list((tmp_path / "c-0").glob("*.swap"))
    assert lg.first_dirty_offset <= 5


def test_compacted_topic_rejects_keyless_records_like_kafka(tmp_path):
    from strom.protocol.errors import ErrorCode, KafkaError

    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock)
    for codec in (0, 3):
        with pytest.raises(KafkaError) as err:
            put(lg, kv_batch([(b"k", b"v"), (None, b"no key")], 1, codec))
        assert err.value.code() == ErrorCode.INVALID_RECORD and "without key" in str(err.value)
    assert lg.log_end_offset == 0
    put(lg, kv_batch([(b"k", None)], 1))  # a tombstone has a key: fine
    plain = open_log(tmp_path / "p-0", clock, cleanup_policy="delete")
    put(plain, kv_batch([(None, b"fine here")], 1))


def test_cleaner_thread_runs_beside_appends_and_reads(tmp_path):
    """The broker's arrangement: appends and reads on one thread, the cleaner on another, swapping
    segments under the log's lock. Every read sees ascending offsets, and the end result keeps the
    latest value of every key."""
    import threading

    clock = ManualClock()
    lg = open_log(tmp_path / "c-0", clock, segment_bytes=2000)  # retired fds stay open (60 s)
    stop = threading.Event()
    passes = []
    errors = []

    def clean_loop():
        cleaner = LogCleaner()
        while not stop.is_set():
            try:
                if cleaner.clean(lg, clock.now_ms(), force=True) is not None:
                    passes.append(1)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    expected = {}
    thread = threading.Thread(target=clean_loop)
    thread.start()
    try:
        for i in range(1500):
            key = b"k%d" % (i % 20)
            put(lg, kv_batch([(key, b"v%d" % i)], clock.now_ms()))
            expected[key] = b"v%d" % i
            if i % 50 == 0:
                offsets = [o for o, _, _ in records(lg)]
                assert offsets == sorted(set(offsets))
    finally:
        stop.set()
        thread.join(30)
    assert not errors and passes
    lg.roll()
    LogCleaner().clean(lg, clock.now_ms(), force=True)
    got = records(lg)
    assert {k: v for _, k, v in got} == expected and len(got) == 20


def test_a_log_dir_is_locked_while_its_log_manager_runs(tmp_path):
    """Kafka's `.lock` per log dir: a second LogManager on any of the same dirs refuses to start, and keeps
    none of the locks it got before failing; closing the first releases them."""
    clock = ManualClock()
    other = tmp_path / "other"
    lm = LogManager([tmp_path / "shared"], clock)
    with pytest.raises(OSError) as refused:
        LogManager([other, tmp_path / "shared"], clock)
    assert str(refused.value) == (
        f"Failed to acquire lock on file .lock in {tmp_path / 'shared'}. "
        "A Kafka instance in another process or thread is using this directory."
    )
    LogManager([other], clock).close()  # the failed one let go of `other`
    lm.close()
    LogManager([tmp_path / "shared"], clock).close()
