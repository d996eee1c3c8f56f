"""Group APIs: FindCoordinator (10), JoinGroup (11), Heartbeat (12), LeaveGroup (13), SyncGroup (14),
DescribeGroups (15), ListGroups (16), DeleteGroups (42), OffsetCommit (8), OffsetFetch (9),
OffsetDelete (47). Thin: decode -> the pure coordinator -> encode."""

from __future__ import annotations

import asyncio
from typing import Any

from strom.broker.handlers import handles
from strom.broker.handlers.metadata import advertised_endpoint
from strom.coordination.group import COMPLETING_REBALANCE, DEAD, EMPTY, PREPARING_REBALANCE, STABLE, JoinResult, SyncResult
from strom.coordination.offsets import CommittedOffset
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import (
    delete_groups,
    describe_groups,
    find_coordinator,
    heartbeat,
    join_group,
    leave_group,
    list_groups,
    offset_commit,
    offset_delete,
    offset_fetch,
    sync_group,
)

GROUP_KEY, TXN_KEY = 0, 1


def _service(ctx: Any) -> Any:
    return ctx.broker.services["group"]


@handles(10)
async def find_coord(ctx: Any, request: Any) -> Any:
    host, port = advertised_endpoint(ctx)
    broker_id = ctx.broker.broker_id
    if ctx.api_version >= 4:
        coords = []
        for key in request.coordinator_keys:
            if request.key_type == GROUP_KEY:
                coords.append(find_coordinator.Coordinator(key=key, node_id=broker_id, host=host, port=port, error_code=0))
            else:
                coords.append(
                    find_coordinator.Coordinator(
                        key=key,
                        node_id=-1,
                        host="",
                        port=-1,
                        error_code=ErrorCode.COORDINATOR_NOT_AVAILABLE,
                        error_message="transactions are not supported yet",
                    )
                )
        return find_coordinator.FindCoordinatorResponse(coordinators=coords)
    if request.key_type != GROUP_KEY:
        return find_coordinator.FindCoordinatorResponse(
            error_code=ErrorCode.COORDINATOR_NOT_AVAILABLE, error_message="transactions are not supported yet", node_id=-1, host="", port=-1
        )
    return find_coordinator.FindCoordinatorResponse(error_code=0, error_message=None, node_id=broker_id, host=host, port=port)


