"""The controller's answers to AlterIsr (AlterPartition v0) from partition leaders."""

from __future__ import annotations

import asyncio
import uuid

from strom.cluster import zk_data as zd
from strom.cluster.controller import Controller
from strom.cluster.zookeeper import ZkClient
from strom.protocol.errors import ErrorCode


def test_an_alter_isr_retried_after_its_answer_was_lost_gets_the_current_state() -> None:
    """A leader cut off from the controller (not from ZooKeeper) proposed ISR [0]; the request timed out at the
    leader but reached the controller after the heal and was applied (partition epoch 4 -> 5). The leader's
    retry, still at epoch 4, got INVALID_UPDATE_VERSION and gave up, so it kept believing ISR [0, 1, 2] and
    never expanded the ISR ZooKeeper held at [0] (found by the leader-from-brokers fault campaign). As
    Kafka's controller (equalsIgnoreZk), a proposal equal to the current ISR answers the current state."""

    async def run() -> None:
        controller = Controller(ZkClient("127.0.0.1:1"), 2, 1, 1, {})  # this path writes nothing to ZooKeeper
        controller.brokers[0] = zd.BrokerInfo(0, "b0", 9092, epoch=30)
        controller.topics["t"] = zd.TopicAssignment(str(uuid.uuid4()), {0: [0, 1, 2]})
        controller.states[("t", 0)] = zd.LeaderIsr(0, 7, (0,), 1, zk_version=5)
        got = await controller.alter_isr(0, 30, [(("t", 0), 7, [0], 4)])
        assert got[("t", 0)] == (ErrorCode.NONE, controller.states[("t", 0)])
        stale = await controller.alter_isr(0, 30, [(("t", 0), 7, [0, 1], 4)])  # a different change at an old epoch
        assert stale[("t", 0)] == (ErrorCode.INVALID_UPDATE_VERSION, None)

    asyncio.run(run())
