"""TxnOffsetCommit (28): a transactional producer commits a group's offsets inside its transaction.

They are written to the group's __consumer_offsets partition as a transactional batch of the producer and
become visible to the group (OffsetFetch) only when the transaction's COMMIT marker lands there."""

from __future__ import annotations

from strom.broker.authorizer import authorize, denied_topics
from strom.broker.group_service import OFFSETS_TOPIC, GroupService
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import TransactionService, fenced_code
from strom.coordination.offsets import CommittedOffset, partition_for
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import txn_offset_commit as schema
from strom.security.acl import AclOperation, ResourceType


def _group_error(ctx: RequestContext, request: schema.TxnOffsetCommitRequest, service: TransactionService, groups: GroupService) -> int:
    if not request.group_id:
        return ErrorCode.INVALID_GROUP_ID
    if not_here := groups.coordinator_error(request.group_id):
        return not_here
    partition = (OFFSETS_TOPIC, partition_for(request.group_id, groups.num_partitions))
    code: int = ErrorCode.NONE
    if service.is_coordinator(request.transactional_id):  # else another broker coordinates it (ZooKeeper mode)
        code = service.coordinator.verify_partition(request.transactional_id, request.producer_id, request.producer_epoch, partition)
    if code == ErrorCode.INVALID_PRODUCER_EPOCH:
        return fenced_code(ErrorCode.PRODUCER_FENCED, ctx.api_version, 3)
    if code:
        return code
    # v3+ (KIP-447): a member of a live generation must still be in it
    if ctx.api_version >= 3 and request.generation_id >= 0:
        if groups.consumer_group(request.group_id) is not None:
            return int(groups.consumer.validate_offset_commit(request.group_id, request.member_id, request.generation_id, 9))
        return int(
            groups.coordinator.validate_offset_commit(
                service.now_ms(), request.group_id, request.generation_id, request.member_id, request.group_instance_id
            )
        )
    return ErrorCode.NONE


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.TxnOffsetCommitRequest) -> schema.TxnOffsetCommitResponse:
    broker = ctx.broker
    service = broker.transaction_service
    groups = broker.group_service
    if not authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id):
        group_error: int = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    elif not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        group_error = ErrorCode.GROUP_AUTHORIZATION_FAILED
    elif not service.loaded or not groups.loaded:
        group_error = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    else:
        group_error = _group_error(ctx, request, service, groups)
    denied = denied_topics(ctx, AclOperation.READ, (t.name for t in request.topics))
    max_metadata = int(broker.config["offset.metadata.max.bytes"])
    now = service.now_ms()
    topics = []
    entries: list[tuple[str, int, CommittedOffset]] = []
    for t in request.topics:
        parts = []
        known = broker.metadata.topics.get(t.name)
        for p in t.partitions:
            metadata = p.committed_metadata or ""
            if group_error:
                code = group_error
            elif t.name in denied:
                code = ErrorCode.TOPIC_AUTHORIZATION_FAILED
            elif known is None or p.partition_index not in known.partitions:
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            elif len(metadata.encode()) > max_metadata:
                code = ErrorCode.OFFSET_METADATA_TOO_LARGE
            else:
                code = ErrorCode.NONE
                epoch = p.committed_leader_epoch if ctx.api_version >= 2 else -1
                entries.append((t.name, p.partition_index, CommittedOffset(p.committed_offset, epoch, metadata, now)))
            parts.append(schema.TxnOffsetCommitResponsePartition(partition_index=p.partition_index, error_code=code))
        topics.append(schema.TxnOffsetCommitResponseTopic(name=t.name, partitions=parts))
    if entries:
        failed = service.commit_offsets(request.group_id, request.producer_id, request.producer_epoch, entries)
        if failed:
            failed = fenced_code(ErrorCode.PRODUCER_FENCED if failed == ErrorCode.INVALID_PRODUCER_EPOCH else failed, ctx.api_version, 3)
            for topic in topics:
                topic.partitions[:] = [
                    schema.TxnOffsetCommitResponsePartition(partition_index=p.partition_index, error_code=p.error_code or failed)
                    for p in topic.partitions
                ]
    return schema.TxnOffsetCommitResponse(topics=topics)
