"""Produce (0): decodes the partitions' record batches, lets the replica manager append them (it owns the checks,
the group commit, the flush and the acks=all wait), and encodes its per-partition results. acks=0 is not answered."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from strom.broker.authorizer import authorize, denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.cluster.replica_manager import ProducePartitionResult
from strom.protocol.errors import CorruptMessage, ErrorCode
from strom.protocol.records import BATCH_HEADER_SIZE, read_batch_header
from strom.protocol.schema import produce as schema
from strom.protocol.schema.produce import (
    BatchIndexAndErrorMessage,
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceResponse,
)
from strom.security.acl import AclOperation, ResourceType
from strom.storage.segment import Buffer

if TYPE_CHECKING:
    from strom.broker.broker import Broker

ProduceEntries = list[tuple[str, int, Buffer | None]]
LEGACY_PRODUCE_VERSION = 2  # Produce v0-v2 may carry pre-0.11 message sets (magic 0/1)


def _verify_transactional(broker: Broker, txn_id: str, topic: str, index: int, records: Buffer) -> int:
    """Kafka 3.6+'s transaction verification: a transactional batch is accepted only for a partition its
    producer added to its ongoing transaction (else a late write of an aborted or timed-out transaction
    would open a transaction no marker ever closes). When the id's coordinator is another broker
    (ZooKeeper mode) the write is accepted unchecked, as before Kafka 3.6."""
    service = broker.transaction_service
    if (
        not service.loaded
        or not broker.config["transaction.partition.verification.enable"]
        or len(records) < BATCH_HEADER_SIZE
        or not service.is_coordinator(txn_id)
    ):
        return ErrorCode.NONE
    try:
        header = read_batch_header(records)
    except CorruptMessage:
        return ErrorCode.NONE  # the append rejects it with CORRUPT_MESSAGE
    if not header.is_transactional:
        return ErrorCode.NONE
    code = service.coordinator.verify_partition(txn_id, header.producer_id, header.producer_epoch, (topic, index))
    return int(code)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: ProduceRequest) -> ProduceResponse | None:
    broker = ctx.broker
    txn_id = request.transactional_id
    if broker.authorizer is not None:
        return await _authorized_produce(ctx, request)
    entries: ProduceEntries = []
    for topic in request.topic_data:
        for pd in topic.partition_data:
            # A decoded request carries its records as bytes (a FileRegion only ever goes out in a response).
            entries.append((topic.name, pd.index, cast("Buffer | None", pd.records)))
    results = await broker.replica_manager.append_records(
        entries,
        request.acks,
        request.timeout_ms,
        legacy_allowed=ctx.api_version <= LEGACY_PRODUCE_VERSION,
        verify=partial(_verify_transactional, broker, txn_id) if txn_id is not None else None,
    )
    if request.acks == 0:
        return None
    return ProduceResponse(responses=_responses(request, results))


async def _authorized_produce(ctx: RequestContext, request: ProduceRequest) -> ProduceResponse | None:
    """Produce under an authorizer (KafkaApis.handleProduceRequest): a transactional request needs WRITE on
    its transactional id (else every partition fails), each topic needs WRITE; the denied partitions are
    answered without being appended."""
    txn_id = request.transactional_id
    if txn_id is not None and not authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txn_id):
        results = [
            ProducePartitionResult(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) for t in request.topic_data for _ in t.partition_data
        ]
        return None if request.acks == 0 else ProduceResponse(responses=_responses(request, results))
    denied = denied_topics(ctx, AclOperation.WRITE, (t.name for t in request.topic_data))
    entries: ProduceEntries = [
        (t.name, pd.index, cast("Buffer | None", pd.records)) for t in request.topic_data if t.name not in denied for pd in t.partition_data
    ]
    appended = iter(
        await ctx.broker.replica_manager.append_records(
            entries,
            request.acks,
            request.timeout_ms,
            legacy_allowed=ctx.api_version <= LEGACY_PRODUCE_VERSION,
            verify=partial(_verify_transactional, ctx.broker, txn_id) if txn_id is not None else None,
        )
    )
    if request.acks == 0:
        return None
    denial = ProducePartitionResult(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    results = [denial if t.name in denied else next(appended) for t in request.topic_data for _ in t.partition_data]
    return ProduceResponse(responses=_responses(request, results))


def _responses(request: ProduceRequest, results: list[ProducePartitionResult]) -> list[TopicProduceResponse]:
    """The results, in the request's topic -> partition shape (loops, not comprehensions: this runs per request)."""
    responses = []
    slot = 0
    for topic in request.topic_data:
        parts = []
        for pd in topic.partition_data:
            code, base_offset, log_append_time, log_start_offset, message, record_errors = results[slot]
            slot += 1
            parts.append(
                PartitionProduceResponse(
                    index=pd.index,
                    error_code=code,
                    base_offset=base_offset,
                    log_append_time_ms=log_append_time,
                    log_start_offset=log_start_offset,
                    error_message=message,
                    record_errors=_record_errors(record_errors) if record_errors else [],
                )
            )
        responses.append(TopicProduceResponse(name=topic.name, partition_responses=parts))
    return responses


def _record_errors(record_errors: tuple[tuple[int, str | None], ...]) -> list[BatchIndexAndErrorMessage]:
    """KIP-467: the records a rejected batch failed for, by their index in the batch."""
    return [BatchIndexAndErrorMessage(batch_index=i, batch_index_error_message=m) for i, m in record_errors]
