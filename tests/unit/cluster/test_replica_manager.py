"""ReplicaManager's data path without sockets: a temporary log directory, a manual clock, and partitions made
leader or follower the way LeaderAndIsr makes them. Follower fetches are simulated by fetch_messages calls
with a replica id, as a follower's fetcher sends them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from strom.cluster.metadata import PartitionState, TopicState
from strom.cluster.replica_manager import (
    FetchParams,
    FetchPartitionResult,
    PartitionFetchInfo,
    ProducePartitionResult,
    ReplicaManager,
    ReplicaManagerConfig,
)
from strom.protocol import compression
from strom.protocol.errors import ErrorCode
from strom.protocol.records import BatchBuilder, iter_batch_headers
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log_manager import LogManager

LOCAL, FOLLOWER = 1, 2
TOPIC = "t"
T = TypeVar("T")


@dataclass
class Metadata:
    topics: dict[str, TopicState]


@dataclass
class LeaderAndIsrState:
    """The fields of a LeaderAndIsr partition state that the replica manager reads."""

    partition_index: int
    leader: int
    leader_epoch: int
    isr: list[int]
    replicas: list[int]
    partition_epoch: int = 0


def batch(*values: bytes, producer_id: int = -1, transactional: bool = False, codec: int = 0) -> bytes:
    b = BatchBuilder(
        compression_type=codec, producer_id=producer_id, producer_epoch=0 if producer_id >= 0 else -1, is_transactional=transactional
    )
    for v in values:
        b.append(v, key=b"k", timestamp=1_700_000_000_000)
    return b.build()


class Fixture:
    def __init__(self, tmp_path: Path, log_config: LogConfig | None = None, config: ReplicaManagerConfig | None = None) -> None:
        self.clock = ManualClock()
        self.log_config = log_config or LogConfig()
        self.metadata = Metadata({})
        self.manager = ReplicaManager(
            LOCAL,
            config or ReplicaManagerConfig(log_dirs=(tmp_path,)),
            LogManager([tmp_path], self.clock, LOCAL),
            self.clock,
            self.metadata,
            lambda _topic: self.log_config,
        )
        self.manager.load_logs()

    def local_leader(self, partitions: int = 1) -> None:
        """Embedded mode: led here with an ISR of one."""
        topic = TopicState(
            TOPIC, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", {p: PartitionState(p, [LOCAL], [LOCAL], LOCAL) for p in range(partitions)}
        )
        self.metadata.topics[TOPIC] = topic
        for p in range(partitions):
            self.manager.open_local_leader(topic, p)

    def replicated(self, leader: int, isr: list[int], epoch: int = 1) -> None:
        """Replicated on this broker and FOLLOWER, as the controller's LeaderAndIsr says."""
        self.metadata.topics[TOPIC] = TopicState(
            TOPIC, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", {0: PartitionState(0, [LOCAL, FOLLOWER], isr, leader)}
        )
        state = LeaderAndIsrState(0, leader, epoch, isr, [LOCAL, FOLLOWER])
        assert self.manager.apply_partition_state(TOPIC, state) == ErrorCode.NONE

    async def produce(self, *values: bytes, acks: int = 1, timeout_ms: int = 30_000, partition: int = 0) -> ProducePartitionResult:
        [result] = await self.manager.append_records([(TOPIC, partition, batch(*values))], acks, timeout_ms)
        return result

    async def fetch(
        self, offset: int, replica_id: int = -1, max_wait_ms: int = 0, read_committed: bool = False, leader_epoch: int = -1
    ) -> FetchPartitionResult:
        params = FetchParams(replica_id, max_wait_ms, 1, 1 << 20, read_committed)
        [result] = await self.manager.fetch_messages(params, [PartitionFetchInfo(TOPIC, 0, offset, leader_epoch, 1 << 20)])
        return result

    def log_end_offset(self) -> int:
        return self.manager.partitions[(TOPIC, 0)].log.log_end_offset


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Callable[..., Fixture]]:
    """Builds fixtures on tmp_path and closes their logs afterwards."""
    made: list[Fixture] = []

    def build(log_config: LogConfig | None = None, config: ReplicaManagerConfig | None = None) -> Fixture:
        made.append(Fixture(tmp_path, log_config, config))
        return made[-1]

    yield build
    for f in made:
        f.manager.log_manager.close()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def settle() -> None:
    """Lets started tasks run until they wait (in purgatory, or for the group commit)."""
    for _ in range(5):
        await asyncio.sleep(0)


