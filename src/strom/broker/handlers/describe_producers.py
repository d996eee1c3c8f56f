"""DescribeProducers (61): the producer state of partitions led here -- each producer's epoch, last
sequence and timestamp, and the first offset of its open transaction (`kafka-transactions.sh
describe-producers`, and how an operator finds a hanging transaction)."""

from __future__ import annotations

from strom.broker.authorizer import denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import describe_producers as schema
from strom.security.acl import AclOperation


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.DescribeProducersRequest) -> schema.DescribeProducersResponse:
    broker = ctx.broker
    topics = []
    denied = denied_topics(ctx, AclOperation.READ, (t.name for t in request.topics))
    for t in request.topics:
        parts = []
        for index in t.partition_indexes:
            if t.name in denied:
                parts.append(schema.PartitionResponse(partition_index=index, error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED))
                continue
            part = broker.replica_manager.partition(t.name, index)
            if part is None or not part.is_leader:
                code = broker.replica_manager.missing_partition_error(t.name, index) if part is None else ErrorCode.NOT_LEADER_OR_FOLLOWER
                parts.append(schema.PartitionResponse(partition_index=index, error_code=code))
                continue
            state = part.log.producer_state
            open_txns = state.open_txns.first_offsets
            producers = [
                schema.ProducerState(
                    producer_id=pid,
                    producer_epoch=entry.epoch,
                    last_sequence=entry.last_seq,
                    last_timestamp=entry.last_timestamp,
                    coordinator_epoch=entry.coordinator_epoch,
                    current_txn_start_offset=open_txns.get(pid, -1),
                )
                for pid, entry in sorted(state.producers.items())
            ]
            parts.append(schema.PartitionResponse(partition_index=index, error_code=0, active_producers=producers))
        topics.append(schema.TopicResponse(name=t.name, partitions=parts))
    return schema.DescribeProducersResponse(topics=topics)
