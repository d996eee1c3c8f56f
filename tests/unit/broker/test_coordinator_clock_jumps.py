"""A wall clock stepped on the coordinator's broker (NTP, a resumed VM) moves no group deadline: a jump forward
does not expire every member at once, a jump back does not keep a dead member alive for the size of the jump.
The coordinators read deadlines from a steady clock (wall time advanced by the monotonic clock), as Kafka's
session expiry runs on a monotonic timer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig
from strom.coordination.group import JoinResult, SyncResult
from strom.protocol.errors import ErrorCode
from strom.storage.clock import ManualClock, SteadyClock
from strom.testing.faults.clock import JumpingClock

HOUR_MS = 3_600_000
SESSION_MS = 10_000


def stable_member(broker: Broker) -> str:
    """One member joined and synced (group.initial.rebalance.delay.ms=0): the group is Stable."""
    svc = broker.group_service
    joined: list[JoinResult] = []
    svc.coordinator.join_group(
        svc.now_ms(), "g", "", None, "c", "/127.0.0.1", SESSION_MS, SESSION_MS, "consumer", [("range", b"")], False, joined.append
    )
    if joined[0].error_code == ErrorCode.MEMBER_ID_REQUIRED:
        member_id = joined[0].member_id
        joined.clear()
        svc.coordinator.join_group(
            svc.now_ms(),
            "g",
            member_id,
            None,
            "c",
            "/127.0.0.1",
            SESSION_MS,
            SESSION_MS,
            "consumer",
            [("range", b"")],
            False,
            joined.append,
        )
    result = joined[-1]
    assert result.error_code == ErrorCode.NONE, result
    synced: list[SyncResult] = []
    svc.coordinator.sync_group(
        svc.now_ms(), "g", result.generation_id, result.member_id, None, "consumer", "range", {result.member_id: b""}, synced.append
    )
    assert synced[0].error_code == ErrorCode.NONE
    return result.member_id


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock(ManualClock())


@pytest.fixture
def broker(tmp_path: Path, clock: JumpingClock) -> Iterator[Broker]:
    b = Broker(BrokerConfig.load(None, {"log.dirs": str(tmp_path), "group.initial.rebalance.delay.ms": "0"}), clock)
    yield b
    b.log_manager.close()


def test_a_wall_clock_jump_forward_expires_no_session(broker: Broker, clock: JumpingClock) -> None:
    member = stable_member(broker)
    svc = broker.group_service
    clock.jump(HOUR_MS)
    assert svc.coordinator.tick(svc.now_ms()) == []
    assert svc.coordinator.heartbeat(svc.now_ms(), "g", 1, member, None) == ErrorCode.NONE


def test_a_wall_clock_jump_back_keeps_no_dead_member_alive(broker: Broker, clock: JumpingClock) -> None:
    member = stable_member(broker)  # and then it never heartbeats again
    svc = broker.group_service
    clock.jump(-HOUR_MS)
    assert isinstance(clock.base, ManualClock)
    clock.base.advance(SESSION_MS - 1000)
    assert svc.coordinator.tick(svc.now_ms()) == []
    clock.base.advance(2000)
    assert svc.coordinator.tick(svc.now_ms()) == [member]


def test_the_steady_clock_starts_at_the_wall_clock_and_follows_the_monotonic_one(clock: JumpingClock) -> None:
    steady = SteadyClock(clock)
    assert steady.now_ms() == clock.now_ms()
    clock.jump(HOUR_MS)
    assert steady.now_ms() == clock.now_ms() - HOUR_MS
    assert isinstance(clock.base, ManualClock)
    clock.base.advance(5)
    assert steady.now_ms() == clock.now_ms() - HOUR_MS and steady.monotonic_ms() == clock.monotonic_ms()


def test_a_wall_clock_jump_forward_aborts_no_open_transaction_early(broker: Broker, clock: JumpingClock) -> None:
    """Kafka 2.8 times transactions out on the wall clock, so a jump forward past transaction.timeout.ms
    aborts every open transaction (and fences its producer); Strom times them on the steady clock."""
    svc = broker.transaction_service
    error, producer_id, epoch = svc.coordinator.init_producer_id(svc.now_ms(), "tx", 60_000, -1, -1, lambda: 1000)
    assert error == ErrorCode.NONE
    assert svc.coordinator.add_partitions(svc.now_ms(), "tx", producer_id, epoch, [("t", 0)]) == ErrorCode.NONE
    clock.jump(HOUR_MS)
    assert svc.coordinator.abort_timed_out(svc.now_ms()) == []
    assert isinstance(clock.base, ManualClock)
    clock.base.advance(60_001)
    assert svc.coordinator.abort_timed_out(svc.now_ms()) == ["tx"]
