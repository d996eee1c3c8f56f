"""ApiVersions (18): exactly the APIs this broker has handlers for, with Kafka's full version ranges."""

from __future__ import annotations

from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.schema import api_versions as schema
from strom.protocol.schema.api_versions import ApiVersionsRequest, ApiVersionsResponse


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: ApiVersionsRequest) -> ApiVersionsResponse:
    return ApiVersionsResponse(error_code=0, api_keys=ctx.broker.api_version_list())
