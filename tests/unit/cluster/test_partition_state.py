"""Replication rules on one partition, with a real PartitionLog in a temp dir and time passed in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.cluster.partition_state import (
    FollowerState,
    Partition,
    can_join_isr,
    high_watermark_candidate,
    out_of_sync_replicas,
)
from strom.cluster.replica_fetcher import truncation_offset
from strom.protocol.records import BatchBuilder
from strom.storage.clock import SystemClock
from strom.storage.config import LogConfig
from strom.storage.log import PartitionLog

LAG = 30_000


_open_logs: list[PartitionLog] = []


@pytest.fixture(autouse=True)
def _close_logs() -> Iterator[None]:
    yield
    while _open_logs:
        _open_logs.pop().close()


def _log(tmp_path: Path, records: int = 0) -> PartitionLog:
    plog = PartitionLog.open(tmp_path / "t-0", LogConfig(), SystemClock())
    _open_logs.append(plog)
    for i in range(records):
        builder = BatchBuilder()
        builder.append(b"v%d" % i, None, 0, [])
        plog.append_as_leader(builder.build(), 0)
    return plog


def _leader(tmp_path: Path, records: int, isr: list[int], now: int = 1000) -> Partition:
    part = Partition("t", 0, _log(tmp_path, records), -1, [], [], local_id=1)
    part.log.high_watermark = 0
    part.become_leader(3, isr, [1, 2, 3], 0, now)
    return part


def test_high_watermark_waits_for_every_isr_member(tmp_path: Path) -> None:
    part = _leader(tmp_path, 10, [1, 2, 3])
    assert part.high_watermark == 0  # followers' offsets unknown: nothing is committed yet
    part.record_follower_fetch(2, 10, 1100)
    assert not part.maybe_advance_high_watermark()
    part.record_follower_fetch(3, 7, 1100)
    assert part.maybe_advance_high_watermark() and part.high_watermark == 7
    part.record_follower_fetch(3, 10, 1200)
    part.maybe_advance_high_watermark()
    assert part.high_watermark == 10


def test_high_watermark_never_moves_back(tmp_path: Path) -> None:
    part = _leader(tmp_path, 10, [1, 2])
    part.record_follower_fetch(2, 8, 1100)
    part.maybe_advance_high_watermark()
    part.record_follower_fetch(2, 5, 1200)  # e.g. a stale fetch
    assert not part.maybe_advance_high_watermark()
    assert part.high_watermark == 8


def test_isr_of_one_commits_at_once(tmp_path: Path) -> None:
    part = _leader(tmp_path, 4, [1])
    assert part.high_watermark == 4


def test_follower_outside_isr_does_not_hold_the_high_watermark(tmp_path: Path) -> None:
    part = _leader(tmp_path, 10, [1, 2])
    part.record_follower_fetch(2, 10, 1100)
    part.record_follower_fetch(3, 0, 1100)
    part.maybe_advance_high_watermark()
    assert part.high_watermark == 10


def test_caught_up_time_follows_kafka(tmp_path: Path) -> None:
    state = FollowerState()
    state.record_fetch(5, 10, 1000)  # behind, no previous fetch: not caught up
    assert state.last_caught_up_ms == 0
    state.record_fetch(10, 12, 2000)  # reached the LEO the leader had at the previous fetch
    assert state.last_caught_up_ms == 1000
    state.record_fetch(12, 12, 3000)  # at the leader's LEO now
    assert state.last_caught_up_ms == 3000


def test_lagging_follower_leaves_isr_after_lag_time(tmp_path: Path) -> None:
    part = _leader(tmp_path, 10, [1, 2, 3], now=1000)
    part.record_follower_fetch(2, 10, 1500)
    assert part.isr_shrink(1000 + LAG, LAG) is None  # ISR members get the lag time from leadership on
    assert part.isr_shrink(1000 + LAG + 1, LAG) == [1, 2]
    assert out_of_sync_replicas([1, 2, 3], 1, part.followers, 1500 + LAG + 1, LAG) == [2, 3]


def test_no_second_proposal_while_one_is_in_flight(tmp_path: Path) -> None:
    part = _leader(tmp_path, 10, [1, 2, 3], now=0)
    part.pending_isr = [1, 2]
    assert part.isr_shrink(10 * LAG, LAG) is None
    assert part.isr_expansion(3) is None


def test_follower_rejoins_when_it_reaches_high_watermark_and_epoch_start(tmp_path: Path) -> None:
    part = _leader(tmp_path, 10, [1, 2])
    part.record_follower_fetch(2, 10, 1100)
    part.maybe_advance_high_watermark()
    part.record_follower_fetch(3, 9, 1100)
    assert part.isr_expansion(3) is None
    part.record_follower_fetch(3, 10, 1200)
    assert part.isr_expansion(3) == [1, 2, 3]
    # while the expansion is pending, the high watermark counts the joining replica too
    part.pending_isr = [1, 2, 3]
    assert part.maximal_isr == [1, 2, 3]


def test_leader_epoch_start_offset_is_recorded(tmp_path: Path) -> None:
    part = _leader(tmp_path, 6, [1])
    assert part.log.leader_epoch_cache.end_offset_for(3, part.log.log_end_offset) == (3, 6)
    assert part.leader_epoch_start_offset == 6
    assert not can_join_isr(FollowerState(log_end_offset=5), 0, 6)


@settings(max_examples=200, deadline=None)
@given(
    leo=st.integers(0, 1000),
    followers=st.dictionaries(st.integers(2, 6), st.integers(-1, 1000), max_size=5),
    isr_extra=st.sets(st.integers(2, 6)),
)
def test_candidate_is_min_of_known_isr_offsets(leo: int, followers: dict[int, int], isr_extra: set[int]) -> None:
    states = {r: FollowerState(log_end_offset=o) for r, o in followers.items()}
    isr = [1, *sorted(isr_extra)]
    got = high_watermark_candidate(leo, isr, 1, states)
    members = [followers.get(r, -1) for r in isr_extra]
    if any(o == -1 for o in members):
        assert got is None
    else:
        assert got == min([leo, *members])


def test_truncation_offset_cases() -> None:
    def local(epoch: int) -> tuple[int, int]:
        return {0: (0, 5), 1: (1, 9), 2: (2, 12)}.get(epoch, (-1, -1))

    # leader knows our latest epoch: cut at its end of that epoch (never beyond our LEO)
    assert truncation_offset(2, 10, 2, local, 12, 3) == 10
    assert truncation_offset(2, 15, 2, local, 12, 3) == 12
    # leader's largest epoch <= ours is older: cut at the smaller end of that epoch
    assert truncation_offset(1, 8, 2, local, 12, 3) == 8
    assert truncation_offset(1, 11, 2, local, 12, 3) == 9
    # leader knows no such epoch: only the high watermark is safe
    assert truncation_offset(-1, -1, 2, local, 12, 3) == 3


def test_an_isr_of_just_the_leader_commits_its_log_end_offset(tmp_path: Path) -> None:
    part = _leader(tmp_path, 4, [1])
    assert part.high_watermark == 4
    part.log.append_as_leader(_batch(), 3)
    assert part.maybe_advance_high_watermark()
    assert part.high_watermark == 5


def test_an_expansion_in_flight_holds_an_isr_of_one_until_the_joiner_has_fetched(tmp_path: Path) -> None:
    """The maximal ISR counts the proposed member, so the high watermark waits for it as well."""
    part = _leader(tmp_path, 4, [1])
    part.pending_isr = [1, 2]
    part.log.append_as_leader(_batch(), 3)
    assert not part.maybe_advance_high_watermark()
    part.record_follower_fetch(2, 5, 1100)
    assert part.maybe_advance_high_watermark()
    assert part.high_watermark == 5


def _batch() -> bytes:
    builder = BatchBuilder()
    builder.append(b"v", None, 0, [])
    return builder.build()
