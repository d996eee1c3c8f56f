"""DescribeTransactions (65) and ListTransactions (66): what `kafka-transactions.sh describe/list` shows."""

from __future__ import annotations

from strom.broker.authorizer import authorize
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.coordination.transactions import STATE_NAMES, STATES_BY_NAME
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import describe_transactions as describe_schema
from strom.protocol.schema import list_transactions as list_schema
from strom.security.acl import AclOperation, ResourceType


@handles(describe_schema.API_KEY)
async def describe(
    ctx: RequestContext, request: describe_schema.DescribeTransactionsRequest
) -> describe_schema.DescribeTransactionsResponse:
    service = ctx.broker.transaction_service
    states = []
    for txn_id in request.transactional_ids:
        if not authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, txn_id):
            denied = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
            states.append(describe_schema.TransactionState(error_code=denied, transactional_id=txn_id, producer_id=-1, producer_epoch=-1))
            continue
        code = service.coordinator_error(txn_id)
        m = service.coordinator.describe(txn_id) if not code else None
        if m is None:
            code = code or ErrorCode.TRANSACTIONAL_ID_NOT_FOUND
            states.append(describe_schema.TransactionState(error_code=code, transactional_id=txn_id, producer_id=-1, producer_epoch=-1))
            continue
        states.append(
            describe_schema.TransactionState(
                error_code=0,
                transactional_id=txn_id,
                transaction_state=STATE_NAMES[m.state],
                transaction_timeout_ms=m.timeout_ms,
                transaction_start_time_ms=m.start_ms,
                producer_id=m.producer_id,
                producer_epoch=m.producer_epoch,
                topics=[describe_schema.TopicData(topic=t, partitions=ps) for t, ps in m.partitions_by_topic().items()],
            )
        )
    return describe_schema.DescribeTransactionsResponse(transaction_states=states)


@handles(list_schema.API_KEY)
async def list_transactions(ctx: RequestContext, request: list_schema.ListTransactionsRequest) -> list_schema.ListTransactionsResponse:
    service = ctx.broker.transaction_service
    if not service.loaded:
        return list_schema.ListTransactionsResponse(error_code=ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    unknown = [s for s in request.state_filters if s not in STATES_BY_NAME]
    states = {STATES_BY_NAME[s] for s in request.state_filters if s in STATES_BY_NAME}
    if request.state_filters and not states:
        return list_schema.ListTransactionsResponse(error_code=0, unknown_state_filters=unknown)
    duration = request.duration_filter if ctx.api_version >= 1 else -1
    found = service.coordinator.list(states or None, set(request.producer_id_filters) or None, duration, service.now_ms())
    if ctx.broker.authorizer is not None:
        found = [
            m for m in found if authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, m.transactional_id, log_denied=False)
        ]
    return list_schema.ListTransactionsResponse(
        error_code=0,
        unknown_state_filters=unknown,
        transaction_states=[
            list_schema.TransactionState(
                transactional_id=m.transactional_id, producer_id=m.producer_id, transaction_state=STATE_NAMES[m.state]
            )
            for m in sorted(found, key=lambda m: m.transactional_id)
        ],
    )
