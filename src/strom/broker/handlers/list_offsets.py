"""ListOffsets (2): earliest (-2), latest (-1), max timestamp (-3), or the first offset at a time; the replica
manager looks them up on the partition's leader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strom.broker.authorizer import denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import list_offsets as schema
from strom.protocol.schema.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsPartitionResponse,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)
from strom.security.acl import AclOperation

if TYPE_CHECKING:
    from strom.broker.broker import Broker

READ_COMMITTED = 1


def _list_offset(
    broker: Broker, topic: str, p: ListOffsetsPartition, read_committed: bool, from_replica: bool
) -> ListOffsetsPartitionResponse:
    manager = broker.replica_manager
    part = manager.leader_partition(topic, p.partition_index, p.current_leader_epoch)
    if isinstance(part, int):
        return ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=part)
    found = manager.fetch_offset_for_timestamp(part, p.timestamp, read_committed, from_replica)
    if found is None:
        return ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=ErrorCode.INVALID_REQUEST)
    ts, offset = found
    return ListOffsetsPartitionResponse(
        partition_index=p.partition_index,
        error_code=0,
        old_style_offsets=[offset] if offset >= 0 else [],
        timestamp=ts,
        offset=offset,
        leader_epoch=part.leader_epoch if offset >= 0 else -1,
    )


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: ListOffsetsRequest) -> ListOffsetsResponse:
    read_committed = ctx.api_version >= 2 and request.isolation_level == READ_COMMITTED
    from_replica = request.replica_id >= 0
    denied = denied_topics(ctx, AclOperation.DESCRIBE, (t.name for t in request.topics))
    topics = [
        ListOffsetsTopicResponse(
            name=t.name,
            partitions=[
                ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED)
                if t.name in denied
                else _list_offset(ctx.broker, t.name, p, read_committed, from_replica)
                for p in t.partitions
            ],
        )
        for t in request.topics
    ]
    return ListOffsetsResponse(topics=topics)
