"""offsets.retention.minutes on a real (in-process) broker with a manual clock: offsets of an empty classic group
expire retention after the group became empty (KIP-211); a consumer-protocol group's offsets of topics nobody
subscribes to, and simple-consumer offsets, retention after their commit (Kafka 3.9); the expiry is written to
__consumer_offsets as tombstones, so a restarted coordinator does not bring them back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig
from strom.broker.group_service import GroupService
from strom.coordination.consumer_group import HeartbeatRequest
from strom.coordination.offsets import CommittedOffset
from strom.storage.clock import ManualClock

MINUTE = 60_000
RETENTION_MINUTES = 10
RETENTION = RETENTION_MINUTES * MINUTE


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path


def start(log_dir: Path, clock: ManualClock) -> tuple[Broker, GroupService]:
    cfg = BrokerConfig.load(
        None,
        {
            "log.dirs": str(log_dir),
            "offsets.topic.num.partitions": "3",
            "offsets.retention.minutes": str(RETENTION_MINUTES),
            "listeners": "PLAINTEXT://127.0.0.1:0",
        },
    )
    broker = Broker(cfg, clock)
    service = broker.group_service
    service.ensure_offsets_topic()
    service.load()
    service.restore_groups()
    if "t" not in broker.metadata.topics:
        broker.create_topic("t", 2, 1, {})
    return broker, service


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def running(log_dir: Path, clock: ManualClock) -> Iterator[tuple[Broker, GroupService]]:
    broker, service = start(log_dir, clock)
    yield broker, service
    broker.log_manager.close()


def commit(service: GroupService, group: str, offset: int, now: int) -> None:
    asyncio.run(service.commit(group, [("t", 0, CommittedOffset(offset, -1, "", now))]))


def test_simple_consumer_offsets_expire_after_their_commit(running: tuple[Broker, GroupService], clock: ManualClock) -> None:
    _, service = running
    commit(service, "simple", 5, clock.now_ms())
    clock.advance(RETENTION - 1)
    assert service.expire_offsets() == 0
    clock.advance(1)
    assert service.expire_offsets() == 1
    assert service.offsets.for_group("simple") == {}
    assert service.coordinator.group("simple") is None  # an empty group without offsets is forgotten


def test_classic_group_offsets_kept_while_members_live(running: tuple[Broker, GroupService], clock: ManualClock) -> None:
    _, service = running
    answers: list[object] = []
    service.coordinator.join_group(clock.now_ms(), "cg", "", None, "c", "/h", 600_000, 600_000, "consumer",
                                   [("range", b"")], False, answers.append)  # fmt: skip
    assert service.coordinator.tick(clock.now_ms() + 3000) == []  # initial rebalance delay ends
    commit(service, "cg", 7, clock.now_ms())
    clock.advance(RETENTION + 1)
    g = service.coordinator.group("cg")
    assert g is not None and g.state != "Empty"
    assert service.expire_offsets() == 0  # a live group keeps its offsets however old they are
    member = next(iter(g.members))
    service.coordinator.leave_group(clock.now_ms(), "cg", [(member, None)])
    assert g.state == "Empty"
    clock.advance(RETENTION - 1)
    assert service.expire_offsets() == 0  # KIP-211: the clock starts when the group became empty
    clock.advance(1)
    assert service.expire_offsets() == 1


def test_consumer_protocol_group_offsets_expire_once_no_member_subscribes(running: tuple[Broker, GroupService], clock: ManualClock) -> None:
    """Kafka 3.9's ConsumerGroup: offsets of subscribed topics stay; others expire retention after their commit."""
    _, service = running
    join = HeartbeatRequest("kip848", "", 0, rebalance_timeout_ms=1000, subscribed_topic_names=("t",), owned={})
    r = service.consumer.heartbeat(clock.now_ms(), join, service.topics_view())
    assert r.error_code == 0
    commit(service, "kip848", 3, clock.now_ms())
    assert service.coordinator.group("kip848") is None  # its commits do not create a classic group
    clock.advance(RETENTION + 1)
    service.consumer.heartbeat(clock.now_ms(), HeartbeatRequest("kip848", r.member_id or "", r.member_epoch), service.topics_view())
    assert service.expire_offsets() == 0  # "t" is subscribed
    service.consumer.heartbeat(clock.now_ms(), HeartbeatRequest("kip848", r.member_id or "", -1), service.topics_view())
    assert service.expire_offsets() == 1  # nobody subscribes any more, and the commit is past retention
    assert service.consumer.group("kip848") is None


def test_expiry_is_durable_across_a_restart(log_dir: Path, clock: ManualClock) -> None:
    broker, service = start(log_dir, clock)
    commit(service, "gone", 1, clock.now_ms())
    commit(service, "kept", 2, clock.now_ms() + RETENTION)
    clock.advance(RETENTION)
    assert service.expire_offsets() == 1
    broker.log_manager.close()
    restarted, again = start(log_dir, clock)
    try:
        assert again.offsets.for_group("gone") == {}
        assert again.offsets.fetch("kept", "t", 0) is not None
    finally:
        restarted.log_manager.close()
