"""The controller's AlterIsr against a real ZooKeeper: writes whose answer was lost with the connection."""

from __future__ import annotations

import asyncio
import uuid

from strom.cluster import zk_data as zd
from strom.cluster.controller import Controller
from strom.cluster.zookeeper import ZkClient
from strom.protocol.errors import ErrorCode
from strom.testing.zookeeper import ZooKeeperProcess


def test_an_alter_isr_zookeeper_already_holds_is_answered_with_the_current_state(zookeeper: ZooKeeperProcess) -> None:
    """The controller's ISR write reached ZooKeeper but its connection dropped before the answer (flapping
    links), so its cache kept the old ISR and version and the leader got an error. The leader's retry at the
    old version then met a bad version in ZooKeeper, was answered INVALID_UPDATE_VERSION, and the leader kept
    the old ISR for good while ZooKeeper held the new one (found by the flapping-links campaign, seed 1920). As
    Kafka's checkLeaderAndIsrZkData, ZooKeeper already holding the proposed state is success."""
    zk = ZkClient(f"{zookeeper.connect}/alterisr", 6000)
    zk.start()
    path = zd.partition_state_path("t", 0)
    try:
        zk.create(zd.CONTROLLER_EPOCH, b"1")  # version 0, in this test's own chroot
        zk.create(path, zd.LeaderIsr(1, 3, (0, 1, 2), 1).encode())  # version 0: the controller's cache
        zk.set(path, zd.LeaderIsr(1, 3, (1, 2), 1).encode(), version=0)  # version 1: the write whose answer was lost

        async def run() -> None:
            controller = Controller(zk, 0, 1, 0, {})
            controller.brokers[1] = zd.BrokerInfo(1, "b1", 9092, epoch=30)
            controller.topics["t"] = zd.TopicAssignment(str(uuid.uuid4()), {0: [1, 0, 2]})
            controller.states[("t", 0)] = zd.LeaderIsr(1, 3, (0, 1, 2), 1, zk_version=0)
            got = await controller.alter_isr(1, 30, [(("t", 0), 3, [1, 2], 0)])
            assert got[("t", 0)] == (ErrorCode.NONE, zd.LeaderIsr(1, 3, (1, 2), 1, zk_version=1))
            other = await controller.alter_isr(1, 30, [(("t", 0), 3, [1], 0)])  # a different change, old version
            assert other[("t", 0)] == (ErrorCode.INVALID_UPDATE_VERSION, None)

        asyncio.run(run())
    finally:
        zk.close()
