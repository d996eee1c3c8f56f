"""Log dirs that cannot be used at start-up (Kafka's createAndValidateLogDirs / loadLogs): each is offline and
the broker serves the others; it refuses to start only when none is left, or when another process holds a lock."""

from __future__ import annotations

import pytest

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log_manager import LogDirLockedError, LogManager


def batch(n: int) -> bytes:
    b = BatchBuilder()
    for i in range(n):
        b.append(b"v%d" % i, None, 1_700_000_000_000, [])
    return b.build()


def test_a_dir_that_is_not_a_directory_is_offline_and_the_others_serve(tmp_path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    bad.write_text("a file where a log dir should be")
    lm = LogManager([bad, good], ManualClock())
    try:
        assert lm.failure_channel.offline_dirs == {bad} and lm.live_log_dirs == [good]
        lm.load_all(lambda topic: LogConfig())
        assert lm.get_or_create("t", 0, LogConfig()).directory.parent == good  # a new partition: a live dir
        # one that existed before may have its log in the offline dir: not recreated empty elsewhere
        with pytest.raises(KafkaError) as failed:
            lm.get_or_create("t", 1, LogConfig(), is_new=False)
        assert failed.value.code() == ErrorCode.KAFKA_STORAGE_ERROR and str(bad) in str(failed.value)
        assert lm.get_or_create("t", 0, LogConfig(), is_new=False).directory.parent == good  # it has its log
    finally:
        lm.close()


def test_a_dir_that_fails_while_loading_is_offline_with_its_logs(tmp_path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    lm = LogManager([one, two], ManualClock())
    lm.get_or_create("t", 0, LogConfig()).append_as_leader(batch(3), 0)
    lm.get_or_create("t", 1, LogConfig()).append_as_leader(batch(2), 0)
    lm.close()
    damaged = next(p for p in (one / "t-0", two / "t-0", one / "t-1", two / "t-1") if p.is_dir() and p.parent == two)
    (damaged / "00000000000000000099.log").mkdir()  # a segment that cannot be opened: an I/O error while loading
    lm = LogManager([one, two], ManualClock())
    try:
        lm.load_all(lambda topic: LogConfig())
        assert lm.failure_channel.offline_dirs == {two}
        assert [lg.directory.parent for lg in lm.logs.values()] == [one]
        assert next(iter(lm.logs.values())).log_end_offset in (2, 3)
    finally:
        lm.close()


def test_no_usable_dir_or_a_lock_held_elsewhere_stops_the_broker(tmp_path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("x")
    with pytest.raises(OSError, match="None of the specified log dirs"):
        LogManager([bad], ManualClock())
    good = tmp_path / "good"
    first = LogManager([good], ManualClock())
    try:
        with pytest.raises(LogDirLockedError, match="Failed to acquire lock"):
            LogManager([tmp_path / "other", good], ManualClock())
        assert LogManager([tmp_path / "other"], ManualClock()).close() is None  # the failed one released its locks
    finally:
        first.close()
