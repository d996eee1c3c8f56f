"""OffsetFetch (9): committed offsets of one group (v0-7) or many (v8+); -1 where nothing is committed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from strom.broker.group_service import GroupService
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.broker.transaction_service import TransactionService
from strom.coordination.offsets import CommittedOffset
from strom.protocol.errors import ErrorCode
from strom.protocol.schema import offset_fetch as schema

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


def _group_answer(
    service: GroupService, txn: TransactionService, grp: schema.OffsetFetchRequestGroup, version: int, require_stable: bool = False
) -> schema.OffsetFetchResponseGroup:
    """One group of a v8+ request; v9+ members of KIP-848 groups must name their current epoch."""
    code: int = ErrorCode.NONE
    if not grp.group_id:
        code = ErrorCode.INVALID_GROUP_ID
    elif not service.is_coordinator(grp.group_id):
        code = ErrorCode.NOT_COORDINATOR
    elif version >= 9 and grp.member_id is not None:
        code = service.consumer.validate_offset_fetch(grp.group_id, grp.member_id, grp.member_epoch)
    if code:
        return schema.OffsetFetchResponseGroup(group_id=grp.group_id, topics=[], error_code=code)
    pending = _pending(txn, require_stable, grp.group_id)
    topics = [
        schema.OffsetFetchResponseTopics(
            name=t, partitions=[schema.OffsetFetchResponsePartitions(**_fields(p, c, pending(t, p))) for p, c in parts]
        )
        for t, parts in fetch_group(service, grp.group_id, grp.topics)
    ]
    return schema.OffsetFetchResponseGroup(group_id=grp.group_id, topics=topics, error_code=0)


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: schema.OffsetFetchRequest) -> schema.OffsetFetchResponse:
    service = ctx.broker.group_service
    if ctx.api_version < 8 and request.group_id and not service.is_coordinator(request.group_id):
        return schema.OffsetFetchResponse(topics=[], error_code=ErrorCode.NOT_COORDINATOR)
    if ctx.api_version >= 8:
        return schema.OffsetFetchResponse(
            groups=[
                _group_answer(service, ctx.broker.transaction_service, grp, ctx.api_version, request.require_stable)
                for grp in request.groups
            ]
        )
    if not request.group_id:  # v2+ answer at the top; v0-1 only have the per-partition code
        bad = {**_fields(0, None), "error_code": ErrorCode.INVALID_GROUP_ID}
        topics = [
            schema.OffsetFetchResponseTopic(
                name=t.name, partitions=[schema.OffsetFetchResponsePartition(**{**bad, "partition_index": p}) for p in t.partition_indexes]
            )
            for t in request.topics or []
        ]
        return schema.OffsetFetchResponse(topics=topics, error_code=ErrorCode.INVALID_GROUP_ID)
    pending = _pending(ctx.broker.transaction_service, ctx.api_version >= 7 and request.require_stable, request.group_id)
    topics = [
        schema.OffsetFetchResponseTopic(
            name=t, partitions=[schema.OffsetFetchResponsePartition(**_fields(p, c, pending(t, p))) for p, c in parts]
        )
        for t, parts in fetch_group(service, request.group_id, request.topics)
    ]
    return schema.OffsetFetchResponse(topics=topics, error_code=0)
