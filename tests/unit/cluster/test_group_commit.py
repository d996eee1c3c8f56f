"""GroupCommit: produce handlers of one event-loop tick share one write per partition, and none of them is
resumed (answers) before its bytes are in the file."""

import asyncio
import errno
import os

import strom.storage.segment as segment_module
from strom.cluster.group_commit import GroupCommit
from strom.protocol.errors import ErrorCode
from strom.protocol.records import BatchBuilder, iter_all_records
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog


def batch(tag: bytes) -> bytes:
    b = BatchBuilder()
    b.append(tag, key=b"k", timestamp=1_700_000_000_000)
    return b.build()


def on_disk(lg: PartitionLog) -> int:
    return os.path.getsize(lg.active_segment.log_path)


async def handler(commit: GroupCommit, logs: list[PartitionLog], tag: bytes, seen: list) -> dict:
    """What the produce handler does: append deferred, register, await the tick's write, then answer."""
    for lg in logs:
        lg.append_as_leader(batch(tag), 0, defer_write=True)
        commit.add(lg)
    failed = await commit.written()
    seen.append((tag, [on_disk(lg) == lg.size_bytes for lg in logs]))  # the state it answers in
    return failed


def test_handlers_of_one_tick_share_one_write_per_partition(tmp_path):
    a = PartitionLog.open(tmp_path / "a-0", LogConfig(), ManualClock())
    b = PartitionLog.open(tmp_path / "b-0", LogConfig(), ManualClock())
    calls = []
    real = os.pwritev

    def counting(fd, pieces, pos):
        calls.append(fd)
        return real(fd, pieces, pos)

    segment_module.pwritev = counting
    try:

        async def main() -> None:
            commit = GroupCommit()
            seen: list = []
            # eight requests arrive in one tick (as pipelined requests from one socket read do)
            results = await asyncio.gather(*(handler(commit, [a, b] if i % 2 else [a], b"%d" % i, seen) for i in range(8)))
            assert results == [{}] * 8
            assert all(all(ok) for _, ok in seen)  # nobody answered before its bytes were in the file
            assert (commit.appends, commit.writes) == (12, 2)
            # a later tick is a new group
            await handler(commit, [a], b"late", seen)
            assert commit.writes == 3

        asyncio.run(main())
    finally:
        segment_module.pwritev = real
    assert len(calls) == 3
    assert [r.value for _, r in iter_all_records(a.read_bytes(0))] == [b"%d" % i for i in range(8)] + [b"late"]
    assert [r.value for _, r in iter_all_records(b.read_bytes(0))] == [b"%d" % i for i in range(1, 8, 2)]
    a.close()
    b.close()


def test_a_failed_write_fails_only_that_partitions_requests(tmp_path):
    good = PartitionLog.open(tmp_path / "good-0", LogConfig(), ManualClock())
    bad = PartitionLog.open(tmp_path / "bad-0", LogConfig(), ManualClock())
    real = os.pwritev
    bad_fd = bad.active_segment._fd

    def refuse_bad(fd, pieces, pos):
        if fd == bad_fd:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, pieces, pos)

    segment_module.pwritev = refuse_bad
    try:

        async def main() -> None:
            commit = GroupCommit()
            seen: list = []
            first, second = await asyncio.gather(handler(commit, [good], b"g", seen), handler(commit, [good, bad], b"b", seen))
            assert first == second and list(first) == [id(bad)]
            assert first[id(bad)].code() == ErrorCode.KAFKA_STORAGE_ERROR

        asyncio.run(main())
    finally:
        segment_module.pwritev = real
    assert good.log_end_offset == 2 and bad.log_end_offset == 0
    good.close()
    bad.close()


def test_a_cancelled_request_does_not_cancel_the_others(tmp_path):
    lg = PartitionLog.open(tmp_path / "t-0", LogConfig(), ManualClock())

    async def main() -> None:
        commit = GroupCommit()
        seen: list = []
        doomed = asyncio.ensure_future(handler(commit, [lg], b"x", seen))
        other = asyncio.ensure_future(handler(commit, [lg], b"y", seen))
        await asyncio.sleep(0)  # both appended and wait for the write
        doomed.cancel()
        assert await other == {}
        assert on_disk(lg) == lg.size_bytes

    asyncio.run(main())
    assert lg.log_end_offset == 2
    lg.close()
