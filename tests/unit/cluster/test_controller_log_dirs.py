"""The controller's record of replicas on failed log dirs, and the log dir event znode's JSON (Kafka 2.8's)."""

from __future__ import annotations

import json
import uuid

import pytest

from strom.cluster import zk_data as zd
from strom.cluster.controller_log_dirs import OfflineReplicas, leader_and_isr_errors
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import leader_and_isr as lai


def test_the_log_dir_event_is_kafkas_json() -> None:
    assert json.loads(zd.encode_log_dir_event(3)) == {"version": 1, "broker": 3, "event": 1}
    assert zd.decode_log_dir_event(b'{"version":1,"broker":2,"event":1}') == 2
    assert zd.decode_log_dir_event(b"not json") is None and zd.decode_log_dir_event(None) is None


def test_leader_and_isr_errors_of_every_version() -> None:
    tid = uuid.uuid4()
    v4 = lai.LeaderAndIsrResponse(partition_errors=[lai.LeaderAndIsrPartitionError(topic_name="t", partition_index=1, error_code=56)])
    assert leader_and_isr_errors(v4, {}) == {("t", 1): ErrorCode.KAFKA_STORAGE_ERROR}
    v5 = lai.LeaderAndIsrResponse(
        topics=[
            lai.LeaderAndIsrTopicError(
                topic_id=tid, partition_errors=[lai.LeaderAndIsrResponseLeaderAndIsrPartitionError(partition_index=0, error_code=0)]
            ),
            lai.LeaderAndIsrTopicError(topic_id=uuid.uuid4(), partition_errors=[]),  # a topic the controller forgot
        ]
    )
    assert leader_and_isr_errors(v5, {tid: "t"}) == {("t", 0): ErrorCode.NONE}


def test_replicas_go_offline_once_and_come_back_when_answered_or_restarted() -> None:
    offline = OfflineReplicas()
    storage, ok = ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NONE
    assert offline.update(0, {("t", 0): storage, ("t", 1): ok}) == {("t", 0)}
    assert offline.update(0, {("t", 0): storage}) == set()  # already known: nothing new to elect
    assert offline.is_offline(0, ("t", 0)) and not offline.is_offline(1, ("t", 0))
    assert offline.offline_brokers(("t", 0)) == [0]
    offline.update(0, {("t", 0): ok})
    assert not offline.is_offline(0, ("t", 0))
    offline.update(1, {("t", 0): storage})
    offline.forget([1])
    assert offline.offline_brokers(("t", 0)) == []


def test_an_event_running_when_the_controller_resigns_fails_its_caller() -> None:
    """A controlled shutdown submitted to the controller while it lost its ZooKeeper session (the event stuck in
    a ZooKeeper call) waited forever after the resignation: the broker never exited."""
    import asyncio

    from strom.cluster.controller import Controller, ControllerMovedError
    from strom.cluster.zookeeper import ZkClient

    async def run() -> None:
        controller = Controller(ZkClient("127.0.0.1:1"), 0, 1, 1, {})  # never connected: the event never gets an answer
        controller._task = asyncio.ensure_future(controller._process())
        stuck = asyncio.Event()

        async def event() -> None:
            await stuck.wait()

        waiting = asyncio.ensure_future(controller.submit(event))
        await asyncio.sleep(0.05)
        await controller.resign()
        with pytest.raises(ControllerMovedError):
            await asyncio.wait_for(waiting, 5)

    asyncio.run(run())
