"""DescribeGroups (15): state, protocol and members; metadata and assignments only when Stable, as Kafka."""

from __future__ import annotations

from dataclasses import replace

from strom.broker.authorizer import authorize, authorized_operations
from strom.broker.group_service import GroupService
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.coordination.group import DEAD, STABLE
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import describe_groups as schema
from strom.security.acl import AclOperation, ResourceType

# READ | DELETE | DESCRIBE: what a group allows when no authorizer is configured
GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)
NOT_REQUESTED = -(2**31)


def describe(service: GroupService, group_id: str, include_ops: bool) -> schema.DescribedGroup:
    ops = GROUP_OPERATIONS if include_ops else NOT_REQUESTED
    if not group_id:
        return schema.DescribedGroup(error_code=ErrorCode.INVALID_GROUP_ID, group_id=group_id, group_state="",
                                     protocol_type="", protocol_data="", authorized_operations=ops)  # fmt: skip
    if code := service.coordinator_error(group_id):
        return schema.DescribedGroup(error_code=code, group_id=group_id, group_state="",
                                     protocol_type="", protocol_data="", authorized_operations=ops)  # fmt: skip
    g = service.coordinator.group(group_id)
    if g is None:
        return schema.DescribedGroup(
            error_code=0, group_id=group_id, group_state=DEAD, protocol_type="", protocol_data="", authorized_operations=ops
        )
    stable = g.state == STABLE
    members = [
        schema.DescribedGroupMember(
            member_id=m.member_id,
            group_instance_id=m.group_instance_id,
            client_id=m.client_id,
            client_host=m.client_host,
            member_metadata=m.metadata_for(g.protocol_name or "") if stable else b"",
            member_assignment=m.assignment if stable else b"",
        )
        for m in g.members.values()
    ]
    return schema.DescribedGroup(
        error_code=0,
        group_id=group_id,
        group_state=g.state,
        protocol_type=g.protocol_type or "",
        protocol_data=(g.protocol_name or "") if stable else "",
        members=members,
        authorized_operations=ops,
    )


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.DescribeGroupsRequest) -> schema.DescribeGroupsResponse:
    service = ctx.broker.group_service
    include_ops = ctx.api_version >= 3 and request.include_authorized_operations
    return schema.DescribeGroupsResponse(
        groups=[_authorized(ctx, describe(service, gid, include_ops), include_ops) for gid in request.groups]
    )


def _authorized(ctx: RequestContext, group: schema.DescribedGroup, include_ops: bool) -> schema.DescribedGroup:
    """A group the principal may not describe is GROUP_AUTHORIZATION_FAILED; the operations are the ACLs'."""
    if ctx.broker.authorizer is None:
        return group
    if not authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, group.group_id):
        return schema.DescribedGroup(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED, group_id=group.group_id, group_state="",
                                     protocol_type="", protocol_data="", authorized_operations=NOT_REQUESTED)  # fmt: skip
    if include_ops:
        return replace(group, authorized_operations=authorized_operations(ctx, ResourceType.GROUP, group.group_id))
    return group
