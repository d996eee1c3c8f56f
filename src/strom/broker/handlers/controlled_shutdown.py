"""ControlledShutdown (7): a stopping broker asks the controller to move its leaderships first."""

from __future__ import annotations

from functools import partial

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import controlled_shutdown as schema
from strom.protocol.schema.controlled_shutdown import ControlledShutdownRequest, ControlledShutdownResponse, RemainingPartition
from strom.security.acl import AclOperation


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: ControlledShutdownRequest) -> ControlledShutdownResponse:
    if not authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):
        return ControlledShutdownResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    controller = ctx.broker.cluster.controller if ctx.broker.cluster is not None else None
    if controller is None or not controller.active:
        return ControlledShutdownResponse(error_code=ErrorCode.NOT_CONTROLLER)
    broker_epoch = request.broker_epoch if ctx.api_version >= 2 else -1
    try:
        code, remaining = await controller.submit(partial(controller.controlled_shutdown, request.broker_id, broker_epoch))
    except Exception:
        return ControlledShutdownResponse(error_code=ErrorCode.NOT_CONTROLLER)
    return ControlledShutdownResponse(
        error_code=code,
        remaining_partitions=[RemainingPartition(topic_name=t, partition_index=p) for t, p in remaining],
    )
