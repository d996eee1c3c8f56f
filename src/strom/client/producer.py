"""Async producer: per-partition accumulators with linger and batch size, one Produce per leader.

Partitioning is Java's (murmur2 for keys, a sticky partition per batch for null keys, KIP-480).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strom.client.cluster import Cluster
from strom.client.partitioner import partition_for_key
from strom.protocol.compression import CODEC_IDS
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, TopicProduceData


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    topic: str
    partition: int
    offset: int


class _Pending:
    def __init__(self, codec: int) -> None:
        self.builder = BatchBuilder(compression_type=codec)
        self.futures: list[asyncio.Future[RecordMetadata]] = []
        self.created = asyncio.get_running_loop().time()


class AsyncProducer:
    def __init__(
        self,
        bootstrap_servers: str,
        acks: int = -1,
        linger_ms: int = 5,
        batch_size: int = 16384,
        compression_type: str = "none",
        client_id: str = "strom-producer",
        request_timeout_ms: int = 30000,
        retries: int = 5,
    ) -> None:
        if acks not in (-1, 0, 1):
            raise ValueError(f"acks must be all, -1, 0 or 1, not {acks}")
        if compression_type not in CODEC_IDS:
            raise ValueError(f"compression.type must be one of {', '.join(CODEC_IDS)}, not {compression_type}")
        self.cluster = Cluster(bootstrap_servers, client_id, request_timeout_ms)
        self.acks = acks
        self.linger = linger_ms / 1000
        self.batch_size = batch_size
        self.codec = CODEC_IDS[compression_type]
        self.timeout_ms = request_timeout_ms
        self.retries = retries
        self._batches: dict[tuple[str, int], _Pending] = {}
        self._sticky: dict[str, int] = {}
        self._inflight: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def _partitions(self, topic: str) -> int:
        info = self.cluster.topics.get(topic)
        if info is None:
            await self.cluster.refresh([topic], allow_auto_create=True)
            info = self.cluster.topics.get(topic)
        if info is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic {topic} does not exist")
        return len(info.partitions)

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Sequence[tuple[str, bytes | None]] = (),
    ) -> asyncio.Future[RecordMetadata]:
        """Queues a record; the returned future resolves when the broker acknowledges it."""
        n = await self._partitions(topic)
        if partition is None:
            if key is not None:
                partition = partition_for_key(key, n)
            else:
                partition = self._sticky.setdefault(topic, random.randrange(n))
        elif not 0 <= partition < n:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"partition {partition} of {topic} does not exist")
        tp = (topic, partition)
        pending = self._batches.get(tp)
        if pending is None:
            pending = self._batches[tp] = _Pending(self.codec)
        pending.builder.append(value, key, timestamp, headers)
        fut: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        pending.futures.append(fut)
        if pending.builder.estimated_size >= self.batch_size:
            self._sticky.pop(topic, None)
            self._drain([tp])
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.linger, self._drain_all)
        return fut

    def _drain_all(self) -> None:
        self._timer = None
        self._sticky.clear()
        self._drain(list(self._batches))

    def _drain(self, tps: list[tuple[str, int]]) -> None:
        ready = {tp: self._batches.pop(tp) for tp in tps if tp in self._batches}
        if ready:
            task = asyncio.ensure_future(self._send_batches(ready))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _send_batches(self, ready: dict[tuple[str, int], _Pending]) -> None:
        by_leader: dict[int, dict[tuple[str, int], tuple[bytes, _Pending]]] = {}
        for tp, pending in ready.items():
            try:
                leader = await self.cluster.leader_for(*tp)
            except KafkaError as exc:
                _fail(pending, exc)
                continue
            by_leader.setdefault(leader, {})[tp] = (pending.builder.build(), pending)
        await asyncio.gather(*(self._send_to(leader, batches) for leader, batches in by_leader.items()))

    async def _send_to(self, leader: int, batches: dict[tuple[str, int], tuple[bytes, _Pending]], attempt: int = 0) -> None:
        topics: dict[str, list[PartitionProduceData]] = {}
        for (topic, partition), (data, _) in batches.items():
            topics.setdefault(topic, []).append(PartitionProduceData(index=partition, records=data))
        req = ProduceRequest(
            acks=self.acks, timeout_ms=self.timeout_ms, topic_data=[TopicProduceData(name=t, partition_data=p) for t, p in topics.items()]
        )
        try:
            conn = await self.cluster.connection(leader)
            resp = await conn.send(req, expect_response=self.acks != 0)
        except KafkaError as exc:
            if attempt < self.retries and exc.retriable:
                await asyncio.sleep(0.1 * (attempt + 1))
                await self.cluster.refresh(list(topics))
                return await self._send_to(leader, batches, attempt + 1)
            for _, pending in batches.values():
                _fail(pending, exc)
            return None
        if resp is None:
            for (topic, partition), (_, pending) in batches.items():
                for fut in pending.futures:
                    if not fut.done():
                        fut.set_result(RecordMetadata(topic, partition, -1))
            return None
        retry: dict[tuple[str, int], tuple[bytes, _Pending]] = {}
        for t in resp.responses:
            for p in t.partition_responses:
                item = batches.get((t.name, p.index))
                if item is None:
                    continue
                if p.error_code:
                    err = KafkaError(p.error_code, p.error_message)
                    if err.retriable and attempt < self.retries:
                        retry[(t.name, p.index)] = item
                    else:
                        _fail(item[1], err)
                    continue
                for i, fut in enumerate(item[1].futures):
                    if not fut.done():
                        fut.set_result(RecordMetadata(t.name, p.index, p.base_offset + i))
        if retry:
            await asyncio.sleep(0.1 * (attempt + 1))
            await self.cluster.refresh(list({t for t, _ in retry}))
            await self._send_to(await self.cluster.leader_for(*next(iter(retry))), retry, attempt + 1)
        return None

    async def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._drain_all()
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def close(self) -> None:
        await self.flush()
        self.cluster.close()


def _fail(pending: _Pending, exc: KafkaError) -> None:
    for fut in pending.futures:
        if not fut.done():
            fut.set_exception(exc)


_ = Any
