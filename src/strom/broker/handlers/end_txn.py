"""EndTxn (26): commit or abort. The Prepare* state is stored, markers go to every partition of the
transaction, then Complete* is stored; a retry of the same decision succeeds, the other one does not."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.broker.handlers.txn_context import coordinator_error, fenced_code, txn_service
from strom.protocol.schema import end_txn as schema


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> Any:
    broker = ctx.broker
    service = txn_service(broker)
    error = coordinator_error(broker, service, request.transactional_id)
    if error or service is None:
        return schema.EndTxnResponse(error_code=error)
    code = service.coordinator.end_txn(
        service.now_ms(), request.transactional_id, request.producer_id, request.producer_epoch, request.committed
    )
    stored = await service.settle()
    return schema.EndTxnResponse(error_code=fenced_code(code or stored, ctx.api_version, 2))
