"""LeaveGroup (13): one member (v0-2) or a batch by member or instance id (v3+, KIP-345)."""

from __future__ import annotations

from strom.broker.authorizer import authorize
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import leave_group as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.LeaveGroupRequest) -> schema.LeaveGroupResponse:
    service = ctx.broker.group_service
    if not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        return schema.LeaveGroupResponse(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED, members=[])
    if request.group_id and (code := service.coordinator_error(request.group_id)):
        return schema.LeaveGroupResponse(error_code=code, members=[])
    if ctx.api_version >= 3:
        members = [(m.member_id, m.group_instance_id) for m in request.members]
    else:
        members = [(request.member_id, None)]
    top, errors = service.coordinator.leave_group(service.now_ms(), request.group_id, members)
    service.after_operation()
    if ctx.api_version < 3:
        return schema.LeaveGroupResponse(error_code=top or errors[0])
    return schema.LeaveGroupResponse(
        error_code=top,
        members=[
            schema.MemberResponse(member_id=m, group_instance_id=i, error_code=e)
            for (m, i), e in zip(members, errors, strict=True)
            if top == ErrorCode.NONE
        ],
    )
