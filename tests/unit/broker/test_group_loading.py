"""Group requests that reach a broker before its group coordinator has loaded __consumer_offsets (the listeners are
open during the load) answer COORDINATOR_LOAD_IN_PROGRESS, and FindCoordinator COORDINATOR_NOT_AVAILABLE, instead of
being answered from half the state; once the service has started, the same requests are served."""

from __future__ import annotations

import asyncio

from strom.broker.broker import Broker
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import find_coordinator as fc
from strom.protocol.schema import heartbeat as hb
from strom.protocol.schema import join_group as jg
from strom.protocol.schema import offset_commit as oc
from strom.protocol.schema import offset_fetch as of
from tests.unit.broker.test_admin_handlers import broker, call

__all__ = ["broker"]  # the fixture, shared with the admin handler tests

JOIN = jg.JoinGroupRequest(
    group_id="g",
    session_timeout_ms=10_000,
    rebalance_timeout_ms=10_000,
    member_id="",
    protocol_type="consumer",
    protocols=[jg.JoinGroupRequestProtocol(name="range", metadata=b"")],
)
FETCH = of.OffsetFetchRequest(group_id="g", topics=[of.OffsetFetchRequestTopic(name="kept", partition_indexes=[0])])
FETCH_V8 = of.OffsetFetchRequest(
    groups=[of.OffsetFetchRequestGroup(group_id="g", topics=[of.OffsetFetchRequestTopics(name="kept", partition_indexes=[0])])]
)
COMMIT = oc.OffsetCommitRequest(
    group_id="g",
    generation_id_or_member_epoch=-1,
    member_id="",
    topics=[oc.OffsetCommitRequestTopic(name="kept", partitions=[oc.OffsetCommitRequestPartition(partition_index=0, committed_offset=5)])],
)


def test_group_requests_before_the_load_are_load_in_progress(broker: Broker) -> None:
    assert not broker.group_service.loaded
    load = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    assert call(broker, JOIN, jg.JoinGroupResponse, 5).error_code == load
    assert call(broker, FETCH, of.OffsetFetchResponse, 7).error_code == load
    assert call(broker, FETCH_V8, of.OffsetFetchResponse, 8).groups[0].error_code == load
    assert call(broker, COMMIT, oc.OffsetCommitResponse, 8).topics[0].partitions[0].error_code == load
    beat = hb.HeartbeatRequest(group_id="g", generation_id=1, member_id="m")
    assert call(broker, beat, hb.HeartbeatResponse, 4).error_code == load
    found = call(broker, fc.FindCoordinatorRequest(key="g"), fc.FindCoordinatorResponse, 3)
    assert found.error_code == ErrorCode.COORDINATOR_NOT_AVAILABLE


def test_after_the_start_up_load_the_same_requests_are_served(broker: Broker) -> None:
    async def start() -> None:
        await broker.group_service.start()
        broker.group_service.stop()  # its timers belong to this loop

    asyncio.run(start())
    assert call(broker, COMMIT, oc.OffsetCommitResponse, 8).topics[0].partitions[0].error_code == ErrorCode.NONE
    fetched = call(broker, FETCH, of.OffsetFetchResponse, 7)
    assert (fetched.error_code, fetched.topics[0].partitions[0].committed_offset) == (ErrorCode.NONE, 5)
    assert call(broker, fc.FindCoordinatorRequest(key="g"), fc.FindCoordinatorResponse, 3).error_code == ErrorCode.NONE
