"""ListGroups (16): every group this coordinator knows (classic and KIP-848), filtered by state (v4+) and type (v5+)."""

from __future__ import annotations

from strom.broker.authorizer import authorize, authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.schema import list_groups as schema
from strom.security.acl import AclOperation, ResourceType

CLASSIC = "classic"
CONSUMER = "consumer"


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.ListGroupsRequest) -> schema.ListGroupsResponse:
    service = ctx.broker.group_service
    states = set(request.states_filter) if ctx.api_version >= 4 and request.states_filter else None
    types = {t.lower() for t in request.types_filter} if ctx.api_version >= 5 and request.types_filter else None
    groups = []
    if types is None or CLASSIC in types:
        groups += [
            schema.ListedGroup(group_id=g.group_id, protocol_type=g.protocol_type or "", group_state=g.state, group_type=CLASSIC)
            for g in service.coordinator.list_groups(states)
        ]
    if types is None or CONSUMER in types:
        groups += [
            schema.ListedGroup(group_id=g.group_id, protocol_type=CONSUMER, group_state=g.state, group_type=CONSUMER)
            for g in service.consumer.list_groups(states)
        ]
    if ctx.broker.authorizer is not None and not authorize_cluster(ctx, AclOperation.DESCRIBE, log_denied=False):
        groups = [g for g in groups if authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.group_id, log_denied=False)]
    groups.sort(key=lambda g: g.group_id)
    return schema.ListGroupsResponse(error_code=0, groups=groups)
