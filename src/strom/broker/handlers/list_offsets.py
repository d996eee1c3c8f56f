"""ListOffsets (2): earliest (-2), latest (-1), max timestamp (-3), or the first offset at a time."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import list_offsets as schema
from strom.protocol.schema.list_offsets import (
    ListOffsetsPartitionResponse,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)

LATEST, EARLIEST, MAX_TIMESTAMP = -1, -2, -3
READ_COMMITTED = 1


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> ListOffsetsResponse:
    broker = ctx.broker
    isolation = request.isolation_level if ctx.api_version >= 2 else 0
    topics = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            part = broker.partitions.get((t.name, p.partition_index))
            if part is None or not part.is_leader:
                code = (
                    broker.replica_manager.missing_partition_error(t.name, p.partition_index)
                    if part is None
                    else ErrorCode.NOT_LEADER_OR_FOLLOWER
                )
                parts.append(ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=code))
                continue
            if p.current_leader_epoch >= 0 and p.current_leader_epoch != part.leader_epoch:
                code = ErrorCode.FENCED_LEADER_EPOCH if p.current_leader_epoch < part.leader_epoch else ErrorCode.UNKNOWN_LEADER_EPOCH
                parts.append(ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=code))
                continue
            plog = part.log
            ts, offset = -1, -1
            # read_committed consumers see up to the last stable offset, others up to the high watermark
            visible = plog.last_stable_offset if isolation == READ_COMMITTED else plog.high_watermark
            if p.timestamp == LATEST:
                offset = visible if request.replica_id < 0 else plog.log_end_offset
            elif p.timestamp == EARLIEST:
                offset = plog.log_start_offset
            elif p.timestamp == MAX_TIMESTAMP:
                ts, offset = plog.max_timestamp_and_offset()
            elif p.timestamp < 0:
                parts.append(ListOffsetsPartitionResponse(partition_index=p.partition_index, error_code=ErrorCode.INVALID_REQUEST))
                continue
            else:
                found = plog.offset_for_timestamp(p.timestamp)
                if found is not None and found[0] < visible:
                    offset, ts = found
            parts.append(
                ListOffsetsPartitionResponse(
                    partition_index=p.partition_index,
                    error_code=0,
                    old_style_offsets=[offset] if offset >= 0 else [],
                    timestamp=ts,
                    offset=offset,
                    leader_epoch=part.leader_epoch if offset >= 0 else -1,
                )
            )
        topics.append(ListOffsetsTopicResponse(name=t.name, partitions=parts))
    return ListOffsetsResponse(topics=topics)
