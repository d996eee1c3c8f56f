"""InitProducerId (22): producer ids for idempotent producers, and for transactional ones through the
transaction coordinator (epoch bumps fence older producers of the same transactional id)."""

from __future__ import annotations

from strom.broker.authorizer import authorize, authorize_any_topic_write
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import fenced_code
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import init_producer_id as schema
from strom.protocol.schema.init_producer_id import InitProducerIdResponse
from strom.security.acl import AclOperation, ResourceType


async def _transactional(ctx: RequestContext, request: schema.InitProducerIdRequest) -> InitProducerIdResponse:
    broker = ctx.broker
    service = broker.transaction_service
    if not request.transactional_id:
        return InitProducerIdResponse(error_code=ErrorCode.INVALID_REQUEST, producer_id=-1, producer_epoch=-1)
    error = service.coordinator_error(request.transactional_id)
    if error:
        return InitProducerIdResponse(error_code=error, producer_id=-1, producer_epoch=-1)
    service.ensure_topic()
    fresh: list[int] = []
    if service.coordinator.describe(request.transactional_id) is None or request.producer_id >= 0:
        fresh.append(await broker.admin(broker.metadata.allocate_producer_id))  # used only if a new id is due

    def new_producer_id() -> int:
        return fresh.pop() if fresh else broker.metadata.allocate_producer_id()

    code, pid, epoch = service.coordinator.init_producer_id(
        service.now_ms(),
        request.transactional_id,
        request.transaction_timeout_ms,
        request.producer_id,
        request.producer_epoch,
        new_producer_id,
    )
    stored = await service.settle()
    if code == ErrorCode.NONE and stored:
        code, pid, epoch = stored, -1, -1
    return InitProducerIdResponse(error_code=fenced_code(code, ctx.api_version, 4), producer_id=pid, producer_epoch=epoch)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.InitProducerIdRequest) -> InitProducerIdResponse:
    if request.transactional_id is not None:
        if not authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
            return InitProducerIdResponse(error_code=ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producer_id=-1, producer_epoch=-1)
        return await _transactional(ctx, request)
    if not authorize_any_topic_write(ctx):
        return InitProducerIdResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producer_id=-1, producer_epoch=-1)
    if request.producer_id >= 0:
        # KIP-360: an idempotent producer may bump its own epoch after an error
        epoch = request.producer_epoch + 1
        if epoch > 32767:
            return InitProducerIdResponse(
                error_code=0, producer_id=await ctx.broker.admin(ctx.broker.metadata.allocate_producer_id), producer_epoch=0
            )
        return InitProducerIdResponse(error_code=0, producer_id=request.producer_id, producer_epoch=epoch)
    return InitProducerIdResponse(
        error_code=0, producer_id=await ctx.broker.admin(ctx.broker.metadata.allocate_producer_id), producer_epoch=0
    )
