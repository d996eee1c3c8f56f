"""ConsumerGroupHeartbeat (68, KIP-848): join, heartbeat, reconcile and leave in one request; the broker assigns."""

from __future__ import annotations

from strom.broker.authorizer import authorize, denied_topics
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.coordination.consumer_group import HeartbeatRequest
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import consumer_group_heartbeat as schema
from strom.security.acl import AclOperation, ResourceType


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.ConsumerGroupHeartbeatRequest) -> schema.ConsumerGroupHeartbeatResponse:
    service = ctx.broker.group_service
    if not authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.group_id):
        return schema.ConsumerGroupHeartbeatResponse(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED, member_epoch=0)
    if denied_topics(ctx, AclOperation.DESCRIBE, request.subscribed_topic_names or ()):
        return schema.ConsumerGroupHeartbeatResponse(error_code=ErrorCode.TOPIC_AUTHORIZATION_FAILED, member_epoch=0)
    if request.group_id and (code := service.coordinator_error(request.group_id)):
        return schema.ConsumerGroupHeartbeatResponse(error_code=code, member_epoch=0)
    if request.member_epoch == 0 and request.group_id:
        code = service.claim_for_consumer_protocol(request.group_id)
        if code:
            return schema.ConsumerGroupHeartbeatResponse(
                error_code=code, error_message=f"Group {request.group_id} is not a consumer group.", member_epoch=0
            )
    owned = None
    if request.topic_partitions is not None:
        owned = {tp.topic_id: frozenset(tp.partitions) for tp in request.topic_partitions}
    names = request.subscribed_topic_names
    version = ctx.api_version
    result = service.consumer.heartbeat(
        service.now_ms(),
        HeartbeatRequest(
            group_id=request.group_id,
            member_id=request.member_id,
            member_epoch=request.member_epoch,
            instance_id=request.instance_id,
            rack_id=request.rack_id,
            rebalance_timeout_ms=request.rebalance_timeout_ms,
            subscribed_topic_names=tuple(names) if names is not None else None,
            subscribed_topic_regex=request.subscribed_topic_regex if version >= 1 else None,
            server_assignor=request.server_assignor,
            owned=owned,
            client_id=ctx.header.client_id or "",
            client_host="/" + ctx.client_host,
            member_id_from_client=version >= 1,
        ),
        service.topics_view(),
    )
    service.after_operation()
    # the answer waits for the records it depends on (an error here leaves the answer as it is: the
    # member's next heartbeat, to this coordinator or its successor, reconciles from what is stored)
    await service.written(request.group_id)
    assignment = None
    if result.assignment is not None:
        assignment = schema.ConsumerGroupHeartbeatAssignment(
            topic_partitions=[
                schema.ConsumerGroupHeartbeatResponseTopicPartitions(topic_id=tid, partitions=sorted(parts))
                for tid, parts in sorted(result.assignment.items())
                if parts
            ]
        )
    return schema.ConsumerGroupHeartbeatResponse(
        error_code=result.error_code,
        error_message=result.error_message if result.error_code != ErrorCode.NONE else None,
        member_id=result.member_id,
        member_epoch=result.member_epoch,
        heartbeat_interval_ms=result.heartbeat_interval_ms,
        assignment=assignment,
    )
