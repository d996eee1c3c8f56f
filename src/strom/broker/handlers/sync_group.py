"""SyncGroup (14): followers wait for the leader's assignments; everyone gets their own."""

from __future__ import annotations

import asyncio

from strom.broker.authorizer import authorize
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.coordination.group import SyncResult
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import sync_group as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.SyncGroupRequest) -> schema.SyncGroupResponse:
    service = ctx.broker.group_service
    if not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        return schema.SyncGroupResponse(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED, assignment=b"")
    if request.group_id and (code := service.coordinator_error(request.group_id)):
        return schema.SyncGroupResponse(error_code=code, assignment=b"")
    fut: asyncio.Future[SyncResult] = asyncio.get_running_loop().create_future()

    def done(result: SyncResult) -> None:
        if not fut.done():
            fut.set_result(result)

    version = ctx.api_version
    service.coordinator.sync_group(
        service.now_ms(),
        request.group_id,
        request.generation_id,
        request.member_id,
        request.group_instance_id if version >= 3 else None,
        request.protocol_type if version >= 5 else None,
        request.protocol_name if version >= 5 else None,
        {a.member_id: bytes(a.assignment) for a in request.assignments},
        done,
    )
    service.after_operation()
    r = await fut
    return schema.SyncGroupResponse(
        error_code=r.error_code, protocol_type=r.protocol_type, protocol_name=r.protocol_name, assignment=r.assignment
    )
