"""JoinGroup (11): parks the request until the rebalance's join phase completes (a deferred answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from strom.broker.authorizer import authorize
from strom.broker.group_service import GroupService
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.coordination.group import JoinResult
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import join_group as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.JoinGroupRequest) -> schema.JoinGroupResponse:
    service = ctx.broker.group_service
    code = service.coordinator_error(request.group_id) if request.group_id else ErrorCode.NONE
    if not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
    if code:
        return schema.JoinGroupResponse(
            error_code=code,
            generation_id=-1,
            protocol_name=None if ctx.api_version >= 7 else "",
            leader="",
            member_id=request.member_id,
            members=[],
        )
    fut: asyncio.Future[JoinResult] = asyncio.get_running_loop().create_future()

    def done(result: JoinResult) -> None:
        if not fut.done():
            fut.set_result(result)

    version = ctx.api_version
    if service.claim_for_classic_protocol(request.group_id):
        done(JoinResult(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, member_id=request.member_id))
    else:
        _join(ctx, service, request, done)
    r = await fut
    return _response(version, r)


def _join(ctx: RequestContext, service: GroupService, request: schema.JoinGroupRequest, done: Callable[[JoinResult], None]) -> None:
    version = ctx.api_version
    service.coordinator.join_group(
        service.now_ms(),
        request.group_id,
        request.member_id,
        request.group_instance_id if version >= 5 else None,
        ctx.header.client_id or "",
        "/" + ctx.client_host,
        request.session_timeout_ms,
        request.rebalance_timeout_ms if version >= 1 else request.session_timeout_ms,
        request.protocol_type,
        [(p.name, bytes(p.metadata)) for p in request.protocols],
        version >= 4,  # KIP-394: v4+ clients do the MEMBER_ID_REQUIRED round trip
        done,
    )
    service.after_operation()


def _response(version: int, r: JoinResult) -> schema.JoinGroupResponse:
    return schema.JoinGroupResponse(
        error_code=r.error_code,
        generation_id=r.generation_id,
        protocol_type=r.protocol_type,
        protocol_name=r.protocol_name if version >= 7 else (r.protocol_name or ""),
        leader=r.leader,
        skip_assignment=r.skip_assignment,
        member_id=r.member_id,
        members=[schema.JoinGroupResponseMember(member_id=m, group_instance_id=i, metadata=md) for m, i, md in r.members],
    )
