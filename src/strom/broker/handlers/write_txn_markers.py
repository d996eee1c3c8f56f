"""WriteTxnMarkers (27): a transaction coordinator asks this broker to append COMMIT/ABORT markers to
partitions it leads (inter-broker; the local coordinator appends its own markers directly)."""

from __future__ import annotations

from strom.broker.authorizer import authorize_cluster
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.cluster.partition_state import Partition
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import write_txn_markers as schema
from strom.protocol.types import TP
from strom.security.acl import AclOperation


def _denied(request: schema.WriteTxnMarkersRequest) -> schema.WriteTxnMarkersResponse:
    """Every partition CLUSTER_AUTHORIZATION_FAILED: markers come from a transaction coordinator (a broker)."""
    denied = ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    return schema.WriteTxnMarkersResponse(
        markers=[
            schema.WritableTxnMarkerResult(
                producer_id=m.producer_id,
                topics=[
                    schema.WritableTxnMarkerTopicResult(
                        name=t.name,
                        partitions=[
                            schema.WritableTxnMarkerPartitionResult(partition_index=i, error_code=denied) for i in t.partition_indexes
                        ],
                    )
                    for t in m.topics
                ],
            )
            for m in request.markers
        ]
    )


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.WriteTxnMarkersRequest) -> schema.WriteTxnMarkersResponse:
    broker = ctx.broker
    service = broker.transaction_service  # the partition side: also before (or without) the coordinator's load
    if not authorize_cluster(ctx, AclOperation.CLUSTER_ACTION):
        return _denied(request)
    results = []
    appended: dict[TP, tuple[Partition, int]] = {}
    for marker in request.markers:
        topics = []
        for t in marker.topics:
            parts = []
            for index in t.partition_indexes:
                code = service.write_marker(
                    t.name, index, marker.producer_id, marker.producer_epoch, marker.transaction_result, marker.coordinator_epoch
                )
                if code == 0:
                    part = broker.replica_manager.partitions[(t.name, index)]
                    appended[(t.name, index)] = (part, part.log.log_end_offset)
                parts.append(schema.WritableTxnMarkerPartitionResult(partition_index=index, error_code=code))
            topics.append(schema.WritableTxnMarkerTopicResult(name=t.name, partitions=parts))
        results.append(schema.WritableTxnMarkerResult(producer_id=marker.producer_id, topics=topics))
    waiting = [(part, end) for part, end in appended.values() if part.log.high_watermark < end]
    if waiting:  # Kafka appends markers with acks=all: the coordinator completes only replicated markers
        codes = await broker.replica_manager.wait_for_acks(waiting, 10.0)
        failed = {(p.topic, p.index): c for (p, _), c in zip(waiting, codes, strict=True) if c}
        if failed:
            results = [
                schema.WritableTxnMarkerResult(
                    producer_id=m.producer_id,
                    topics=[
                        schema.WritableTxnMarkerTopicResult(
                            name=t.name,
                            partitions=[
                                schema.WritableTxnMarkerPartitionResult(
                                    partition_index=p.partition_index, error_code=p.error_code or failed.get((t.name, p.partition_index), 0)
                                )
                                for p in t.partitions
                            ],
                        )
                        for t in m.topics
                    ],
                )
                for m in results
            ]
    return schema.WriteTxnMarkersResponse(markers=results)
