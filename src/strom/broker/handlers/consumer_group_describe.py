"""ConsumerGroupDescribe (69, KIP-848): epochs, assignor, and each member's current and target assignment."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TypeVar

from strom.broker.authorizer import authorize, authorized_operations
from strom.broker.group_service import GroupService
from strom.broker.handlers import handles
from strom.broker.handlers.describe_groups import GROUP_OPERATIONS, NOT_REQUESTED
from strom.broker.request_context import RequestContext
from strom.coordination.assignors import Assignment
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import consumer_group_describe as schema
from strom.security.acl import AclOperation, ResourceType

_TopicPartitionsT = TypeVar("_TopicPartitionsT", schema.ConsumerGroupAssignedTopicPartitions, schema.ConsumerGroupTargetTopicPartitions)


def _topic_partitions(kind: type[_TopicPartitionsT], assignment: Assignment, names: dict[uuid.UUID, str]) -> list[_TopicPartitionsT]:
    return [
        kind(topic_id=tid, topic_name=names.get(tid, ""), partitions=sorted(parts)) for tid, parts in sorted(assignment.items()) if parts
    ]


def describe(service: GroupService, group_id: str, include_ops: bool) -> schema.ConsumerGroupDescribedGroup:
    if not group_id:
        return schema.ConsumerGroupDescribedGroup(
            error_code=ErrorCode.INVALID_GROUP_ID, error_message="GroupId can't be empty.", group_id=group_id, group_state=""
        )
    if code := service.coordinator_error(group_id):
        return schema.ConsumerGroupDescribedGroup(error_code=code, group_id=group_id, group_state="")
    g = service.consumer_group(group_id)
    if g is None:
        what = "is not a consumer group" if service.group_or_none(group_id) is not None else "not found"
        return schema.ConsumerGroupDescribedGroup(
            error_code=ErrorCode.GROUP_ID_NOT_FOUND, error_message=f"Group {group_id} {what}.", group_id=group_id, group_state=""
        )
    names = {tid: name for name, (tid, _) in service.topics_view().items()}
    names.update(g.topic_names())
    members = [
        schema.ConsumerGroupDescribedMember(
            member_id=m.member_id,
            instance_id=m.instance_id,
            rack_id=m.rack_id,
            member_epoch=m.member_epoch,
            client_id=m.client_id,
            client_host=m.client_host,
            subscribed_topic_names=list(m.subscribed_topic_names),
            subscribed_topic_regex=m.subscribed_topic_regex,
            assignment=schema.ConsumerGroupMemberAssignment(
                topic_partitions=_topic_partitions(schema.ConsumerGroupAssignedTopicPartitions, m.assigned, names)
            ),
            target_assignment=schema.ConsumerGroupTargetAssignment(
                topic_partitions=_topic_partitions(schema.ConsumerGroupTargetTopicPartitions, g.target.get(m.member_id, {}), names)
            ),
        )
        for m in g.members.values()
    ]
    return schema.ConsumerGroupDescribedGroup(
        error_code=0,
        group_id=group_id,
        group_state=g.state,
        group_epoch=g.group_epoch,
        assignment_epoch=g.assignment_epoch,
        assignor_name=g.assignor_name or service.consumer.config.assignors[0],
        members=members,
        authorized_operations=GROUP_OPERATIONS if include_ops else NOT_REQUESTED,
    )


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.ConsumerGroupDescribeRequest) -> schema.ConsumerGroupDescribeResponse:
    service = ctx.broker.group_service
    include_ops = request.include_authorized_operations
    return schema.ConsumerGroupDescribeResponse(
        groups=[_authorized(ctx, describe(service, gid, include_ops), include_ops) for gid in request.group_ids]
    )


def _authorized(ctx: RequestContext, group: schema.ConsumerGroupDescribedGroup, include_ops: bool) -> schema.ConsumerGroupDescribedGroup:
    """A group the principal may not describe is GROUP_AUTHORIZATION_FAILED; the operations are the ACLs'."""
    if ctx.broker.authorizer is None:
        return group
    if not authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, group.group_id):
        return schema.ConsumerGroupDescribedGroup(error_code=ErrorCode.GROUP_AUTHORIZATION_FAILED, group_id=group.group_id, group_state="")
    if include_ops:
        return replace(group, authorized_operations=authorized_operations(ctx, ResourceType.GROUP, group.group_id))
    return group
