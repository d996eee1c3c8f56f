"""The message browser and the test producer: reads a window of records from chosen partitions, from the
beginning, the end, an offset or a timestamp, without a consumer group (nothing is committed, no group appears).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from strom.client.admin import AsyncAdmin
from strom.client.consumer import AsyncConsumer
from strom.client.producer import AsyncProducer
from strom.console.formats import matches
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.types import TP

EARLIEST, LATEST = -2, -1
StartFrom = Literal["beginning", "end", "offset", "timestamp"]
SCAN_LIMIT = 10_000  # records read per request at most while a filter looks for matches


@dataclass(frozen=True, slots=True)
class BrowsedRecord:
    partition: int
    offset: int
    timestamp: int
    timestamp_type: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]


async def start_offsets(admin: AsyncAdmin, tps: list[TP], start: StartFrom, value: int, limit: int) -> tuple[dict[TP, int], dict[TP, int]]:
    """(where to read from, where to stop) per partition. "end" shows the last `limit` records of each."""
    low = {tp: o for tp, (_, o, _) in (await admin.list_offsets(tps, EARLIEST)).items()}
    high = {tp: o for tp, (_, o, _) in (await admin.list_offsets(tps, LATEST)).items()}
    if start == "beginning":
        begin = dict(low)
    elif start == "end":
        begin = {tp: max(low[tp], high[tp] - limit) for tp in tps}
    elif start == "offset":
        begin = {tp: min(max(value, low[tp]), high[tp]) for tp in tps}
    elif start == "timestamp":
        at = await admin.list_offsets(tps, value)
        begin = {tp: o if e == 0 and o >= 0 else high[tp] for tp, (e, o, _) in at.items()}
    else:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"unknown start {start}")
    return begin, high


async def browse(
    admin: AsyncAdmin,
    client_config: Mapping[str, Any],
    topic: str,
    partitions: list[int],
    start: StartFrom,
    value: int,
    limit: int,
    needle: str = "",
    timeout: float = 5.0,
) -> list[BrowsedRecord]:
    """Up to `limit` records per partition that match the filter, in partition then offset order."""
    tps = [(topic, p) for p in partitions]
    begin, high = await start_offsets(admin, tps, start, value, limit)
    pending = {tp for tp in tps if begin[tp] < high[tp]}
    if not pending:
        return []
    consumer = AsyncConsumer({**client_config, "enable.auto.commit": False, "client.id": "strom-console-browser"})
    found: dict[TP, list[BrowsedRecord]] = {tp: [] for tp in tps}
    scanned = 0
    try:
        await consumer.assign(list(pending), offsets={tp: begin[tp] for tp in pending})
        deadline = time.monotonic() + timeout
        while pending and scanned < SCAN_LIMIT and time.monotonic() < deadline:
            for msg in await consumer.getmany(min(0.5, max(deadline - time.monotonic(), 0))):
                tp = (msg.topic() or "", msg.partition() or 0)
                offset = msg.offset() or 0
                if tp not in pending or offset >= high[tp]:
                    continue
                scanned += 1
                key, val = msg.key(), msg.value()
                if matches(needle, key, val):
                    ts_type, ts = msg.timestamp()
                    headers = tuple(msg.headers() or ())
                    found[tp].append(BrowsedRecord(tp[1], offset, ts, "LogAppendTime" if ts_type == 2 else "CreateTime", key, val, headers))
                if len(found[tp]) >= limit or offset + 1 >= high[tp]:
                    pending.discard(tp)
            await asyncio.sleep(0)
    finally:
        await consumer.close()
    return [r for tp in tps for r in found[tp]]


async def produce(
    producer: AsyncProducer, topic: str, key: bytes | None, value: bytes | None, partition: int | None, headers: list[tuple[str, bytes]]
) -> tuple[int, int]:
    """Sends one record and waits for its acknowledgement: (partition, offset)."""
    md = await producer.send_and_wait(topic, value, key, partition=partition, headers=headers or None)
    return md.partition, md.offset
