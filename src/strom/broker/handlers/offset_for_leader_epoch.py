"""OffsetForLeaderEpoch (23): the end offset of a leader epoch in the leader's log. A follower asks it after a
leader change to find where its log diverged; consumers ask it to detect truncation (KIP-320). Only the
leader answers, as in Kafka."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strom.broker.authorizer import authorize_cluster, denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import offset_for_leader_epoch as schema
from strom.protocol.schema.offset_for_leader_epoch import (
    EpochEndOffset,
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
    OffsetForLeaderPartition,
    OffsetForLeaderTopicResult,
)
from strom.security.acl import AclOperation

if TYPE_CHECKING:
    from strom.broker.broker import Broker


def _end_offset(broker: Broker, topic: str, p: OffsetForLeaderPartition) -> EpochEndOffset:
    code, epoch, end = broker.replica_manager.last_offset_for_leader_epoch(topic, p.partition, p.current_leader_epoch, p.leader_epoch)
    if code:
        return EpochEndOffset(error_code=code, partition=p.partition)
    return EpochEndOffset(error_code=0, partition=p.partition, leader_epoch=epoch, end_offset=end)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: OffsetForLeaderEpochRequest) -> OffsetForLeaderEpochResponse:
    if request.replica_id >= 0:  # a follower: CLUSTER_ACTION, else every topic is denied
        allowed = authorize_cluster(ctx, AclOperation.CLUSTER_ACTION)
        denied = set() if allowed else {t.topic for t in request.topics}
    else:
        denied = denied_topics(ctx, AclOperation.DESCRIBE, (t.topic for t in request.topics))
    refused = ErrorCode.TOPIC_AUTHORIZATION_FAILED
    topics = [
        OffsetForLeaderTopicResult(
            topic=t.topic,
            partitions=[
                EpochEndOffset(error_code=refused, partition=p.partition) if t.topic in denied else _end_offset(ctx.broker, t.topic, p)
                for p in t.partitions
            ],
        )
        for t in request.topics
    ]
    return OffsetForLeaderEpochResponse(topics=topics)