def record_count(result: FetchPartitionResult) -> int:
    assert result.records is not None
    return sum(h.records_count for _, h in iter_batch_headers(result.records.read()))


# ---- produce then fetch -------------------------------------------------------------------------------------


def test_append_then_fetch_returns_the_batches_as_a_file_slice(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()

    async def main() -> None:
        first = await f.produce(b"a", b"b")
        second = await f.produce(b"c")
        assert (first.error_code, first.base_offset, second.base_offset) == (0, 0, 2)
        read = await f.fetch(0)
        assert (read.error_code, read.high_watermark, read.last_stable_offset, read.log_start_offset) == (0, 3, 3, 0)
        assert read.aborted_transactions is None  # read_uncommitted: the field is null
        assert record_count(read) == 3
        assert (await f.fetch(2)).records is not None
        assert (await f.fetch(3)).records is None  # at the log end: nothing, no error

    run(main())


def test_results_keep_the_order_of_the_entries_and_answer_each(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader(partitions=2)
    entries: list[tuple[str, int, bytes | None]] = [
        (TOPIC, 1, batch(b"x")),
        ("nope", 0, batch(b"y")),
        (TOPIC, 0, None),
        (TOPIC, 0, batch(b"z")),
    ]
    results = run(f.manager.append_records(entries, 1, 1000))
    assert [r.error_code for r in results] == [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.CORRUPT_MESSAGE, 0]
    assert results[2].error_message == "no records"
    assert results[1].base_offset == -1


def test_invalid_acks_is_refused_before_anything_is_appended(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()
    assert run(f.produce(b"a", acks=2)).error_code == ErrorCode.INVALID_REQUIRED_ACKS
    assert f.log_end_offset() == 0


def test_a_consumer_fetch_response_is_capped_by_request_and_broker_max_bytes(make: Callable[..., Fixture], tmp_path: Path) -> None:
    """KIP-74: the whole response at most min(request max_bytes, fetch.max.bytes) for a consumer (the request's
    alone for a follower), however large each partition's max_bytes; the first batch always comes whole."""
    f = make(config=ReplicaManagerConfig(log_dirs=(tmp_path,), consumer_fetch_max_bytes=3000))
    f.local_leader(partitions=2)
    one = len(batch(b"x" * 1000))
    for p in (0, 1):
        for _ in range(10):
            run(f.manager.append_records([(TOPIC, p, batch(b"x" * 1000))], 1, 1000))
    infos = [PartitionFetchInfo(TOPIC, p, 0, -1, 1 << 30) for p in (0, 1)]

    def sizes(replica_id: int, max_bytes: int) -> list[int]:
        results = run(f.manager.fetch_messages(FetchParams(replica_id, 0, 1, max_bytes, False), infos))
        return [r.records.size if r.records is not None else 0 for r in results]

    assert sizes(-1, 1 << 30) == [3000, 0]  # the broker's fetch.max.bytes
    assert sizes(-1, 2000) == [2000, 0]  # the request's max_bytes
    assert sizes(-1, 10) == [one, 0]  # at least the first batch, whole
    assert sizes(FOLLOWER, 5 * one) == [5 * one, 0]  # a follower: the request's max_bytes only
    assert sizes(FOLLOWER, 15 * one) == [10 * one, 5 * one]


def test_fetch_from_beyond_the_log_end_is_offset_out_of_range(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()
    assert run(f.fetch(5)).error_code == ErrorCode.OFFSET_OUT_OF_RANGE


# ---- leadership and unknown partitions ---------------------------------------------------------------------


def test_unknown_partition_is_unknown_topic_or_partition(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()

    async def main() -> None:
        [result] = await f.manager.append_records([(TOPIC, 7, batch(b"a"))], 1, 1000)
        assert result.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        params = FetchParams(-1, 0, 1, 1 << 20, False)
        [read] = await f.manager.fetch_messages(params, [PartitionFetchInfo("other", 0, 0, -1, 1024)])
        assert (read.error_code, read.high_watermark, read.records) == (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, None)
        [read] = await f.manager.fetch_messages(params, [PartitionFetchInfo(None, 0, 0, -1, 1024)])
        assert read.error_code == ErrorCode.UNKNOWN_TOPIC_ID

    run(main())


def test_a_partition_of_the_cluster_without_a_local_replica_is_not_leader(make: Callable[..., Fixture]) -> None:
    """Kafka's getPartitionOrError: the client's metadata is stale, not the topic unknown."""
    f = make()
    f.metadata.topics[TOPIC] = TopicState(TOPIC, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", {0: PartitionState(0, [3], [3], 3)})
    assert run(f.produce(b"a")).error_code == ErrorCode.NOT_LEADER_OR_FOLLOWER


def test_a_follower_refuses_produce_and_consumer_fetch(make: Callable[..., Fixture]) -> None:
    f = make()
    f.replicated(leader=FOLLOWER, isr=[LOCAL, FOLLOWER])

    async def main() -> None:
        assert (await f.produce(b"a")).error_code == ErrorCode.NOT_LEADER_OR_FOLLOWER
        read = await f.fetch(0)
        assert (read.error_code, read.high_watermark) == (ErrorCode.NOT_LEADER_OR_FOLLOWER, 0)

    run(main())


def test_fetch_with_another_leader_epoch_is_fenced_or_unknown(make: Callable[..., Fixture]) -> None:
    f = make()
    f.replicated(leader=LOCAL, isr=[LOCAL], epoch=5)
    assert run(f.fetch(0, leader_epoch=4)).error_code == ErrorCode.FENCED_LEADER_EPOCH
    assert run(f.fetch(0, leader_epoch=6)).error_code == ErrorCode.UNKNOWN_LEADER_EPOCH
    assert run(f.fetch(0, leader_epoch=5)).error_code == ErrorCode.NONE


# ---- acks=all and min.insync.replicas -----------------------------------------------------------------------


def test_acks_all_below_min_insync_replicas_is_not_enough_replicas(make: Callable[..., Fixture]) -> None:
    f = make(LogConfig(min_insync_replicas=2))
    f.local_leader()

    async def main() -> None:
        assert (await f.produce(b"a", acks=-1)).error_code == ErrorCode.NOT_ENOUGH_REPLICAS
        assert f.log_end_offset() == 0  # refused before the append
        assert (await f.produce(b"a", acks=1)).error_code == ErrorCode.NONE  # acks=1 does not ask for replicas

    run(main())


def test_acks_all_waits_until_the_follower_fetch_moves_the_high_watermark(make: Callable[..., Fixture]) -> None:
    f = make()
    f.replicated(leader=LOCAL, isr=[LOCAL, FOLLOWER])

    async def main() -> None:
        produce = asyncio.ensure_future(f.produce(b"a", b"b", acks=-1))
        await settle()
        assert not produce.done()  # appended, but the follower has not fetched it yet
        assert f.log_end_offset() == 2
        assert f.manager.partitions[(TOPIC, 0)].high_watermark == 0
        follower_read = await f.fetch(0, replica_id=FOLLOWER)  # the follower fetches the records...
        assert record_count(follower_read) == 2
        await settle()
        assert not produce.done()  # ...but only its next fetch, from offset 2, says it has them
        await f.fetch(2, replica_id=FOLLOWER)
        result = await asyncio.wait_for(produce, 5)
        assert (result.error_code, result.base_offset) == (ErrorCode.NONE, 0)
        assert f.manager.partitions[(TOPIC, 0)].high_watermark == 2

    run(main())


def test_acks_all_times_out_when_the_follower_never_fetches(make: Callable[..., Fixture]) -> None:
    f = make()
    f.replicated(leader=LOCAL, isr=[LOCAL, FOLLOWER])

    async def main() -> None:
        produce = asyncio.ensure_future(f.produce(b"a", acks=-1, timeout_ms=20))
        await settle()
        assert not produce.done()
        f.clock.advance(20)
        result = await asyncio.wait_for(produce, 5)
        assert (result.error_code, result.base_offset) == (ErrorCode.REQUEST_TIMED_OUT, 0)  # appended, not replicated

    run(main())


def test_acks_one_answers_without_waiting_for_followers(make: Callable[..., Fixture]) -> None:
    f = make()
    f.replicated(leader=LOCAL, isr=[LOCAL, FOLLOWER])
    result = run(asyncio.wait_for(f.produce(b"a", acks=1), 5))
    assert result.error_code == ErrorCode.NONE
    assert f.manager.partitions[(TOPIC, 0)].high_watermark == 0


def test_consumers_read_only_up_to_the_high_watermark_followers_up_to_the_log_end(make: Callable[..., Fixture]) -> None:
    f = make()
    f.replicated(leader=LOCAL, isr=[LOCAL, FOLLOWER])

    async def main() -> None:
        await f.produce(b"a", acks=1)
        assert (await f.fetch(0)).records is None
        assert record_count(await f.fetch(0, replica_id=FOLLOWER)) == 1

    run(main())


# ---- long polls ------------------------------------------------------------------------------------------


def test_long_poll_is_woken_by_an_append(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()

    async def main() -> None:
        poll = asyncio.ensure_future(f.fetch(0, max_wait_ms=60_000))
        await settle()
        assert not poll.done()
        await f.produce(b"a")
        read = await asyncio.wait_for(poll, 5)
        assert (read.error_code, read.high_watermark, record_count(read)) == (0, 1, 1)

    run(main())


def test_long_poll_ends_empty_at_its_timeout(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()

    async def main() -> None:
        poll = asyncio.ensure_future(f.fetch(0, max_wait_ms=20))
        await settle()
        assert not poll.done()
        f.clock.advance(20)
        read = await asyncio.wait_for(poll, 5)
        assert (read.error_code, read.records) == (0, None)

    run(main())


def test_long_poll_ends_when_the_requester_is_gone(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()
    params = FetchParams(-1, 60_000, 1, 1 << 20, False)
    [read] = run(asyncio.wait_for(f.manager.fetch_messages(params, [PartitionFetchInfo(TOPIC, 0, 0, -1, 1024)], lambda: True), 5))
    assert (read.error_code, read.records) == (0, None)


# ---- group commit and flush ---------------------------------------------------------------------------------


def test_appends_of_one_tick_are_written_together_before_any_answer(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()
    plog = f.manager.partitions[(TOPIC, 0)].log
    answered_on_disk: list[bool] = []

    async def produce(value: bytes) -> None:
        await f.produce(value)
        answered_on_disk.append(os.path.getsize(plog.active_segment.log_path) == plog.size_bytes)

    async def main() -> None:
        await asyncio.gather(produce(b"a"), produce(b"b"), produce(b"c"))

    run(main())
    assert answered_on_disk == [True, True, True]
    assert (f.manager.group_commit.appends, f.manager.group_commit.writes) == (3, 1)


def test_the_flush_policy_is_applied_before_the_answer(make: Callable[..., Fixture]) -> None:
    f = make(LogConfig(flush_messages=1))
    f.local_leader()
    plog = f.manager.partitions[(TOPIC, 0)].log
    run(f.produce(b"a"))
    assert plog.unflushed_messages == 0
    assert plog.recovery_point == 1


def test_without_a_flush_policy_nothing_is_flushed(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()
    run(f.produce(b"a"))
    assert f.manager.partitions[(TOPIC, 0)].log.unflushed_messages == 1


# ---- read_committed and the topic's codec -------------------------------------------------------------------


def test_read_committed_is_bounded_by_the_last_stable_offset(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()

    async def main() -> None:
        await f.produce(b"plain")
        [txn] = await f.manager.append_records([(TOPIC, 0, batch(b"open", producer_id=7, transactional=True))], 1, 1000)
        assert (txn.error_code, txn.base_offset) == (0, 1)
        committed = await f.fetch(0, read_committed=True)
        assert (committed.high_watermark, committed.last_stable_offset) == (2, 1)
        assert committed.aborted_transactions == []
        assert record_count(committed) == 1  # stops before the open transaction
        assert (await f.fetch(1, read_committed=True)).records is None
        assert record_count(await f.fetch(0)) == 2  # read_uncommitted sees it

    run(main())


def test_batches_are_recompressed_to_the_topics_codec(make: Callable[..., Fixture]) -> None:
    f = make(LogConfig(compression_type="gzip"))
    f.local_leader()

    async def main() -> list[int]:
        await f.produce(b"a", b"b")
        read = await f.fetch(0)
        assert read.records is not None
        return [h.compression for _, h in iter_batch_headers(read.records.read())]

    assert run(main()) == [compression.CODEC_IDS["gzip"]]


@pytest.mark.parametrize("legacy_allowed", [False, True])
def test_a_legacy_message_set_is_taken_only_from_old_produce_versions(make: Callable[..., Fixture], legacy_allowed: bool) -> None:
    from strom.protocol.records import batches_to_legacy

    f = make()
    f.local_leader()
    legacy = batches_to_legacy(batch(b"old"), 1)
    [result] = run(f.manager.append_records([(TOPIC, 0, legacy)], 1, 1000, legacy_allowed=legacy_allowed))
    assert result.error_code == (ErrorCode.NONE if legacy_allowed else ErrorCode.INVALID_RECORD)


def test_the_transaction_verifier_is_asked_before_the_append(make: Callable[..., Fixture]) -> None:
    f = make()
    f.local_leader()
    asked: list[tuple[str, int]] = []

    def verify(topic: str, index: int, records: Any) -> int:
        asked.append((topic, index))
        return int(ErrorCode.INVALID_TXN_STATE)

    [result] = run(f.manager.append_records([(TOPIC, 0, batch(b"a"))], 1, 1000, verify=verify))
    assert (result.error_code, asked, f.log_end_offset()) == (ErrorCode.INVALID_TXN_STATE, [(TOPIC, 0)], 0)


# ---- offsets ------------------------------------------------------------------------------------------------


def test_max_timestamp_is_not_answered_past_what_consumers_may_read(make: Callable[..., Fixture]) -> None:
    """As Kafka's fetchOffsetForTimestamp: a client's MAX_TIMESTAMP lookup sees only records below the high
    watermark (the last stable offset for read_committed); a replica's sees the whole log."""
    f = make()
    f.replicated(leader=LOCAL, isr=[LOCAL, FOLLOWER])
    run(f.produce(b"a", b"b", acks=1))  # appended, not replicated: the high watermark stays at 0
    part = f.manager.leader_partition(TOPIC, 0, -1)
    assert not isinstance(part, int)
    assert f.manager.fetch_offset_for_timestamp(part, -3, False, False) == (-1, -1)
    assert f.manager.fetch_offset_for_timestamp(part, -3, False, True) == (1_700_000_000_000, 0)
    run(f.fetch(2, replica_id=FOLLOWER))  # the follower has both: the high watermark moves to 2
    assert f.manager.fetch_offset_for_timestamp(part, -3, False, False) == (1_700_000_000_000, 0)


def test_list_offsets_and_leader_epoch_end_offsets(make: Callable[..., Fixture]) -> None:
    f = make()
    f.replicated(leader=LOCAL, isr=[LOCAL], epoch=3)
    run(f.produce(b"a", b"b"))
    part = f.manager.leader_partition(TOPIC, 0, -1)
    assert not isinstance(part, int)
    assert f.manager.fetch_offset_for_timestamp(part, -1, False, False) == (-1, 2)
    assert f.manager.fetch_offset_for_timestamp(part, -2, False, False) == (-1, 0)
    assert f.manager.fetch_offset_for_timestamp(part, -4, False, False) is None
    assert f.manager.leader_partition(TOPIC, 0, 2) == ErrorCode.FENCED_LEADER_EPOCH
    assert f.manager.leader_partition(TOPIC, 1, -1) == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    assert f.manager.last_offset_for_leader_epoch(TOPIC, 0, 3, 3) == (ErrorCode.NONE, 3, 2)
