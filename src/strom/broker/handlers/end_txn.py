"""EndTxn (26): commit or abort. The Prepare* state is stored, markers go to every partition of the
transaction, then Complete* is stored; a retry of the same decision succeeds, the other one does not."""

from __future__ import annotations

from strom.broker.authorizer import authorize
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import fenced_code
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import end_txn as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.EndTxnRequest) -> schema.EndTxnResponse:
    broker = ctx.broker
    service = broker.transaction_service
    if not authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
        return schema.EndTxnResponse(error_code=ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    error = service.coordinator_error(request.transactional_id)
    if error:
        return schema.EndTxnResponse(error_code=error)
    code = service.coordinator.end_txn(
        service.now_ms(), request.transactional_id, request.producer_id, request.producer_epoch, request.committed
    )
    stored = await service.settle()
    return schema.EndTxnResponse(error_code=fenced_code(code or stored, ctx.api_version, 2))
