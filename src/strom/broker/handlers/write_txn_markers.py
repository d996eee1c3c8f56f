"""WriteTxnMarkers (27): a transaction coordinator asks this broker to append COMMIT/ABORT markers to
partitions it leads (inter-broker; the local coordinator appends its own markers directly)."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.protocol.schema import write_txn_markers as schema


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> Any:
    from strom.broker.transaction_service import TransactionService

    broker = ctx.broker
    service = broker.services.get("txn") or TransactionService(broker)  # ZooKeeper mode: partition side only
    results = []
    for marker in request.markers:
        topics = []
        for t in marker.topics:
            parts = []
            for index in t.partition_indexes:
                code = service.write_marker(
                    t.name, index, marker.producer_id, marker.producer_epoch, marker.transaction_result, marker.coordinator_epoch
                )
                parts.append(schema.WritableTxnMarkerPartitionResult(partition_index=index, error_code=code))
            topics.append(schema.WritableTxnMarkerTopicResult(name=t.name, partitions=parts))
        results.append(schema.WritableTxnMarkerResult(producer_id=marker.producer_id, topics=topics))
    return schema.WriteTxnMarkersResponse(markers=results)
