"""High watermarks of partitions this broker holds no replica of, asked from their leaders (ListOffsets,
latest, read_uncommitted) when Prometheus scrapes: kafka-exporter reports a group's lag on every partition it
committed, and a group's coordinator need not hold a replica of each.

One ListOffsets per leader per scrape, over the inter-broker listener, with a deadline: a leader that does
not answer in time leaves its partitions out of that scrape (no stale lag is served as current).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.schema import list_offsets as schema
from strom.protocol.types import TP
from strom.transport.connection import BrokerConnection

if TYPE_CHECKING:
    from strom.broker.broker import Broker

log = logging.getLogger("kafka.metrics.PrometheusReporter")

LATEST_TIMESTAMP = -1
CONSUMER_REPLICA_ID = -1  # a consumer's ListOffsets answers the high watermark for latest
LIST_OFFSETS_VERSION = 7  # the newest that Strom and Kafka 2.8+ both take (v8+ only adds tiered storage)
CONNECT_TIMEOUT_S = 2.0  # with TIMEOUT_S: a scrape waits at most 5 s for the leaders (Prometheus' default timeout is 10 s)
TIMEOUT_S = 3.0


class LeaderOffsets:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.high_watermarks: dict[TP, int] = {}  # this scrape's answers
        self._connections: dict[int, BrokerConnection] = {}

    async def refresh(self, partitions: Iterable[TP]) -> None:
        """Asks each leader for the high watermarks of `partitions` (those without a local replica)."""
        by_leader: dict[int, list[TP]] = {}
        topics = self.broker.metadata.topics
        for topic, index in partitions:
            state = topics.get(topic)
            leader = state.partitions.get(index) if state is not None else None
            if leader is not None and leader.leader >= 0:
                by_leader.setdefault(leader.leader, []).append((topic, index))
        self.high_watermarks = {}
        if by_leader:
            await asyncio.gather(*(self._ask(leader, tps) for leader, tps in by_leader.items()))

    async def _ask(self, leader: int, tps: list[TP]) -> None:
        by_topic: dict[str, list[schema.ListOffsetsPartition]] = {}
        for topic, index in tps:
            by_topic.setdefault(topic, []).append(schema.ListOffsetsPartition(partition_index=index, timestamp=LATEST_TIMESTAMP))
        request = schema.ListOffsetsRequest(
            replica_id=CONSUMER_REPLICA_ID,
            topics=[schema.ListOffsetsTopic(name=t, partitions=ps) for t, ps in by_topic.items()],
        )
        try:
            conn = await self._connection(leader)
            response = await conn.send(request, version=min(LIST_OFFSETS_VERSION, conn.version_for(schema.API_KEY)), timeout=TIMEOUT_S)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.debug("ListOffsets to broker %d for consumer lag failed: %s", leader, exc)
            broken = self._connections.pop(leader, None)
            if broken is not None:
                broken.close()
            return
        for t in response.topics:
            for p in t.partitions:
                if p.error_code == ErrorCode.NONE:
                    self.high_watermarks[(t.name, p.partition_index)] = p.offset

    async def _connection(self, broker_id: int) -> BrokerConnection:
        conn = self._connections.get(broker_id)
        if conn is not None and not conn.closed:
            return conn
        endpoint = self.broker.metadata.live_brokers.get(broker_id)
        if endpoint is None:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"broker {broker_id} is not live")
        rm = self.broker.replica_manager
        conn = BrokerConnection(endpoint.host, endpoint.port, client_id=f"metrics-{rm.local_id}", security=rm.config.inter_broker_security)
        await conn.connect(timeout=CONNECT_TIMEOUT_S)
        self._connections[broker_id] = conn
        return conn

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()
