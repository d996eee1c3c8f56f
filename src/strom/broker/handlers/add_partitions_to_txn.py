"""AddPartitionsToTxn (24): a producer names the partitions it is about to write in its transaction.

v0-3 carry one transaction (the producer's own call); v4+ carry a batch of transactions, and with
verify_only a partition leader asks whether a partition is already part of one (Kafka 3.6+'s check).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from strom.broker.authorizer import authorize, authorize_cluster, denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import fenced_code
from strom.cluster.metadata import MetadataStore
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import add_partitions_to_txn as schema
from strom.protocol.types import TP
from strom.security.acl import AclOperation, ResourceType


class _Topic(Protocol):
    """A topic of either request shape (v0-3 and v4+ name their structs differently)."""

    @property
    def name(self) -> str: ...

    @property
    def partitions(self) -> list[int]: ...


def _results(topics: Sequence[_Topic], codes: dict[TP, int]) -> list[schema.AddPartitionsToTxnTopicResult]:
    return [
        schema.AddPartitionsToTxnTopicResult(
            name=t.name,
            results_by_partition=[
                schema.AddPartitionsToTxnPartitionResult(partition_index=p, partition_error_code=codes[(t.name, p)]) for p in t.partitions
            ],
        )
        for t in topics
    ]


def _results_v3(topics: Sequence[_Topic], codes: dict[TP, int]) -> list[schema.AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult]:
    return [
        schema.AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult(
            name=t.name,
            results_by_partition=[
                schema.AddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult(
                    partition_index=p, partition_error_code=codes[(t.name, p)]
                )
                for p in t.partitions
            ],
        )
        for t in topics
    ]


async def _one(
    ctx: RequestContext, txn_id: str, producer_id: int, epoch: int, topics: Sequence[_Topic], verify_only: bool
) -> dict[TP, int]:
    broker = ctx.broker
    service = broker.transaction_service
    wanted = [(t.name, p) for t in topics for p in t.partitions]
    if not authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txn_id):
        return dict.fromkeys(wanted, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    denied = denied_topics(ctx, AclOperation.WRITE, (t.name for t in topics))
    if denied:  # Kafka: the denied ones fail, the rest are not attempted
        return {tp: ErrorCode.TOPIC_AUTHORIZATION_FAILED if tp[0] in denied else ErrorCode.OPERATION_NOT_ATTEMPTED for tp in wanted}
    error = service.coordinator_error(txn_id)
    if error:
        return dict.fromkeys(wanted, error)
    unknown = {tp for tp in wanted if tp not in broker.replica_manager.partitions and not _exists(broker.metadata, tp)}
    if unknown:  # Kafka: the unknown ones fail, the rest are not attempted
        return {tp: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION if tp in unknown else ErrorCode.OPERATION_NOT_ATTEMPTED for tp in wanted}
    if verify_only:
        return {tp: service.coordinator.verify_partition(txn_id, producer_id, epoch, tp) for tp in wanted}
    code = service.coordinator.add_partitions(service.now_ms(), txn_id, producer_id, epoch, wanted)
    stored = await service.settle()
    code = fenced_code(code or stored, ctx.api_version, 2)
    return dict.fromkeys(wanted, code)


def _exists(metadata: MetadataStore, tp: TP) -> bool:
    topic = metadata.topics.get(tp[0])
    return topic is not None and tp[1] in topic.partitions


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.AddPartitionsToTxnRequest) -> schema.AddPartitionsToTxnResponse:
    if ctx.api_version <= 3:
        topics = request.v3_and_below_topics
        codes = await _one(
            ctx, request.v3_and_below_transactional_id, request.v3_and_below_producer_id, request.v3_and_below_producer_epoch, topics, False
        )
        return schema.AddPartitionsToTxnResponse(results_by_topic_v3_and_below=_results_v3(topics, codes))
    if not authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):  # v4+ batches come from brokers
        return schema.AddPartitionsToTxnResponse(error_code=ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    results = []
    for txn in request.transactions:
        codes = await _one(ctx, txn.transactional_id, txn.producer_id, txn.producer_epoch, txn.topics, txn.verify_only)
        results.append(schema.AddPartitionsToTxnResult(transactional_id=txn.transactional_id, topic_results=_results(txn.topics, codes)))
    return schema.AddPartitionsToTxnResponse(error_code=0, results_by_transaction=results)
