"""Fetch (1): decodes which partitions to read (through the fetch session, KIP-227), lets the replica manager read
them (file slices up to the high watermark; long polls wait in purgatory and are woken by appends), and encodes
its per-partition results.

Records travel as storage FileSlices through the encoder's region support, so the response is never
re-encoded batch by batch. Fetch sessions live in broker/fetch_sessions.py: the session context says which
partitions to read and which of them the response carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strom.broker.authorizer import authorize_cluster, denied_topics
from strom.broker.fetch_sessions import FetchContext, FetchSessionCache
from strom.broker.handlers import handles
from strom.broker.request_context import RequestContext
from strom.cluster.replica_manager import FetchParams, FetchPartitionResult, PartitionFetchInfo
from strom.protocol.errors import ErrorCode
from strom.protocol.records import batches_to_legacy
from strom.protocol.schema import fetch as schema
from strom.protocol.schema.fetch import FetchableTopicResponse, FetchRequest, FetchResponse, PartitionData
from strom.security.acl import AclOperation

if TYPE_CHECKING:
    from strom.broker.broker import Broker

READ_COMMITTED = 1
UNLIMITED_BYTES = 0x7FFFFFFF  # Fetch v0-v2 have no response-wide max_bytes


def _session_cache(broker: Broker) -> FetchSessionCache:
    return broker.fetch_sessions


def _session_context(broker: Broker, request: FetchRequest, version: int, is_consumer: bool) -> FetchContext:
    by_id: dict[Any, str] | None = None

    def name_of(topic_id: Any) -> str | None:
        nonlocal by_id
        if by_id is None:
            by_id = {t.uuid: t.name for t in broker.metadata.topics.values()}
        return by_id.get(topic_id)

    return _session_cache(broker).new_context(request, version, broker.clock.monotonic_ms(), name_of, privileged=not is_consumer)


def replica_id(request: FetchRequest, version: int) -> int:
    """The fetching replica (a follower's broker id), or -1 for a consumer."""
    return int(request.replica_id if version <= 14 else request.replica_state.replica_id if request.replica_state else -1)


def _params(request: FetchRequest, version: int) -> FetchParams:
    return FetchParams(
        replica_id=replica_id(request, version),
        max_wait_ms=request.max_wait_ms,
        min_bytes=request.min_bytes,
        max_bytes=request.max_bytes if version >= 3 else UNLIMITED_BYTES,
        read_committed=version >= 4 and request.isolation_level == READ_COMMITTED,
    )


def _partition_data(index: int, result: FetchPartitionResult, version: int) -> PartitionData:
    records: Any = result.records
    if records is None:
        records = b""  # Kafka sends empty, never null
    elif version <= 3:  # pre-0.11 consumers read only magic v0/v1 message sets
        records = batches_to_legacy(records.read(), 1 if version >= 2 else 0)
    return PartitionData(
        partition_index=index,
        error_code=result.error_code,
        high_watermark=result.high_watermark,
        last_stable_offset=result.last_stable_offset,
        log_start_offset=result.log_start_offset,
        aborted_transactions=result.aborted_transactions,
        records=records,
    )


_DENIED = FetchPartitionResult(ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1)


def _denied(ctx: RequestContext, session: FetchContext, params: FetchParams) -> set[str | None]:
    """Topics the request may not read: a follower needs CLUSTER_ACTION (else every topic is denied), a
    consumer READ on each topic."""
    if ctx.broker.authorizer is None:
        return set()
    names = [name for _, name in session.topics if name is not None]
    if params.replica_id >= 0:
        return set() if authorize_cluster(ctx, AclOperation.CLUSTER_ACTION) else set(names)
    return set(denied_topics(ctx, AclOperation.READ, names))


@handles(schema.API_KEY)
async def handle(ctx: RequestContext, request: FetchRequest) -> FetchResponse:
    broker = ctx.broker
    version = ctx.api_version
    params = _params(request, version)
    session = _session_context(broker, request, version, params.replica_id < 0)
    if session.error:
        return FetchResponse(error_code=session.error, session_id=0, responses=[])
    denied = _denied(ctx, session, params)
    fetches = [
        PartitionFetchInfo(name, fp.partition, fp.fetch_offset, fp.current_leader_epoch, fp.partition_max_bytes)
        for topic, name in session.topics
        if name not in denied
        for fp in topic.partitions
    ]
    results = iter(await broker.replica_manager.fetch_messages(params, fetches, lambda: ctx.connection.closed))
    responses = []
    for topic, name in session.topics:
        if name in denied:
            parts = [_partition_data(fp.partition, _DENIED, version) for fp in topic.partitions]
        else:
            parts = [_partition_data(fp.partition, next(results), version) for fp in topic.partitions]
        if version >= 13:
            responses.append(FetchableTopicResponse(topic_id=topic.topic_id, partitions=parts))
        else:
            responses.append(FetchableTopicResponse(topic=name or topic.topic or "", partitions=parts))
    session_id, responses = _session_cache(broker).finish(session, responses, broker.clock.monotonic_ms())
    return FetchResponse(error_code=0, session_id=session_id, responses=responses)