@handles(11)
async def join(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    fut: asyncio.Future[JoinResult] = asyncio.get_running_loop().create_future()

    def done(result: JoinResult) -> None:
        if not fut.done():
            fut.set_result(result)

    service.coordinator.join_group(
        service.now_ms(),
        request.group_id,
        request.member_id,
        request.group_instance_id,
        ctx.header.client_id or "",
        "/" + ctx.client_host,
        request.session_timeout_ms,
        request.rebalance_timeout_ms if ctx.api_version >= 1 else request.session_timeout_ms,
        request.protocol_type,
        [(p.name, bytes(p.metadata)) for p in request.protocols],
        ctx.api_version >= 4,
        done,
    )
    r = await fut
    return join_group.JoinGroupResponse(
        error_code=r.error_code,
        generation_id=r.generation_id,
        protocol_type=r.protocol_type,
        protocol_name=r.protocol_name if ctx.api_version >= 7 else (r.protocol_name or ""),
        leader=r.leader,
        skip_assignment=r.skip_assignment,
        member_id=r.member_id,
        members=[join_group.JoinGroupResponseMember(member_id=m, group_instance_id=i, metadata=md) for m, i, md in r.members],
    )


@handles(14)
async def sync(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    fut: asyncio.Future[SyncResult] = asyncio.get_running_loop().create_future()

    def done(result: SyncResult) -> None:
        if not fut.done():
            fut.set_result(result)

    service.coordinator.sync_group(
        service.now_ms(),
        request.group_id,
        request.generation_id,
        request.member_id,
        request.group_instance_id,
        request.protocol_type,
        request.protocol_name,
        {a.member_id: bytes(a.assignment) for a in request.assignments},
        done,
    )
    r = await fut
    return sync_group.SyncGroupResponse(
        error_code=r.error_code, protocol_type=r.protocol_type, protocol_name=r.protocol_name, assignment=r.assignment
    )


@handles(12)
async def hb(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    code = service.coordinator.heartbeat(
        service.now_ms(), request.group_id, request.generation_id, request.member_id, request.group_instance_id
    )
    return heartbeat.HeartbeatResponse(error_code=code)


@handles(13)
async def leave(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    if ctx.api_version >= 3:
        members = [(m.member_id, m.group_instance_id) for m in request.members]
    else:
        members = [(request.member_id, None)]
    top, errors = service.coordinator.leave_group(service.now_ms(), request.group_id, members)
    if ctx.api_version < 3:
        return leave_group.LeaveGroupResponse(error_code=errors[0])
    return leave_group.LeaveGroupResponse(
        error_code=top,
        members=[leave_group.MemberResponse(member_id=m, group_instance_id=i, error_code=e) for (m, i), e in zip(members, errors)],
    )


def _describe(service: Any, group_id: str) -> Any:
    g = service.coordinator.group(group_id)
    if g is None:
        state = EMPTY if service.offsets.has_group(group_id) else DEAD
        return describe_groups.DescribedGroup(
            error_code=0, group_id=group_id, group_state=state, protocol_type="" if state == DEAD else "consumer"
        )
    members = []
    for m in g.members.values():
        meta = m.metadata_for(g.protocol_name or "") if g.state in (STABLE, COMPLETING_REBALANCE) else b""
        members.append(
            describe_groups.DescribedGroupMember(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                member_metadata=meta,
                member_assignment=m.assignment if g.state == STABLE else b"",
            )
        )
    return describe_groups.DescribedGroup(
        error_code=0,
        group_id=group_id,
        group_state=g.state,
        protocol_type=g.protocol_type or "",
        protocol_data=(g.protocol_name or "") if g.state == STABLE else "",
        members=members,
    )


@handles(15)
async def describe(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    return describe_groups.DescribeGroupsResponse(groups=[_describe(service, gid) for gid in request.groups])


@handles(16)
async def list_(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    out = {}
    for gid, g in service.coordinator.groups.items():
        out[gid] = (g.protocol_type or "", g.state)
    for gid in service.offsets.offsets:
        out.setdefault(gid, ("consumer", EMPTY))
    states = {s.lower() for s in request.states_filter} if ctx.api_version >= 4 else set()
    types = {t.lower() for t in request.types_filter} if ctx.api_version >= 5 else set()
    groups = [
        list_groups.ListedGroup(group_id=gid, protocol_type=ptype, group_state=state, group_type="classic")
        for gid, (ptype, state) in sorted(out.items())
        if (not states or state.lower() in states) and (not types or "classic" in types)
    ]
    return list_groups.ListGroupsResponse(error_code=0, groups=groups)


@handles(42)
async def delete(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    results = []
    for gid in request.groups_names:
        code = service.coordinator.delete_group(gid, service.offsets.has_group(gid))
        if code == ErrorCode.NONE:
            service.delete_group(gid)
        results.append(delete_groups.DeletableGroupResult(group_id=gid, error_code=code))
    return delete_groups.DeleteGroupsResponse(results=results)


def _commit_error(service: Any, request: Any, version: int) -> int:
    g = service.coordinator.group(request.group_id)
    generation = request.generation_id_or_member_epoch if version >= 1 else -1
    if not request.group_id:
        return ErrorCode.INVALID_GROUP_ID
    if generation < 0 and (g is None or g.state in (EMPTY, DEAD)):
        return ErrorCode.NONE  # simple (standalone) consumer commit
    if g is None or g.state == DEAD:
        return ErrorCode.ILLEGAL_GENERATION if generation >= 0 else ErrorCode.UNKNOWN_MEMBER_ID
    if request.group_instance_id is not None and g.static_members.get(request.group_instance_id) != request.member_id:
        return ErrorCode.FENCED_INSTANCE_ID
    if request.member_id not in g.members:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if generation != g.generation_id:
        return ErrorCode.ILLEGAL_GENERATION
    if g.state == COMPLETING_REBALANCE:
        return ErrorCode.REBALANCE_IN_PROGRESS
    return ErrorCode.NONE


@handles(8)
async def commit(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    broker = ctx.broker
    error = _commit_error(service, request, ctx.api_version)
    now = service.now_ms()
    max_meta = int(broker.config["offset.metadata.max.bytes"])
    topics = []
    entries = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            code = error
            if code == ErrorCode.NONE:
                if (t.name, p.partition_index) not in broker.partitions:
                    code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                elif p.committed_metadata is not None and len(p.committed_metadata.encode()) > max_meta:
                    code = ErrorCode.OFFSET_METADATA_TOO_LARGE
                else:
                    ts = p.commit_timestamp if ctx.api_version == 1 and p.commit_timestamp >= 0 else now
                    entries.append(
                        (
                            t.name,
                            p.partition_index,
                            CommittedOffset(p.committed_offset, p.committed_leader_epoch, p.committed_metadata or "", ts),
                        )
                    )
            parts.append(offset_commit.OffsetCommitResponsePartition(partition_index=p.partition_index, error_code=code))
        topics.append(offset_commit.OffsetCommitResponseTopic(name=t.name, partitions=parts))
    if entries:
        await service.commit(request.group_id, entries)
    return offset_commit.OffsetCommitResponse(topics=topics)


def _fetch_group(service: Any, group_id: str, topics: Any) -> list[tuple[str, list[tuple[int, CommittedOffset | None]]]]:
    committed = service.offsets.for_group(group_id)
    if topics is None:
        by_topic: dict[str, list[tuple[int, CommittedOffset | None]]] = {}
        for (t, p), c in sorted(committed.items()):
            by_topic.setdefault(t, []).append((p, c))
        return list(by_topic.items())
    return [(t.name, [(p, committed.get((t.name, p))) for p in t.partition_indexes]) for t in topics]


@handles(9)
async def fetch_offsets(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    if ctx.api_version >= 8:
        groups = []
        for grp in request.groups:
            topics = [
                offset_fetch.OffsetFetchResponseTopics(
                    name=t,
                    partitions=[
                        offset_fetch.OffsetFetchResponsePartitions(
                            partition_index=p,
                            committed_offset=c.offset if c else -1,
                            committed_leader_epoch=c.leader_epoch if c else -1,
                            metadata=c.metadata if c else "",
                            error_code=0,
                        )
                        for p, c in parts
                    ],
                )
                for t, parts in _fetch_group(service, grp.group_id, grp.topics)
            ]
            groups.append(offset_fetch.OffsetFetchResponseGroup(group_id=grp.group_id, topics=topics, error_code=0))
        return offset_fetch.OffsetFetchResponse(groups=groups)
    topics = [
        offset_fetch.OffsetFetchResponseTopic(
            name=t,
            partitions=[
                offset_fetch.OffsetFetchResponsePartition(
                    partition_index=p,
                    committed_offset=c.offset if c else -1,
                    committed_leader_epoch=c.leader_epoch if c else -1,
                    metadata=c.metadata if c else "",
                    error_code=0,
                )
                for p, c in parts
            ],
        )
        for t, parts in _fetch_group(service, request.group_id, request.topics)
    ]
    return offset_fetch.OffsetFetchResponse(topics=topics, error_code=0)


@handles(47)
async def delete_offsets(ctx: Any, request: Any) -> Any:
    service = _service(ctx)
    g = service.coordinator.group(request.group_id)
    if g is None and not service.offsets.has_group(request.group_id):
        return offset_delete.OffsetDeleteResponse(error_code=ErrorCode.GROUP_ID_NOT_FOUND)
    subscribed: set[str] = set()
    if g is not None and g.state in (STABLE, PREPARING_REBALANCE, COMPLETING_REBALANCE):
        subscribed = {"*"}  # without decoding member subscriptions we treat an active group as subscribed
    topics = []
    gone = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            code = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC if subscribed else ErrorCode.NONE
            if (t.name, p.partition_index) not in ctx.broker.partitions:
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            if code == ErrorCode.NONE:
                gone.append((t.name, p.partition_index))
            parts.append(offset_delete.OffsetDeleteResponsePartition(partition_index=p.partition_index, error_code=code))
        topics.append(offset_delete.OffsetDeleteResponseTopic(name=t.name, partitions=parts))
    service.delete_offsets(request.group_id, gone)
    return offset_delete.OffsetDeleteResponse(error_code=0, topics=topics)
