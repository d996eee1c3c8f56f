"""Fetch (1): file slices of whole batches up to the high watermark; long polls wait in purgatory
and are woken by appends.

Records travel as storage FileSlices through the encoder's region support, so the response is never
re-encoded batch by batch. Fetch sessions (KIP-227) live in broker/fetch_sessions.py: the session
context says which partitions to read and which of them the response carries.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from strom.broker.fetch_sessions import FetchContext, FetchSessionCache
from strom.broker.handlers import handles
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import batches_to_legacy
from strom.protocol.schema import fetch as schema
from strom.protocol.schema.fetch import AbortedTransaction, FetchableTopicResponse, FetchResponse, PartitionData

READ_COMMITTED = 1


def _aborted(plog: Any, fetch_offset: int, lso: int, records: Any) -> list[AbortedTransaction]:
    """Aborted transactions overlapping what a read_committed consumer reads (up to the LSO): it drops
    their batches. Most logs have none, and then this costs one dict check."""
    if records is None or not plog.txn_index.by_segment:
        return []
    return [AbortedTransaction(producer_id=pid, first_offset=first) for pid, first in plog.aborted_transactions(fetch_offset, lso)]


def _session_cache(broker: Any) -> FetchSessionCache:
    cache = broker.services.get("fetch_sessions")
    if cache is None:
        cache = broker.services["fetch_sessions"] = FetchSessionCache(int(broker.config["max.incremental.fetch.session.cache.slots"]))
    return cache  # type: ignore[no-any-return]


def _session_context(broker: Any, request: Any, version: int, is_consumer: bool) -> FetchContext:
    by_id: dict[Any, str] | None = None

    def name_of(topic_id: Any) -> str | None:
        nonlocal by_id
        if by_id is None:
            by_id = {t.uuid: t.name for t in broker.metadata.topics.values()}
        return by_id.get(topic_id)

    return _session_cache(broker).new_context(request, version, _now_ms(), name_of, privileged=not is_consumer)


def _now_ms() -> int:
    return int(time.monotonic() * 1000)


def _replica_id(request: Any, version: int) -> int:
    return int(request.replica_id if version <= 14 else request.replica_state.replica_id if request.replica_state else -1)


def _is_consumer(request: Any, version: int) -> bool:
    return _replica_id(request, version) < 0


def _read_all(ctx: Any, request: Any, topics: list[tuple[Any, str | None]]) -> tuple[FetchResponse, int, list[tuple[str, int]]]:
    broker = ctx.broker
    version = ctx.api_version
    replica_id = _replica_id(request, version)
    is_consumer = replica_id < 0
    read_committed = version >= 4 and request.isolation_level == READ_COMMITTED
    budget = request.max_bytes if version >= 3 else 0x7FFFFFFF
    total = 0
    keys = []
    responses = []
    for topic, name in topics:
        parts = []
        for fp in topic.partitions:
            if name is None:
                code = ErrorCode.UNKNOWN_TOPIC_ID
                parts.append(PartitionData(partition_index=fp.partition, error_code=code, high_watermark=-1, records=b""))
                continue
            part = broker.partitions.get((name, fp.partition))
            if part is None:
                parts.append(
                    PartitionData(
                        partition_index=fp.partition,
                        error_code=broker.replica_manager.missing_partition_error(name, fp.partition),
                        high_watermark=-1,
                        records=b"",
                    )
                )
                continue
            plog = part.log
            hw = plog.high_watermark
            if fp.current_leader_epoch >= 0 and fp.current_leader_epoch != part.leader_epoch:
                code = ErrorCode.FENCED_LEADER_EPOCH if fp.current_leader_epoch < part.leader_epoch else ErrorCode.UNKNOWN_LEADER_EPOCH
                parts.append(PartitionData(partition_index=fp.partition, error_code=code, high_watermark=hw, records=b""))
                continue
            if not part.is_leader:
                code = ErrorCode.NOT_LEADER_OR_FOLLOWER
                parts.append(PartitionData(partition_index=fp.partition, error_code=code, high_watermark=hw, records=b""))
                continue
            if not is_consumer:
                broker.replica_manager.on_replica_fetch(part, replica_id, fp.fetch_offset)
                hw = plog.high_watermark
            lso = plog.last_stable_offset
            keys.append((name, fp.partition))
            records = None
            code = 0
            try:
                if budget - total > 0 or total == 0:
                    max_bytes = min(fp.partition_max_bytes, max(budget - total, 0)) if total else fp.partition_max_bytes
                    if max_bytes > 0 or total == 0:
                        bound = (lso if read_committed else hw) if is_consumer else plog.log_end_offset
                        records = plog.read(fp.fetch_offset, max(max_bytes, 1), bound, min_one_batch=total == 0)
                        if records is not None:
                            total += records.size
                elif not 0 <= fp.fetch_offset <= plog.log_end_offset:
                    raise KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE)
            except KafkaError as exc:
                code = exc.code
            if records is not None and version <= 3:  # pre-0.11 consumers read only magic v0/v1 message sets
                records = batches_to_legacy(records.read(), 1 if version >= 2 else 0)
            parts.append(
                PartitionData(
                    partition_index=fp.partition,
                    error_code=code,
                    high_watermark=hw,
                    last_stable_offset=lso,
                    log_start_offset=plog.log_start_offset,
                    aborted_transactions=_aborted(plog, fp.fetch_offset, lso, records) if read_committed else None,
                    records=records if records is not None else b"",  # Kafka sends empty, never null
                )
            )
        if version >= 13:
            responses.append(FetchableTopicResponse(topic_id=topic.topic_id, partitions=parts))
        else:
            responses.append(FetchableTopicResponse(topic=name or topic.topic, partitions=parts))
    return FetchResponse(error_code=0, session_id=0, responses=responses), total, keys


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> FetchResponse:
    broker = ctx.broker
    version = ctx.api_version
    session = _session_context(broker, request, version, _is_consumer(request, version))
    if session.error:
        return FetchResponse(error_code=session.error, session_id=0, responses=[])
    deadline = time.monotonic() + max(request.max_wait_ms, 0) / 1000
    while True:
        response, total, keys = _read_all(ctx, request, session.topics)
        remaining = deadline - time.monotonic()
        errors = any(p.error_code for t in response.responses for p in t.partitions)
        if total >= max(request.min_bytes, 1) or remaining <= 0 or errors or not keys or ctx.connection.closed:
            session_id, responses = _session_cache(broker).finish(session, response.responses, _now_ms())
            return dataclasses.replace(response, session_id=session_id, responses=responses)
        await broker.purgatory.wait(keys, remaining)
