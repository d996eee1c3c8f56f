"""Produce (0): decodes the partitions' record batches, lets the replica manager append them (it owns the checks,
the group commit, the flush and the acks=all wait), and encodes its per-partition results. acks=0 is not answered."""

from __future__ import annotations

from functools import partial
from typing import Any

from strom.broker.handlers import handles
from strom.cluster.replica_manager import ProducePartitionResult
from strom.protocol.errors import CorruptMessage, ErrorCode
from strom.protocol.records import BATCH_HEADER_SIZE, read_batch_header
from strom.protocol.schema import produce as schema
from strom.protocol.schema.produce import PartitionProduceResponse, ProduceResponse, TopicProduceResponse
from strom.storage.segment import Buffer

LEGACY_PRODUCE_VERSION = 2  # Produce v0-v2 may carry pre-0.11 message sets (magic 0/1)


def _verify_transactional(broker: Any, txn_id: str, topic: str, index: int, records: Buffer) -> int:
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


def _partition_response(index: int, result: ProducePartitionResult) -> PartitionProduceResponse:
    return PartitionProduceResponse(
        index=index,
        error_code=result.error_code,
        base_offset=result.base_offset,
        log_append_time_ms=result.log_append_time_ms,
        log_start_offset=result.log_start_offset,
        error_message=result.error_message,
    )


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> ProduceResponse | None:
    broker = ctx.broker
    txn_id = request.transactional_id
    entries = [(topic.name, pd.index, pd.records) for topic in request.topic_data for pd in topic.partition_data]
    results = iter(
        await broker.replica_manager.append_records(
            entries,
            request.acks,
            request.timeout_ms,
            legacy_allowed=ctx.api_version <= LEGACY_PRODUCE_VERSION,
            verify=partial(_verify_transactional, broker, txn_id) if txn_id is not None else None,
        )
    )
    if request.acks == 0:
        return None
    responses = [
        TopicProduceResponse(
            name=topic.name, partition_responses=[_partition_response(pd.index, next(results)) for pd in topic.partition_data]
        )
        for topic in request.topic_data
    ]
    return ProduceResponse(responses=responses)
