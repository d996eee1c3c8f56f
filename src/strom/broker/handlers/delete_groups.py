"""DeleteGroups (42): Empty groups only (NON_EMPTY_GROUP otherwise); offsets and metadata get tombstones."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.protocol.schema import delete_groups as schema


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> Any:
    service = ctx.broker.group_service
    results = [schema.DeletableGroupResult(group_id=gid, error_code=service.delete_group(gid)) for gid in request.groups_names]
    return schema.DeleteGroupsResponse(results=results)
