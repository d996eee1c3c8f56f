"""An offset commit is an acks=all write to __consumer_offsets (offsets.commit.required.acks=-1): when the
partition's ISR is below min.insync.replicas the coordinator refuses it before appending, as Kafka does
(NOT_ENOUGH_REPLICAS, answered as COORDINATOR_NOT_AVAILABLE so the client retries), and the group's committed
offset stays what it was. A commit acknowledged with one copy where the topic asks for two could be lost with
that one broker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from strom.broker.config import BrokerConfig
from strom.broker.group_service import GroupService
from strom.cluster.metadata import PartitionState, TopicState
from strom.cluster.replica_manager import ReplicaManager, ReplicaManagerConfig
from strom.coordination.offsets import CommittedOffset
from strom.protocol.errors import ErrorCode
from strom.storage.clock import ManualClock
from strom.storage.config import LogConfig
from strom.storage.log_manager import LogManager
from tests.unit.cluster.test_replica_manager import FOLLOWER, LOCAL, LeaderAndIsrState, Metadata

OFFSETS = "__consumer_offsets"


def service(tmp_path: Path, isr: list[int]) -> GroupService:
    clock = ManualClock()
    metadata = Metadata({})
    manager = ReplicaManager(
        LOCAL,
        ReplicaManagerConfig(log_dirs=(tmp_path,)),
        LogManager([tmp_path], clock, LOCAL),
        clock,
        metadata,
        lambda _topic: LogConfig(min_insync_replicas=2, cleanup_policy="compact"),
    )
    manager.load_logs()
    replicas = [LOCAL, FOLLOWER]
    metadata.topics[OFFSETS] = TopicState(OFFSETS, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", {0: PartitionState(0, replicas, isr, LOCAL)})
    assert manager.apply_partition_state(OFFSETS, LeaderAndIsrState(0, LOCAL, 1, isr, replicas), is_new=True) == ErrorCode.NONE
    config = BrokerConfig.load(None, {"log.dirs": str(tmp_path), "offsets.topic.num.partitions": "1", "offsets.commit.timeout.ms": "100"})
    admin: Any = None  # commits never create topics
    return GroupService(config, clock, metadata, admin, manager, clustered=True)


def commit(svc: GroupService, offset: int) -> int:
    return asyncio.run(svc.commit("g", [("t", 0, CommittedOffset(offset, -1, "", 0))]))


def test_a_commit_below_min_insync_replicas_is_refused_and_not_applied(tmp_path: Path) -> None:
    svc = service(tmp_path, isr=[LOCAL])
    try:
        log_end = svc.replica_manager.partition(OFFSETS, 0).log.log_end_offset  # type: ignore[union-attr]
        assert commit(svc, 42) == ErrorCode.COORDINATOR_NOT_AVAILABLE
        assert svc.offsets.offsets.get("g", {}).get(("t", 0)) is None
        assert svc.replica_manager.partition(OFFSETS, 0).log.log_end_offset == log_end  # type: ignore[union-attr]
    finally:
        svc.replica_manager.log_manager.close()
