"""OffsetFetch (9): committed offsets of one group (v0-7) or many (v8+); -1 where nothing is committed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from strom.broker.authorizer import authorize, denied_topics
from strom.broker.group_service import GroupService
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import TransactionService
from strom.coordination.offsets import CommittedOffset
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import offset_fetch as schema
from strom.security.acl import AclOperation, ResourceType

Fetched = list[tuple[str, list[tuple[int, CommittedOffset | None]]]]


def fetch_group(
    service: GroupService, group_id: str, topics: Sequence[schema.OffsetFetchRequestTopic | schema.OffsetFetchRequestTopics] | None
) -> Fetched:
    """Requested partitions, or every committed one when `topics` is null (v2+)."""
    committed = service.offsets.for_group(group_id)
    if topics is None:
        by_topic: dict[str, list[tuple[int, CommittedOffset | None]]] = {}
        for (t, p), c in sorted(committed.items()):
            by_topic.setdefault(t, []).append((p, c))
        return list(by_topic.items())
    return [(t.name, [(p, committed.get((t.name, p))) for p in t.partition_indexes]) for t in topics]


def _fields(p: int, c: CommittedOffset | None, unstable: bool = False) -> dict[str, Any]:
    if c is _DENIED:
        return {
            "partition_index": p,
            "committed_offset": -1,
            "committed_leader_epoch": -1,
            "metadata": "",
            "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        }
    if unstable:  # KIP-447: a transaction's offsets for it are pending; a read_committed consumer retries
        return {
            "partition_index": p,
            "committed_offset": -1,
            "committed_leader_epoch": -1,
            "metadata": "",
            "error_code": ErrorCode.UNSTABLE_OFFSET_COMMIT,
        }
    return {
        "partition_index": p,
        "committed_offset": c.offset if c else -1,
        "committed_leader_epoch": c.leader_epoch if c else -1,
        "metadata": c.metadata if c else "",
        "error_code": 0,
    }


def _pending(txn: TransactionService, require_stable: bool, group_id: str) -> Callable[[str, int], bool]:
    """Whether a partition of the group has offsets of an open transaction (TxnOffsetCommit), asked only
    when the request requires stable offsets (OffsetFetch v7+)."""
    if not require_stable or not txn.loaded:
        return lambda topic, partition: False
    return lambda topic, partition: txn.has_pending_offsets(group_id, topic, partition)


def _readable(ctx: RequestContext, fetched: Fetched, every_topic: bool) -> Fetched:
    """Kafka's topic check: a partition of a topic the principal may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED
    when asked for, and left out of an every-topic answer."""
    denied = denied_topics(ctx, AclOperation.DESCRIBE, (t for t, _ in fetched))
    if not denied:
        return fetched
    if every_topic:
        return [(t, parts) for t, parts in fetched if t not in denied]
    return [(t, [(p, _DENIED if t in denied else c) for p, c in parts]) for t, parts in fetched]


_DENIED = CommittedOffset(-1, -1, "", -1)
"""Marks a denied partition for _fields."""


def _group_answer(
    ctx: RequestContext,
    service: GroupService,
    txn: TransactionService,
    grp: schema.OffsetFetchRequestGroup,
    version: int,
    require_stable: bool = False,
) -> schema.OffsetFetchResponseGroup:
    """One group of a v8+ request; v9+ members of KIP-848 groups must name their current epoch."""
    code: int = ErrorCode.NONE
    if not authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, grp.group_id):
        code = ErrorCode.GROUP_AUTHORIZATION_FAILED
    elif not grp.group_id:
        code = ErrorCode.INVALID_GROUP_ID
    else:
        code = service.coordinator_error(grp.group_id)
    if not code and version >= 9 and grp.member_id is not None:
        code = service.consumer.validate_offset_fetch(grp.group_id, grp.member_id, grp.member_epoch)
    if code:
        return schema.OffsetFetchResponseGroup(group_id=grp.group_id, topics=[], error_code=code)
    pending = _pending(txn, require_stable, grp.group_id)
    topics = [
        schema.OffsetFetchResponseTopics(
            name=t, partitions=[schema.OffsetFetchResponsePartitions(**_fields(p, c, pending(t, p))) for p, c in parts]
        )
        for t, parts in _readable(ctx, fetch_group(service, grp.group_id, grp.topics), grp.topics is None)
    ]
    return schema.OffsetFetchResponseGroup(group_id=grp.group_id, topics=topics, error_code=0)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.OffsetFetchRequest) -> schema.OffsetFetchResponse:
    service = ctx.broker.group_service
    if ctx.api_version < 8 and request.group_id and (code := service.coordinator_error(request.group_id)):
        return schema.OffsetFetchResponse(topics=[], error_code=code)
    if ctx.api_version >= 8:
        return schema.OffsetFetchResponse(
            groups=[
                _group_answer(ctx, service, ctx.broker.transaction_service, grp, ctx.api_version, request.require_stable)
                for grp in request.groups
            ]
        )
    group_code = ErrorCode.NONE if request.group_id else ErrorCode.INVALID_GROUP_ID
    if not authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, request.group_id):
        group_code = ErrorCode.GROUP_AUTHORIZATION_FAILED
    if group_code:  # v2+ answer at the top; v0-1 only have the per-partition code
        bad = {**_fields(0, None), "error_code": group_code}
        topics = [
            schema.OffsetFetchResponseTopic(
                name=t.name, partitions=[schema.OffsetFetchResponsePartition(**{**bad, "partition_index": p}) for p in t.partition_indexes]
            )
            for t in request.topics or []
        ]
        return schema.OffsetFetchResponse(topics=topics, error_code=group_code)
    pending = _pending(ctx.broker.transaction_service, ctx.api_version >= 7 and request.require_stable, request.group_id)
    topics = [
        schema.OffsetFetchResponseTopic(
            name=t, partitions=[schema.OffsetFetchResponsePartition(**_fields(p, c, pending(t, p))) for p, c in parts]
        )
        for t, parts in _readable(ctx, fetch_group(service, request.group_id, request.topics), request.topics is None)
    ]
    return schema.OffsetFetchResponse(topics=topics, error_code=0)
