"""OffsetForLeaderEpoch (23): the end offset of a leader epoch in the leader's log. A follower asks it after a
leader change to find where its log diverged; consumers ask it to detect truncation (KIP-320). Only the
leader answers, as in Kafka."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.schema import offset_for_leader_epoch as schema
from strom.protocol.schema.offset_for_leader_epoch import (
    EpochEndOffset,
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderPartition,
    OffsetForLeaderTopicResult,
)

if TYPE_CHECKING:
    from strom.broker.broker import Broker


def _end_offset(broker: Broker, topic: str, p: OffsetForLeaderPartition) -> EpochEndOffset:
    code, epoch, end = broker.replica_manager.last_offset_for_leader_epoch(topic, p.partition, p.current_leader_epoch, p.leader_epoch)
    if code:
        return EpochEndOffset(error_code=code, partition=p.partition)
    return EpochEndOffset(error_code=0, partition=p.partition, leader_epoch=epoch, end_offset=end)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: OffsetForLeaderEpochRequest) -> OffsetForLeaderEpochResponse:
    topics = [
        OffsetForLeaderTopicResult(topic=t.topic, partitions=[_end_offset(ctx.broker, t.topic, p) for p in t.partitions])
        for t in request.topics
    ]
    return OffsetForLeaderEpochResponse(topics=topics)
