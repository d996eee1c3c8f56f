"""Produce (0): batch-level append -- header and CRC checks, offsets assigned by rewriting, never
decoding records (unless the topic's compression.type demands a different codec)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from strom.broker.handlers import handles
from strom.protocol import compression
from strom.protocol.errors import CorruptMessage, ErrorCode, KafkaError
from strom.protocol.records import (
    BATCH_HEADER_SIZE,
    BatchBuilder,
    is_legacy_message_set,
    iter_batch_headers,
    iter_records,
    legacy_to_batch,
    read_batch_header,
)
from strom.protocol.schema import produce as schema
from strom.protocol.schema.produce import PartitionProduceResponse, ProduceResponse, TopicProduceResponse

log = logging.getLogger("kafka.server.ReplicaManager")


def _recompress(data: bytes | memoryview, codec_name: str) -> bytes:
    """Re-encodes batches whose codec differs from the topic's compression.type (Kafka does the same)."""
    target = 0 if codec_name == "uncompressed" else compression.CODEC_IDS[codec_name]
    out = bytearray()
    for pos, header in iter_batch_headers(data):
        if header.compression == target:
            out += data[pos : pos + header.size]
            continue
        builder = BatchBuilder(
            compression_type=target,
            producer_id=header.producer_id,
            producer_epoch=header.producer_epoch,
            base_sequence=header.base_sequence,
            is_transactional=header.is_transactional,
        )
        for record in iter_records(data, pos):
            builder.append(record.value, record.key, record.timestamp, record.headers)
        out += builder.build()
    return bytes(out)


def _verify_transactional(broker: Any, txn_id: str, topic: str, index: int, records: Any) -> int:
    """Kafka 3.6+'s transaction verification: a transactional batch is accepted only for a partition its
    producer added to its ongoing transaction (else a late write of an aborted or timed-out transaction
    would open a transaction no marker ever closes). When the id's coordinator is another broker
    (ZooKeeper mode) the write is accepted unchecked, as before Kafka 3.6."""
    service = broker.services.get("txn")
    if (
        service is None
        or not broker.config["transaction.partition.verification.enable"]
        or len(records) < BATCH_HEADER_SIZE
        or not service.is_coordinator(txn_id)
    ):
        return ErrorCode.NONE
    try:
        header = read_batch_header(records)
    except CorruptMessage:
        return ErrorCode.NONE  # the append rejects it with CORRUPT_MESSAGE
    if not header.is_transactional:
        return ErrorCode.NONE
    code = service.coordinator.verify_partition(txn_id, header.producer_id, header.producer_epoch, (topic, index))
    return int(code)


def _error(index: int, code: int, message: str | None = None) -> PartitionProduceResponse:
    return PartitionProduceResponse(index=index, error_code=code, base_offset=-1, error_message=message)


@handles(schema.API_KEY)
async def handle(ctx: Any, request: Any) -> ProduceResponse | None:
    broker = ctx.broker
    request_version = ctx.api_version
    acks = request.acks
    responses = []
    to_flush = []
    waiting: list[tuple[Any, int, list[PartitionProduceResponse], int]] = []  # acks=all: (partition, offset, list, slot)
    deferred: list[tuple[Any, list[PartitionProduceResponse], int]] = []  # group commit: (log, list, slot)
    group_commit = broker.group_commit
    txn_id = request.transactional_id
    for topic in request.topic_data:
        parts = []
        for pd in topic.partition_data:
            if acks not in (-1, 0, 1):
                parts.append(_error(pd.index, ErrorCode.INVALID_REQUIRED_ACKS))
                continue
            part = broker.partitions.get((topic.name, pd.index))
            if part is None:
                parts.append(_error(pd.index, broker.replica_manager.missing_partition_error(topic.name, pd.index)))
                continue
            if not part.is_leader:
                parts.append(_error(pd.index, ErrorCode.NOT_LEADER_OR_FOLLOWER))
                continue
            if pd.records is None or len(pd.records) == 0:
                parts.append(_error(pd.index, ErrorCode.CORRUPT_MESSAGE, "no records"))
                continue
            if txn_id is not None:
                code = _verify_transactional(broker, txn_id, topic.name, pd.index, pd.records)
                if code:
                    parts.append(_error(pd.index, code))
                    continue
            plog = part.log
            if acks == -1 and len(part.isr) < plog.config.min_insync_replicas:
                parts.append(_error(pd.index, ErrorCode.NOT_ENOUGH_REPLICAS))
                continue
            try:
                data = pd.records
                if is_legacy_message_set(data):  # a pre-0.11 client (Produce v0-v2): the log stores v2 batches
                    if request_version > 2:
                        raise KafkaError(ErrorCode.INVALID_RECORD, "Produce v3+ carries only magic v2 record batches")
                    data = legacy_to_batch(data)
                codec = plog.config.compression_type
                if codec != "producer":
                    target = 0 if codec == "uncompressed" else compression.CODEC_IDS[codec]
                    if any(h.compression != target for _, h in iter_batch_headers(data)):
                        data = _recompress(data, codec)
                result = plog.append_as_leader(data, part.leader_epoch, defer_write=True)
                group_commit.add(plog)  # written at the end of this event-loop tick, before any answer
            except KafkaError as exc:
                log.debug("produce to %s-%d failed: %s", topic.name, pd.index, exc)
                parts.append(_error(pd.index, exc.code, exc.message))
                continue
            except CorruptMessage as exc:
                parts.append(_error(pd.index, ErrorCode.CORRUPT_MESSAGE, str(exc)))
                continue
            broker.replica_manager.after_leader_append(part)
            if acks == -1 and plog.high_watermark <= result.last_offset:
                waiting.append((part, result.last_offset + 1, parts, len(parts)))
            if plog.needs_flush(broker.clock.monotonic_ms()):
                to_flush.append(plog)
            deferred.append((plog, parts, len(parts)))
            parts.append(
                PartitionProduceResponse(
                    index=pd.index,
                    error_code=0,
                    base_offset=result.first_offset,
                    log_append_time_ms=result.log_append_time,
                    log_start_offset=result.log_start_offset,
                )
            )
        responses.append(TopicProduceResponse(name=topic.name, partition_responses=parts))
    if deferred:
        failed = await group_commit.written()
        for plog, parts, slot in deferred:
            error = failed.get(id(plog))
            if error is not None:
                parts[slot] = _error(parts[slot].index, error.code, error.message)
                waiting = [w for w in waiting if w[2] is not parts or w[3] != slot]
    if to_flush:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: [p.flush() for p in to_flush])
    if waiting:
        codes = await broker.replica_manager.wait_for_acks([(p, o) for p, o, _, _ in waiting], request.timeout_ms / 1000)
        for (_, _, parts, slot), code in zip(waiting, codes, strict=True):
            if code:
                parts[slot] = dataclasses.replace(parts[slot], error_code=code)
    if acks == 0:
        return None
    return ProduceResponse(responses=responses)
