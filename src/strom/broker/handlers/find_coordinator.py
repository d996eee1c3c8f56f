"""FindCoordinator (10): this broker coordinates every group (single broker); v4+ answers batched keys."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.broker.handlers.metadata import advertised_endpoint
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import find_coordinator as schema

GROUP_KEY, TXN_KEY = 0, 1


def _answer(ctx: Any, key_type: int) -> tuple[int, str | None, int, str, int]:
    """(error, message, node id, host, port) for one key."""
    if key_type not in (GROUP_KEY, TXN_KEY):
        return ErrorCode.INVALID_REQUEST, f"Unknown coordinator type {key_type}", -1, "", -1
    if key_type == TXN_KEY:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, "transactions are not supported yet", -1, "", -1
    if "group" not in ctx.broker.services:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE, "the group coordinator is loading", -1, "", -1
    host, port = advertised_endpoint(ctx)
    return ErrorCode.NONE, None, ctx.broker.broker_id, host, port


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> Any:
    key_type = request.key_type if ctx.api_version >= 1 else GROUP_KEY
    if ctx.api_version >= 4:
        code, message, node, host, port = _answer(ctx, key_type)
        return schema.FindCoordinatorResponse(
            coordinators=[
                schema.Coordinator(key=key, node_id=node, host=host, port=port, error_code=code, error_message=message)
                for key in request.coordinator_keys
            ]
        )
    code, message, node, host, port = _answer(ctx, key_type)
    return schema.FindCoordinatorResponse(error_code=code, error_message=message, node_id=node, host=host, port=port)
