"""DeleteGroups (42): Empty groups only (NON_EMPTY_GROUP otherwise); offsets and metadata get tombstones."""

from __future__ import annotations

from strom.broker.authorizer import authorize
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import delete_groups as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.DeleteGroupsRequest) -> schema.DeleteGroupsResponse:
    service = ctx.broker.group_service
    results = [
        schema.DeletableGroupResult(
            group_id=gid,
            error_code=service.delete_group(gid)
            if authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, gid)
            else ErrorCode.GROUP_AUTHORIZATION_FAILED,
        )
        for gid in request.groups_names
    ]
    return schema.DeleteGroupsResponse(results=results)
