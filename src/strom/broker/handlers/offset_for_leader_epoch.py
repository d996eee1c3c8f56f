"""OffsetForLeaderEpoch (23): the end offset of a leader epoch in the leader's log. A follower asks it after a
leader change to find where its log diverged; consumers ask it to detect truncation (KIP-320). Only the
leader answers, as in Kafka."""

from __future__ import annotations

from typing import Any

from strom.broker.handlers import handles
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import offset_for_leader_epoch as schema
from strom.protocol.schema.offset_for_leader_epoch import (
    EpochEndOffset,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderTopicResult,
)


def _end_offset(broker: Any, topic: str, p: Any) -> EpochEndOffset:
    part = broker.partitions.get((topic, p.partition))
    if part is None:
        return EpochEndOffset(error_code=broker.replica_manager.missing_partition_error(topic, p.partition), partition=p.partition)
    if p.current_leader_epoch >= 0 and p.current_leader_epoch != part.leader_epoch:
        code = ErrorCode.FENCED_LEADER_EPOCH if p.current_leader_epoch < part.leader_epoch else ErrorCode.UNKNOWN_LEADER_EPOCH
        return EpochEndOffset(error_code=code, partition=p.partition)
    if not part.is_leader:
        return EpochEndOffset(error_code=ErrorCode.NOT_LEADER_OR_FOLLOWER, partition=p.partition)
    epoch, end = part.log.leader_epoch_cache.end_offset_for(p.leader_epoch, part.log.log_end_offset)
    return EpochEndOffset(error_code=0, partition=p.partition, leader_epoch=epoch, end_offset=end)


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> OffsetForLeaderEpochResponse:
    topics = [
        OffsetForLeaderTopicResult(topic=t.topic, partitions=[_end_offset(ctx.broker, t.topic, p) for p in t.partitions])
        for t in request.topics
    ]
    return OffsetForLeaderEpochResponse(topics=topics)
