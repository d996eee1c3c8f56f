"""Bad input to the group APIs gets Kafka's error codes: the real handlers on an in-process broker (no sockets),
each response encoded at the version asked, as it would go on the wire."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from strom.broker.broker import Broker
from strom.broker.config import BrokerConfig
from strom.broker.handlers import HANDLERS
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import consumer_group_describe as cgd
from strom.protocol.schema import consumer_group_heartbeat as cgh
from strom.protocol.schema import delete_groups as dg
from strom.protocol.schema import describe_groups as dsg
from strom.protocol.schema import join_group as jg
from strom.protocol.schema import list_groups as lg
from strom.protocol.schema import offset_commit as oc
from strom.protocol.schema import offset_delete as od
from strom.protocol.schema import offset_fetch as of


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    log_dir: Path = tmp_path_factory.mktemp("bad-input")
    cfg = BrokerConfig.load(None, {"log.dirs": str(log_dir), "offsets.topic.num.partitions": "2", "group.initial.rebalance.delay.ms": "0"})
    b = Broker(cfg)
    asyncio.run(start_group_service(b))
    b.create_topic("t", 2, 1, {})
    yield b
    b.log_manager.close()


async def start_group_service(broker: Broker) -> None:
    """The group service as the broker starts it (creates and loads __consumer_offsets: until then every group
    request answers COORDINATOR_LOAD_IN_PROGRESS); its timers belong to this loop, and each call runs its own."""
    await broker.group_service.start()
    broker.group_service.stop()


def call(broker: Broker, request: Any, version: int) -> Any:
    ctx = SimpleNamespace(broker=broker, api_version=version, header=SimpleNamespace(client_id="bad"), client_host="127.0.0.1")

    async def go() -> Any:
        response = await HANDLERS[request.API_KEY].handler(ctx, request)
        service = broker.group_service
        if service._timer is not None:
            service._timer.cancel()
            service._timer = None
        return response

    response = asyncio.run(go())
    response.encode(version)  # what the client would get must be encodable at its version
    return response


def commit(group: str, topic: str = "t", member: str = "", generation: int = -1, metadata: str = "") -> Any:
    parts = [oc.OffsetCommitRequestPartition(partition_index=0, committed_offset=1, committed_metadata=metadata)]
    return oc.OffsetCommitRequest(group_id=group, generation_id_or_member_epoch=generation, member_id=member,
                                  topics=[oc.OffsetCommitRequestTopic(name=topic, partitions=parts)])  # fmt: skip


def codes(response: Any) -> list[int]:
    return [p.error_code for t in response.topics for p in t.partitions]


def test_offset_commit_bad_input(broker: Broker) -> None:
    assert codes(call(broker, commit(""), 8)) == [ErrorCode.INVALID_GROUP_ID]
    assert codes(call(broker, commit("g", topic="nope"), 8)) == [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]
    assert codes(call(broker, commit("g", metadata="x" * 5000), 8)) == [ErrorCode.OFFSET_METADATA_TOO_LARGE]
    assert codes(call(broker, commit("nogroup", member="m", generation=3), 8)) == [ErrorCode.ILLEGAL_GENERATION]
    assert codes(call(broker, commit("g"), 2)) == [ErrorCode.NONE]


def test_offset_fetch_bad_input(broker: Broker) -> None:
    r = call(broker, of.OffsetFetchRequest(group_id="", topics=[of.OffsetFetchRequestTopic(name="t", partition_indexes=[0])]), 1)
    assert codes(r) == [ErrorCode.INVALID_GROUP_ID]
    assert call(broker, of.OffsetFetchRequest(group_id="", topics=None), 7).error_code == ErrorCode.INVALID_GROUP_ID
    groups = [of.OffsetFetchRequestGroup(group_id=g, topics=None) for g in ("", "unknown")]
    r = call(broker, of.OffsetFetchRequest(groups=groups), 8)
    assert [(g.group_id, g.error_code) for g in r.groups] == [("", ErrorCode.INVALID_GROUP_ID), ("unknown", 0)]
    stale = [of.OffsetFetchRequestGroup(group_id="kip", member_id="ghost", member_epoch=3, topics=None)]
    join = cgh.ConsumerGroupHeartbeatRequest(group_id="kip", member_id="m1", member_epoch=0, rebalance_timeout_ms=1000,
                                             subscribed_topic_names=["t"], topic_partitions=[])  # fmt: skip
    assert call(broker, join, 1).member_epoch == 1
    assert call(broker, of.OffsetFetchRequest(groups=stale), 9).groups[0].error_code == ErrorCode.UNKNOWN_MEMBER_ID
    stale[0] = of.OffsetFetchRequestGroup(group_id="kip", member_id="m1", member_epoch=0, topics=None)
    assert call(broker, of.OffsetFetchRequest(groups=stale), 9).groups[0].error_code == ErrorCode.STALE_MEMBER_EPOCH
    assert codes(call(broker, commit("kip", member="m1", generation=2), 9)) == [ErrorCode.FENCED_MEMBER_EPOCH]
    assert codes(call(broker, commit("kip", member="m1", generation=1), 8)) == [ErrorCode.UNSUPPORTED_VERSION]
    assert codes(call(broker, commit("kip", member="m1", generation=1), 9)) == [ErrorCode.NONE]


def test_offset_delete_and_delete_groups_bad_input(broker: Broker) -> None:
    parts = [od.OffsetDeleteRequestPartition(partition_index=0)]
    req = od.OffsetDeleteRequest(group_id="", topics=[od.OffsetDeleteRequestTopic(name="t", partitions=parts)])
    assert call(broker, req, 0).error_code == ErrorCode.INVALID_GROUP_ID
    req = od.OffsetDeleteRequest(group_id="missing", topics=[od.OffsetDeleteRequestTopic(name="t", partitions=parts)])
    assert call(broker, req, 0).error_code == ErrorCode.GROUP_ID_NOT_FOUND
    r = call(broker, dg.DeleteGroupsRequest(groups_names=["", "missing"]), 2)
    assert [x.error_code for x in r.results] == [ErrorCode.INVALID_GROUP_ID, ErrorCode.GROUP_ID_NOT_FOUND]


def test_join_and_describe_bad_input(broker: Broker) -> None:
    def join(group: str, protocol_type: str = "consumer", protocols: Any = None) -> Any:
        protocols = protocols if protocols is not None else [jg.JoinGroupRequestProtocol(name="range", metadata=b"")]
        return jg.JoinGroupRequest(group_id=group, session_timeout_ms=10_000, rebalance_timeout_ms=10_000, member_id="",
                                   protocol_type=protocol_type, protocols=protocols)  # fmt: skip

    assert call(broker, join(""), 5).error_code == ErrorCode.INVALID_GROUP_ID
    assert call(broker, join("j", protocols=[]), 5).error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    assert call(broker, join("j", protocol_type=""), 5).error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    bad_timeout = jg.JoinGroupRequest(group_id="j", session_timeout_ms=1, rebalance_timeout_ms=1, member_id="",
                                      protocol_type="consumer", protocols=[])  # fmt: skip
    assert call(broker, bad_timeout, 5).error_code == ErrorCode.INVALID_SESSION_TIMEOUT
    r = call(broker, dsg.DescribeGroupsRequest(groups=["", "missing"]), 5)
    assert [(g.error_code, g.group_state) for g in r.groups] == [(ErrorCode.INVALID_GROUP_ID, ""), (0, "Dead")]
    r = call(broker, cgd.ConsumerGroupDescribeRequest(group_ids=["", "missing"], include_authorized_operations=True), 0)
    assert [g.error_code for g in r.groups] == [ErrorCode.INVALID_GROUP_ID, ErrorCode.GROUP_ID_NOT_FOUND]


def test_consumer_group_heartbeat_bad_input(broker: Broker) -> None:
    def hb(**kw: Any) -> Any:
        fields = {"group_id": "h", "member_id": uuid.uuid4().hex, "member_epoch": 0, "rebalance_timeout_ms": 1000,
                  "subscribed_topic_names": ["t"], "topic_partitions": []}  # fmt: skip
        fields.update(kw)
        return call(broker, cgh.ConsumerGroupHeartbeatRequest(**fields), 1)

    assert hb(group_id="").error_code == ErrorCode.INVALID_REQUEST
    assert hb(member_id="").error_code == ErrorCode.INVALID_REQUEST  # v1: the client names itself
    assert hb(rebalance_timeout_ms=-1).error_code == ErrorCode.INVALID_REQUEST
    assert hb(subscribed_topic_names=None).error_code == ErrorCode.INVALID_REQUEST
    assert hb(topic_partitions=None).error_code == ErrorCode.INVALID_REQUEST
    assert hb(server_assignor="roundrobin").error_code == ErrorCode.UNSUPPORTED_ASSIGNOR
    assert hb(subscribed_topic_names=None, subscribed_topic_regex="[").error_code == ErrorCode.INVALID_REGULAR_EXPRESSION
    assert hb(member_epoch=7).error_code == ErrorCode.UNKNOWN_MEMBER_ID
    assert hb(member_epoch=-1).error_code == ErrorCode.GROUP_ID_NOT_FOUND
    ok = hb(instance_id="static-1")
    assert ok.error_code == 0 and ok.member_epoch == 1
    assert hb(instance_id="static-1").error_code == ErrorCode.UNRELEASED_INSTANCE_ID
    assert hb(member_id=ok.member_id, member_epoch=9, instance_id="static-1").error_code == ErrorCode.FENCED_MEMBER_EPOCH
    r = call(broker, lg.ListGroupsRequest(states_filter=[], types_filter=["consumer"]), 5)
    assert {g.group_id for g in r.groups} >= {"h"} and all(g.group_type == "consumer" for g in r.groups)
