"""The fetcher against fake brokers: the Fetch requests it builds (one per leader, fetch sessions,
isolation level), how it decodes answers (from the position inside a batch, read_committed dropping
aborted transactions), how collect() moves positions, and its reactions to partition errors."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Coroutine
from typing import Any

from strom.client.fetcher import EARLIEST, READ_COMMITTED, FetchConfig, Fetcher, PartitionState
from strom.protocol.errors import ErrorCode
from strom.protocol.records import BatchBuilder
from strom.protocol.schema.fetch import AbortedTransaction, FetchableTopicResponse, FetchResponse, PartitionData
from strom.protocol.types import TP
from tests.unit.client.fake_network import FakeCluster, settle

E = ErrorCode


def fetch_config(**kw: Any) -> FetchConfig:
    settings: dict[str, Any] = {
        "max_wait_ms": 500,
        "min_bytes": 1,
        "max_bytes": 52428800,
        "partition_max_bytes": 1048576,
        "isolation_level": 0,
        "request_timeout_ms": 30000,
        "retry_backoff": 0.01,
        "auto_offset_reset": "earliest",
    }
    settings.update(kw)
    return FetchConfig(**settings)


class Harness:
    def __init__(self, cluster: FakeCluster, positions: dict[TP, int], **kw: Any) -> None:
        self.cluster = cluster
        self.data_ready = 0
        self.offset_lookups: list[tuple[list[TP], int]] = []
        self.fetcher = Fetcher(cluster, fetch_config(**kw), self.list_offsets, self.on_data)
        for tp, position in positions.items():
            st = self.fetcher.assignment[tp] = PartitionState()
            st.position = position

    async def list_offsets(self, tps: list[TP], timestamp: int) -> dict[TP, int]:
        self.offset_lookups.append((tps, timestamp))
        return {tp: 0 for tp in tps}

    def on_data(self) -> None:
        self.data_ready += 1

    def position(self, tp: TP) -> int | None:
        return self.fetcher.assignment[tp].position


def batch(base_offset: int, values: list[bytes], producer_id: int = -1, transactional: bool = False, abort_marker: bool = False) -> bytes:
    builder = BatchBuilder(producer_id=producer_id, producer_epoch=0 if producer_id >= 0 else -1, base_offset=base_offset)
    builder.is_transactional = transactional or abort_marker
    builder.is_control = abort_marker
    if abort_marker:
        builder.append(struct.pack(">hi", 0, 0), struct.pack(">hh", 0, 0))
    for v in values:
        builder.append(v, None, 1000)
    return builder.build()


def response(
    parts: dict[TP, tuple[int, bytes | None]], session_id: int = 0, aborted: list[AbortedTransaction] | None = None
) -> FetchResponse:
    """(error code, records) per partition."""
    topics: dict[str, list[PartitionData]] = {}
    for (topic, partition), (code, records) in parts.items():
        topics.setdefault(topic, []).append(
            PartitionData(partition_index=partition, error_code=code, high_watermark=100, aborted_transactions=aborted, records=records)
        )
    return FetchResponse(session_id=session_id, responses=[FetchableTopicResponse(topic=t, partitions=ps) for t, ps in topics.items()])


def sent_partitions(request: Any) -> dict[TP, int]:
    return {(t.topic, p.partition): p.fetch_offset for t in request.topics for p in t.partitions}


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def test_one_fetch_per_leader_for_fetchable_partitions_only() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1, ("t", 1): 1, ("t", 2): 2, ("t", 3): 1})
        h = Harness(cluster, {("t", 0): 5, ("t", 1): 0, ("t", 2): 9}, isolation_level=READ_COMMITTED)
        h.fetcher.assignment[("t", 3)] = PartitionState()  # no position yet
        h.fetcher.assignment[("t", 1)].paused = True
        h.fetcher.assignment[("u", 0)] = PartitionState()
        h.fetcher.assignment[("u", 0)].position = 0
        stale = h.fetcher.send_fetches()
        await settle()
        assert stale == {"u"}  # no known leader: the caller refreshes metadata
        (request,) = cluster.conn(1).requests
        assert sent_partitions(request) == {("t", 0): 5}
        assert request.isolation_level == READ_COMMITTED and request.max_wait_ms == 500
        assert (request.session_id, request.session_epoch) == (0, 0)  # a full fetch that opens a session
        assert sent_partitions(cluster.conn(2).requests[0]) == {("t", 2): 9}
        h.fetcher.send_fetches()
        await settle()
        assert len(cluster.conn(1).requests) == 1  # one fetch in flight per leader

    run(scenario)


def test_decoding_starts_at_the_position_inside_a_batch_and_collect_moves_positions() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, {("t", 0): 12})
        h.fetcher.send_fetches()
        await settle()
        records = batch(10, [b"a", b"b", b"c", b"d"]) + batch(14, [b"e"])
        cluster.conn(1).answer(response({("t", 0): (0, records)}))
        await settle()
        assert h.data_ready == 1
        first = h.fetcher.collect(2)
        assert [(m.offset(), m.value()) for m in first] == [(12, b"c"), (13, b"d")]
        assert h.position(("t", 0)) == 14
        rest = h.fetcher.collect(10)
        assert [(m.offset(), m.value()) for m in rest] == [(14, b"e")] and h.position(("t", 0)) == 15
        assert h.fetcher.collect(10) == []

    run(scenario)


def test_records_fetched_before_a_seek_are_dropped() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, {("t", 0): 0})
        h.fetcher.send_fetches()
        await settle()
        h.fetcher.assignment[("t", 0)].position = 50  # seek while the fetch is in flight
        cluster.conn(1).answer(response({("t", 0): (0, batch(0, [b"old"]))}))
        await settle()
        assert h.fetcher.collect(10) == [] and h.position(("t", 0)) == 50

    run(scenario)


def test_read_committed_drops_aborted_transactions_and_read_uncommitted_keeps_them() -> None:
    pid = 42
    records = (
        batch(0, [b"committed"]) + batch(1, [b"aborted-1", b"aborted-2"], pid, transactional=True) + batch(3, [], pid, abort_marker=True)
    )
    records += batch(4, [b"after"])
    aborted = [AbortedTransaction(producer_id=pid, first_offset=1)]

    async def scenario(isolation: int) -> list[bytes | None]:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, {("t", 0): 0}, isolation_level=isolation)
        h.fetcher.send_fetches()
        await settle()
        cluster.conn(1).answer(response({("t", 0): (0, records)}, aborted=aborted))
        await settle()
        values = [m.value() for m in h.fetcher.collect(100)]
        assert h.position(("t", 0)) == 5
        return values

    assert asyncio.run(scenario(READ_COMMITTED)) == [b"committed", b"after"]
    assert asyncio.run(scenario(0)) == [b"committed", b"aborted-1", b"aborted-2", b"after"]


def test_the_session_makes_later_fetches_incremental() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1, ("t", 1): 1})
        h = Harness(cluster, {("t", 0): 0, ("t", 1): 0})
        conn = cluster.conn(1)
        h.fetcher.send_fetches()
        await settle()
        conn.answer(response({("t", 0): (0, batch(0, [b"x"]))}, session_id=77))
        await settle()
        h.fetcher.collect(10)  # ("t", 0) moves to 1; ("t", 1) is unchanged
        h.fetcher.send_fetches()
        await settle()
        request = conn.requests[1]
        assert (request.session_id, request.session_epoch) == (77, 1)
        assert sent_partitions(request) == {("t", 0): 1}  # only what changed
        assert request.forgotten_topics_data == []

    run(scenario)


def test_not_leader_forgets_the_topics_metadata() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, {("t", 0): 0})
        h.fetcher.send_fetches()
        await settle()
        cluster.conn(1).answer(response({("t", 0): (E.NOT_LEADER_OR_FOLLOWER, None)}))
        await settle()
        assert cluster.invalidated == ["t"] and h.fetcher.send_fetches() == {"t"}

    run(scenario)


def test_offset_out_of_range_resets_the_position_by_auto_offset_reset() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, {("t", 0): 500}, auto_offset_reset="earliest")
        h.fetcher.send_fetches()
        await settle()
        cluster.conn(1).answer(response({("t", 0): (E.OFFSET_OUT_OF_RANGE, None)}))
        await settle()
        assert h.offset_lookups == [([("t", 0)], EARLIEST)] and h.position(("t", 0)) == 0

    run(scenario)


def test_a_lost_fetch_makes_the_next_one_full_and_close_ends_the_session() -> None:
    async def scenario() -> None:
        cluster = FakeCluster({("t", 0): 1})
        h = Harness(cluster, {("t", 0): 0}, retry_backoff=0.0)
        conn = cluster.conn(1)
        h.fetcher.send_fetches()
        await settle()
        conn.answer(response({("t", 0): (0, None)}, session_id=9))
        await settle()
        h.fetcher.send_fetches()
        await settle()
        conn.drop()
        await settle()
        assert cluster.invalidated == ["t"]
        cluster.leaders = {("t", 0): 1}
        h.fetcher.send_fetches()
        await settle()
        assert (conn.requests[2].session_id, conn.requests[2].session_epoch) == (9, 0)  # full again
        conn.answer(response({("t", 0): (0, None)}, session_id=9))
        await settle()
        closing = asyncio.ensure_future(h.fetcher.close())
        await settle()
        assert (conn.requests[-1].session_id, conn.requests[-1].session_epoch) == (9, -1)
        conn.answer(response({}, session_id=0))
        await closing

    run(scenario)


def test_no_fetch_of_only_caught_up_partitions_while_a_partition_of_that_leader_is_buffered() -> None:
    """A busy topic beside an idle one: a fetch of the idle partition alone would wait fetch.max.wait.ms in the
    broker while the busy one, drained meanwhile, could not be fetched (one fetch in flight per leader)."""

    async def scenario() -> None:
        busy, idle, other = ("busy", 0), ("idle", 0), ("busy", 1)
        cluster = FakeCluster({busy: 1, idle: 1})
        h = Harness(cluster, {busy: 0, idle: 0})
        conn = cluster.conn(1)
        h.fetcher.send_fetches()
        await settle()
        parts = [
            FetchableTopicResponse(
                topic="busy", partitions=[PartitionData(partition_index=0, high_watermark=3, records=batch(0, [b"a", b"b", b"c"]))]
            ),
            FetchableTopicResponse(topic="idle", partitions=[PartitionData(partition_index=0, high_watermark=0, records=None)]),
        ]
        conn.answer(FetchResponse(session_id=5, responses=parts))
        await settle()
        h.fetcher.send_fetches()
        await settle()
        assert len(conn.requests) == 1  # the idle partition alone would only long-poll
        assert [m.value() for m in h.fetcher.collect(2)] == [b"a", b"b"]
        h.fetcher.send_fetches()
        await settle()
        assert len(conn.requests) == 1  # still one record buffered
        h.fetcher.collect(10)
        h.fetcher.send_fetches()
        await settle()
        assert len(conn.requests) == 2 and sent_partitions(conn.requests[1]) == {busy: 3}  # both again (idle is unchanged)
        assert conn.requests[1].forgotten_topics_data == []
        # a partition with data to read is fetched while another is buffered (prefetch stays)
        cluster.leaders[other] = 1
        h.fetcher.assignment[other] = PartitionState()
        h.fetcher.assignment[other].position = 0
        more = PartitionData(partition_index=0, high_watermark=4, records=batch(3, [b"d"]))
        conn.answer(FetchResponse(session_id=5, responses=[FetchableTopicResponse(topic="busy", partitions=[more])]))
        await settle()
        h.fetcher.send_fetches()
        await settle()
        assert len(conn.requests) == 3 and sent_partitions(conn.requests[2]) == {other: 0}
        assert [m.value() for m in h.fetcher.collect(10)] == [b"d"]

    run(scenario)
