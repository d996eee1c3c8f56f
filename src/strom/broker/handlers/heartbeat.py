"""Heartbeat (12): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin."""

from __future__ import annotations

from strom.broker.authorizer import authorize
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import heartbeat as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.HeartbeatRequest) -> schema.HeartbeatResponse:
    service = ctx.broker.group_service
    if not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        return schema.HeartbeatResponse(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED)
    if request.group_id and (code := service.coordinator_error(request.group_id)):
        return schema.HeartbeatResponse(error_code=code)
    instance = request.group_instance_id if ctx.api_version >= 3 else None
    code = service.coordinator.heartbeat(service.now_ms(), request.group_id, request.generation_id, request.member_id, instance)
    service.after_operation()
    return schema.HeartbeatResponse(error_code=code)
