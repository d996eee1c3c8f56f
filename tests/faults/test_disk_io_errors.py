"""I/O errors and short writes injected at the storage seam (strom.testing.disk_faults), below a real
ReplicaManager with two log dirs: the produce that meets the error gets KAFKA_STORAGE_ERROR, that log dir goes
offline as in Kafka (everything on it answers KAFKA_STORAGE_ERROR, nothing more is written there, the other
dir is untouched), no acknowledged record is lost and no unacknowledged one appears after a restart."""

from __future__ import annotations

import asyncio
import errno
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from strom.cluster.metadata import PartitionState, TopicState
from strom.cluster.replica_manager import FetchParams, PartitionFetchInfo, ReplicaManager, ReplicaManagerConfig, _write_high_watermarks
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log_manager import HW_CHECKPOINT, LogManager, read_checkpoint
from strom.testing.disk_faults import DiskFaults

TOPIC = "t"


@dataclass
class Metadata:
    topics: dict[str, TopicState]


def batch(tag: bytes, n: int = 4, size: int = 10) -> bytes:
    b = BatchBuilder()
    for i in range(n):
        b.append(tag + b".%d." % i + b"x" * size, key=b"k", timestamp=1_700_000_000_000)
    return b.build()


class Broker:
    """A ReplicaManager over two log dirs, each partition led here (embedded mode); p0 in dir a, p1 in dir b."""

    def __init__(self, base: Path, log_config: LogConfig | None = None) -> None:
        self.dirs = (base / "a", base / "b")
        self.halted: list[int] = []
        clock = ManualClock()
        self.manager = ReplicaManager(
            0,
            ReplicaManagerConfig(log_dirs=self.dirs),
            LogManager(list(self.dirs), clock, 0),
            clock,
            Metadata({}),
            lambda _topic: log_config or LogConfig(),
            halt=self.halted.append,
        )
        self.manager.load_logs()
        topic = TopicState(TOPIC, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", {p: PartitionState(p, [0], [0], 0) for p in range(2)})
        self.manager.metadata.topics[TOPIC] = topic  # type: ignore[attr-defined]
        for p in range(2):
            self.manager.open_local_leader(topic, p)
        assert [self.manager.partitions[(TOPIC, p)].log.directory.parent for p in range(2)] == list(self.dirs)

    async def produce(self, partition: int, *batches: bytes) -> list[int]:
        results = await self.manager.append_records([(TOPIC, partition, b) for b in batches], -1, 1000)
        return [r.error_code for r in results]

    async def fetch(self, partition: int) -> tuple[int, list[bytes]]:
        params = FetchParams(-1, 0, 1, 1 << 24, False)
        [r] = await self.manager.fetch_messages(params, [PartitionFetchInfo(TOPIC, partition, 0, -1, 1 << 24)])
        values = [rec.value or b"" for _, rec in iter_all_records(r.records.read())] if r.records is not None else []
        return r.error_code, values

    def close(self) -> None:
        self.manager.log_manager.close()


def tags(values: list[bytes]) -> list[bytes]:
    return sorted({v.split(b".")[0] for v in values})


@pytest.mark.parametrize("fault", ["eio", "enospc", "short"])
def test_a_failed_write_takes_its_log_dir_offline_and_loses_nothing_acknowledged(tmp_path, fault, caplog):
    broker = Broker(tmp_path)

    async def main() -> None:
        assert await broker.produce(0, batch(b"a1")) == [0]
        assert await broker.produce(1, batch(b"b1")) == [0]
        with DiskFaults() as disk:
            if fault == "short":
                disk.short_writes(1)
            else:
                disk.fail_writes(1, errno.EIO if fault == "eio" else errno.ENOSPC)
            assert await broker.produce(0, batch(b"a2")) == [ErrorCode.KAFKA_STORAGE_ERROR]
            assert disk.writes == 1
        # the disk works again, but dir a stays offline until a restart; dir b is untouched
        assert await broker.produce(0, batch(b"a3")) == [ErrorCode.KAFKA_STORAGE_ERROR]
        assert (await broker.fetch(0))[0] == ErrorCode.KAFKA_STORAGE_ERROR
        assert await broker.produce(1, batch(b"b2")) == [0]
        assert await broker.fetch(1) == (0, [b"b%d.%d.xxxxxxxxxx" % (t, i) for t in (1, 2) for i in range(4)])

    with caplog.at_level(logging.INFO):
        asyncio.run(main())
    assert broker.manager.offline_partitions == {(TOPIC, 0)}
    assert broker.manager.log_manager.live_log_dirs == [broker.dirs[1]] and broker.halted == []
    assert f"Error while appending records of {TOPIC}-0 in dir {broker.dirs[0]}" in caplog.text
    assert f"Stopping serving replicas in dir {broker.dirs[0]}" in caplog.text
    broker.close()
    # a restart: what was acknowledged is there, the refused batch is not, and the dir takes appends again
    again = Broker(tmp_path)

    async def after() -> None:
        assert tags((await again.fetch(0))[1]) == [b"a1"]
        assert tags((await again.fetch(1))[1]) == [b"b1", b"b2"]
        assert await again.produce(0, batch(b"a4")) == [0]
        assert tags((await again.fetch(0))[1]) == [b"a1", b"a4"]

    asyncio.run(after())
    again.close()


def test_a_failed_fsync_fails_the_produce_and_takes_the_dir_offline(tmp_path):
    broker = Broker(tmp_path, LogConfig(flush_messages=1))

    async def main() -> None:
        assert await broker.produce(0, batch(b"a1")) == [0]
        with DiskFaults() as disk:
            disk.fail_fsyncs(1)
            assert await broker.produce(0, batch(b"a2")) == [ErrorCode.KAFKA_STORAGE_ERROR]
            assert disk.fsyncs >= 1
        assert await broker.produce(0, batch(b"a3")) == [ErrorCode.KAFKA_STORAGE_ERROR]
        assert await broker.produce(1, batch(b"b1")) == [0]

    asyncio.run(main())
    assert broker.manager.offline_partitions == {(TOPIC, 0)}
    broker.close()


def test_appends_of_the_same_tick_dropped_by_a_failed_write_are_not_acknowledged(tmp_path):
    """Two produces to one partition in one event-loop tick: the second's append pushes the deferred bytes
    past 512 KiB, so it writes both batches at once -- and the disk refuses. The first request's batch went
    with it; its answer must not be success."""
    broker = Broker(tmp_path, LogConfig(max_message_bytes=1 << 20))
    big = 300 * 1024

    async def main() -> list[list[int]]:
        with DiskFaults() as disk:
            disk.fail_writes(1)
            first, second = await asyncio.gather(broker.produce(0, batch(b"a1", 1, big)), broker.produce(0, batch(b"a2", 1, big)))
            assert disk.writes == 1
        return [first, second]

    assert asyncio.run(main()) == [[ErrorCode.KAFKA_STORAGE_ERROR]] * 2
    broker.close()
    again = Broker(tmp_path)
    assert asyncio.run(again.fetch(0)) == (0, [])
    again.close()


def test_the_last_log_dir_failing_halts_the_broker(tmp_path, caplog):
    broker = Broker(tmp_path)

    async def main() -> None:
        with DiskFaults() as disk:
            disk.fail_writes(2)
            assert await broker.produce(0, batch(b"a1")) == [ErrorCode.KAFKA_STORAGE_ERROR]
            assert broker.halted == []
            assert await broker.produce(1, batch(b"b1")) == [ErrorCode.KAFKA_STORAGE_ERROR]

    with caplog.at_level(logging.INFO):
        asyncio.run(main())
    assert broker.halted == [1]
    assert "Shutdown broker because all log dirs in" in caplog.text
    broker.close()


def test_running_out_of_file_descriptors_is_not_a_disk_failure(tmp_path):
    """A topic of tens of thousands of partitions can exhaust the process's fds (EMFILE): those partitions fail
    with KAFKA_STORAGE_ERROR, but the log dir stays online -- with one dir, taking it offline halted the broker
    (seen after 97,000 mutated requests at a live broker)."""
    import resource
    import tracemalloc  # noqa: F401 - imported now: pytest's warning hooks import it, which needs a free fd

    from strom.protocol.errors import KafkaError

    broker = Broker(tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = len(list(Path("/proc/self/fd").iterdir()))
    resource.setrlimit(resource.RLIMIT_NOFILE, (used + 16, hard))
    failed = 0
    try:
        for p in range(2, 40):
            try:
                broker.manager.log_manager.get_or_create(TOPIC, p, LogConfig())
            except KafkaError as exc:
                assert exc.code() == ErrorCode.KAFKA_STORAGE_ERROR
                failed += 1
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert failed > 0
    assert broker.manager.log_manager.live_log_dirs == list(broker.dirs) and broker.halted == []
    broker.close()


@pytest.mark.parametrize("fault", ["eio", "enospc", "short"])
def test_a_failed_replicated_append_takes_the_followers_log_dir_offline(tmp_path, fault, caplog):
    """The replica fetcher's append (append_as_follower) raised the bare OSError: the fetcher retried it every
    second forever, the dir stayed online and the controller never heard of it (the leader dropped the
    follower only after replica.lag.time.max.ms). Now it is KAFKA_STORAGE_ERROR with the dir offline, as in
    Kafka, and nothing of the refused batch stays in the file."""
    broker = Broker(tmp_path)
    plog = broker.manager.partitions[(TOPIC, 0)].log
    plog.append_as_follower(batch(b"a1"))
    with caplog.at_level(logging.INFO), DiskFaults() as disk:
        if fault == "short":
            disk.short_writes(1)
        else:
            disk.fail_writes(1, errno.EIO if fault == "eio" else errno.ENOSPC)
        second = bytearray(batch(b"a2"))
        second[0:8] = (4).to_bytes(8, "big")  # the leader's offsets: after a1's four records
        with pytest.raises(KafkaError) as raised:
            plog.append_as_follower(bytes(second))
        assert raised.value.code() == ErrorCode.KAFKA_STORAGE_ERROR
        with pytest.raises(KafkaError):
            plog.append_as_follower(bytes(second))  # offline: no second try at the disk
        assert disk.writes == 1
    assert plog.log_end_offset == 4 and plog.leader_epoch_cache.latest_epoch in (None, -1, 0)
    assert broker.manager.offline_partitions == {(TOPIC, 0)}
    assert f"Error while appending replicated records of {TOPIC}-0 in dir {broker.dirs[0]}" in caplog.text
    assert f"Stopping serving replicas in dir {broker.dirs[0]}" in caplog.text
    broker.close()
    again = Broker(tmp_path)
    assert asyncio.run(again.fetch(0))[1] == [b"a1.%d.xxxxxxxxxx" % i for i in range(4)]
    again.close()


def test_a_high_watermark_checkpoint_the_disk_refuses_takes_that_dir_offline(tmp_path):
    """Kafka takes a dir whose checkpoint file cannot be written offline (a full disk holding only idle
    replicas is found this way); Strom logged the error and carried on."""
    broker = Broker(tmp_path)
    (broker.dirs[0] / HW_CHECKPOINT).mkdir()  # the checkpoint's rename onto it fails
    parts = broker.manager.partitions
    values = {key: 0 for key in parts}
    dirs = {key: p.log.directory.parent for key, p in parts.items()}
    _write_high_watermarks(broker.manager.log_manager, values, dirs, list(broker.dirs))
    assert broker.manager.offline_partitions == {(TOPIC, 0)}
    assert broker.manager.log_manager.live_log_dirs == [broker.dirs[1]]
    assert read_checkpoint(broker.dirs[1] / HW_CHECKPOINT) == {(TOPIC, 1): 0}
    broker.close()
