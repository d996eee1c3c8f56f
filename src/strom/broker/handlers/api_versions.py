"""ApiVersions (18): exactly the APIs this broker has handlers for, with Kafka's full version ranges."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.protocol.schema import api_versions as schema
from strom.protocol.schema.api_versions import ApiVersionsResponse


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> ApiVersionsResponse:
    return ApiVersionsResponse(error_code=0, api_keys=ctx.broker.api_version_list())
