"""AddOffsetsToTxn (25): the group's __consumer_offsets partition joins the transaction, so the offsets
a consume-transform-produce loop commits (TxnOffsetCommit) commit or abort with its output."""

from __future__ import annotations

from strom.broker.authorizer import authorize
from strom.broker.group_service import OFFSETS_TOPIC
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import fenced_code
from strom.coordination.offsets import partition_for
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import add_offsets_to_txn as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.AddOffsetsToTxnRequest) -> schema.AddOffsetsToTxnResponse:
    broker = ctx.broker
    service = broker.transaction_service
    if not authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
        return schema.AddOffsetsToTxnResponse(error_code=ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    if not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        return schema.AddOffsetsToTxnResponse(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED)
    error = service.coordinator_error(request.transactional_id)
    if error:
        return schema.AddOffsetsToTxnResponse(error_code=error)
    if not request.group_id:
        return schema.AddOffsetsToTxnResponse(error_code=ErrorCode.INVALID_GROUP_ID)
    groups = broker.group_service
    if not groups.loaded:
        return schema.AddOffsetsToTxnResponse(error_code=ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    partition = (OFFSETS_TOPIC, partition_for(request.group_id, groups.num_partitions))
    code = service.coordinator.add_partitions(
        service.now_ms(), request.transactional_id, request.producer_id, request.producer_epoch, [partition]
    )
    stored = await service.settle()
    return schema.AddOffsetsToTxnResponse(error_code=fenced_code(code or stored, ctx.api_version, 2))
