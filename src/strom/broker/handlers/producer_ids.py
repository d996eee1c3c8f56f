"""InitProducerId (22): producer ids for idempotent producers, allocated and persisted by the broker.

Transactional ids are not supported yet: such requests get TRANSACTIONAL_ID_AUTHORIZATION_FAILED
instead of a producer id that would pretend to be transactional.
"""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.protocol.errors import ErrorCode
from strom.protocol.schema.init_producer_id import InitProducerIdResponse


@handles(22)
async def handle(ctx: Any, request: Any) -> InitProducerIdResponse:
    if request.transactional_id is not None:
        return InitProducerIdResponse(error_code=ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producer_id=-1, producer_epoch=-1)
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
