"""OffsetDelete (47): drops committed offsets of topics the group does not consume (KIP-496)."""

from __future__ import annotations

from strom.broker.authorizer import authorize, denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.coordination.group import CONSUMER_PROTOCOL_TYPE, EMPTY
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import offset_delete as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.OffsetDeleteRequest) -> schema.OffsetDeleteResponse:
    service = ctx.broker.group_service
    if not authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, request.group_id):
        return schema.OffsetDeleteResponse(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED)
    denied = denied_topics(ctx, AclOperation.READ, (t.name for t in request.topics))
    if not request.group_id:
        return schema.OffsetDeleteResponse(error_code=ErrorCode.INVALID_GROUP_ID)
    if code := service.coordinator_error(request.group_id):
        return schema.OffsetDeleteResponse(error_code=code)
    subscribed: set[str] | None = set()
    cg = service.consumer_group(request.group_id)
    g = service.coordinator.group(request.group_id)
    if cg is not None:
        subscribed = {t for m in cg.members.values() for t in service.topics_view() if m.subscribes(t)}
    elif g is None:
        return schema.OffsetDeleteResponse(error_code=ErrorCode.GROUP_ID_NOT_FOUND)
    elif g.state != EMPTY:
        if g.protocol_type != CONSUMER_PROTOCOL_TYPE:
            return schema.OffsetDeleteResponse(error_code=ErrorCode.NON_EMPTY_GROUP)
        subscribed = g.subscribed_topics()  # None: cannot tell, so every topic counts as consumed
    topics = []
    gone = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            if t.name in denied:
                code = ErrorCode.TOPIC_AUTHORIZATION_FAILED
            elif (t.name, p.partition_index) not in ctx.broker.replica_manager.partitions:
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            elif subscribed is None or t.name in subscribed:
                code = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC
            else:
                code = ErrorCode.NONE
                gone.append((t.name, p.partition_index))
            parts.append(schema.OffsetDeleteResponsePartition(partition_index=p.partition_index, error_code=code))
        topics.append(schema.OffsetDeleteResponseTopic(name=t.name, partitions=parts))
    service.delete_offsets(request.group_id, gone)
    return schema.OffsetDeleteResponse(error_code=0, topics=topics)
