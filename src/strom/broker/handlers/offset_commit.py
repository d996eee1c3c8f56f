"""OffsetCommit (8): validated by the coordinator, appended to __consumer_offsets, acked once stored."""

from __future__ import annotations

from strom.broker.authorizer import authorize, denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.coordination.offsets import CommittedOffset
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import offset_commit as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.OffsetCommitRequest) -> schema.OffsetCommitResponse:
    service = ctx.broker.group_service
    broker = ctx.broker
    version = ctx.api_version
    now = service.now_ms()
    generation = request.generation_id_or_member_epoch if version >= 1 else -1
    member_id = request.member_id if version >= 1 else ""
    instance = request.group_instance_id if version >= 7 else None
    if not request.group_id:
        group_error: int = ErrorCode.INVALID_GROUP_ID
    elif service.consumer_group(request.group_id) is not None:
        group_error = service.consumer.validate_offset_commit(request.group_id, member_id, generation, version)
    else:
        group_error = service.coordinator.validate_offset_commit(now, request.group_id, generation, member_id, instance)
    if request.group_id and (not_here := service.coordinator_error(request.group_id)):
        group_error = not_here
    if not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        group_error = ErrorCode.GROUP_AUTHORIZATION_FAILED
    denied = denied_topics(ctx, AclOperation.READ, (t.name for t in request.topics))
    retention = request.retention_time_ms if 2 <= version <= 4 else -1
    max_metadata = int(broker.config["offset.metadata.max.bytes"])
    topics = []
    entries: list[tuple[str, int, CommittedOffset]] = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            metadata = p.committed_metadata or ""
            code: int
            known = broker.metadata.topics.get(t.name)
            if group_error in (ErrorCode.INVALID_GROUP_ID, ErrorCode.GROUP_AUTHORIZATION_FAILED):
                code = group_error
            elif t.name in denied:
                code = ErrorCode.TOPIC_AUTHORIZATION_FAILED
            elif known is None or p.partition_index not in known.partitions:
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            elif group_error:
                code = group_error
            elif len(metadata.encode()) > max_metadata:
                code = ErrorCode.OFFSET_METADATA_TOO_LARGE
            else:
                code = ErrorCode.NONE
                ts = p.commit_timestamp if version == 1 and p.commit_timestamp >= 0 else now
                expire = ts + retention if retention >= 0 else -1
                epoch = p.committed_leader_epoch if version >= 6 else -1
                entries.append((t.name, p.partition_index, CommittedOffset(p.committed_offset, epoch, metadata, ts, expire)))
            parts.append(schema.OffsetCommitResponsePartition(partition_index=p.partition_index, error_code=code))
        topics.append(schema.OffsetCommitResponseTopic(name=t.name, partitions=parts))
    if entries:
        failed = await service.commit(request.group_id, entries)
        if failed:
            for topic in topics:
                for i, part in enumerate(topic.partitions):
                    if part.error_code == ErrorCode.NONE:
                        topic.partitions[i] = schema.OffsetCommitResponsePartition(partition_index=part.partition_index, error_code=failed)
    return schema.OffsetCommitResponse(topics=topics)
