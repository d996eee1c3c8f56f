"""Async consumer with manual assignment: ListOffsets to resolve positions, Fetch with long polls.

Group membership (subscribe) is not in this client yet: the console consumer assigns every partition.
"""

from __future__ import annotations

from dataclasses import dataclass

from strom.client.cluster import Cluster
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import iter_batch_headers, iter_records
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic
from strom.protocol.schema.list_offsets import ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic

EARLIEST, LATEST = -2, -1


@dataclass(frozen=True, slots=True)
class ConsumerRecord:
    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


class AsyncConsumer:
    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str = "strom-consumer",
        fetch_max_wait_ms: int = 500,
        max_partition_fetch_bytes: int = 1048576,
        isolation_level: int = 0,
        request_timeout_ms: int = 30000,
    ) -> None:
        self.cluster = Cluster(bootstrap_servers, client_id, request_timeout_ms)
        self.max_wait = fetch_max_wait_ms
        self.partition_max = max_partition_fetch_bytes
        self.isolation_level = isolation_level
        self.positions: dict[tuple[str, int], int] = {}

    async def partitions_for(self, topic: str) -> list[int]:
        await self.cluster.refresh([topic])
        info = self.cluster.topics.get(topic)
        if info is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic {topic} does not exist")
        return sorted(info.partitions)

    async def list_offsets(self, tps: list[tuple[str, int]], timestamp: int) -> dict[tuple[str, int], int]:
        out = {}
        by_leader: dict[int, list[tuple[str, int]]] = {}
        for tp in tps:
            by_leader.setdefault(await self.cluster.leader_for(*tp), []).append(tp)
        for leader, items in by_leader.items():
            topics: dict[str, list[ListOffsetsPartition]] = {}
            for t, p in items:
                topics.setdefault(t, []).append(ListOffsetsPartition(partition_index=p, timestamp=timestamp))
            conn = await self.cluster.connection(leader)
            resp = await conn.send(
                ListOffsetsRequest(
                    replica_id=-1,
                    isolation_level=self.isolation_level,
                    topics=[ListOffsetsTopic(name=t, partitions=ps) for t, ps in topics.items()],
                )
            )
            for t in resp.topics:
                for p in t.partitions:
                    if p.error_code:
                        raise KafkaError(p.error_code)
                    out[(t.name, p.partition_index)] = p.offset if p.offset >= 0 or not p.old_style_offsets else p.old_style_offsets[0]
        return out

    async def assign(self, tps: list[tuple[str, int]], start: int = LATEST, offsets: dict[tuple[str, int], int] | None = None) -> None:
        """Assigns partitions from `start` (EARLIEST, LATEST) or explicit offsets."""
        explicit = offsets or {}
        resolved = await self.list_offsets([tp for tp in tps if tp not in explicit], start) if len(explicit) < len(tps) else {}
        self.positions = {**resolved, **explicit}

    async def poll(self) -> list[ConsumerRecord]:
        by_leader: dict[int, list[tuple[str, int]]] = {}
        for tp in self.positions:
            by_leader.setdefault(await self.cluster.leader_for(*tp), []).append(tp)
        records: list[ConsumerRecord] = []
        for leader, items in by_leader.items():
            conn = await self.cluster.connection(leader)
            topics: dict[str, list[FetchPartition]] = {}
            for t, p in items:
                topics.setdefault(t, []).append(
                    FetchPartition(partition=p, fetch_offset=self.positions[(t, p)], partition_max_bytes=self.partition_max)
                )
            version = conn.version_for(1)
            if version >= 13:
                version = 12  # topic ids need the ids from metadata; names are enough here
            req = FetchRequest(
                replica_id=-1,
                max_wait_ms=self.max_wait,
                min_bytes=1,
                max_bytes=52428800,
                isolation_level=self.isolation_level,
                topics=[FetchTopic(topic=t, partitions=ps) for t, ps in topics.items()],
            )
            resp = await conn.send(req, version)
            for t in resp.responses:
                for p in t.partitions:
                    tp = (t.topic, p.partition_index)
                    if p.error_code:
                        if p.error_code == ErrorCode.OFFSET_OUT_OF_RANGE:
                            self.positions[tp] = (await self.list_offsets([tp], EARLIEST))[tp]
                            continue
                        raise KafkaError(p.error_code, f"fetch from {tp[0]}-{tp[1]} failed")
                    if not p.records:
                        continue
                    pos = self.positions[tp]
                    for bpos, header in iter_batch_headers(p.records):
                        if header.is_control:
                            pos = max(pos, header.last_offset + 1)
                            continue
                        for r in iter_records(p.records, bpos):
                            if r.offset >= pos:
                                records.append(
                                    ConsumerRecord(
                                        t.topic, p.partition_index, r.offset, r.timestamp, header.timestamp_type, r.key, r.value, r.headers
                                    )
                                )
                        pos = max(pos, header.last_offset + 1)
                    self.positions[tp] = pos
        return records

    async def close(self) -> None:
        self.cluster.close()
