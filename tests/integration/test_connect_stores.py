"""The config and status stores on a Strom broker: two stores on one topic see each other's writes, and the
records on the topic are the ones Kafka's workers write (read back raw with Strom's consumer)."""

from __future__ import annotations

import asyncio
import uuid

from strom.aio import AIOConsumer
from strom.client.types import OFFSET_BEGINNING, TopicPartition
from strom.connect.rest.entities import ConnectorTaskId
from strom.connect.runtime.config_store import ConfigUpdateListener, KafkaConfigBackingStore
from strom.connect.runtime.status_store import KafkaStatusBackingStore, Status
from strom.testing.broker import BrokerProcess
from strom.testing.broker_fixtures import strom_broker  # noqa: F401


async def _raw(bootstrap: str, topic: str, n: int) -> list[tuple[bytes, bytes | None]]:
    c = AIOConsumer({"bootstrap.servers": bootstrap})
    try:
        await c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        out: list[tuple[bytes, bytes | None]] = []
        while len(out) < n:
            out += [(m.key(), m.value()) for m in await c.getmany(5.0)]
        return out
    finally:
        await c.close()


def test_config_store_between_two_workers(strom_broker: BrokerProcess) -> None:  # noqa: F811
    async def run() -> None:
        topic = f"connect-configs-{uuid.uuid4().hex[:8]}"
        conf = {"bootstrap.servers": strom_broker.bootstrap}
        seen: list[tuple[str, list[ConnectorTaskId]]] = []
        a = KafkaConfigBackingStore.for_topic(topic, conf, 1)
        b = KafkaConfigBackingStore.for_topic(topic, conf, 1, ConfigUpdateListener(on_task_config_update=lambda n, t: seen.append((n, t))))
        await a.start()
        await b.start()
        try:
            await a.put_connector_config("orders-sink", {"connector.class": "FileStreamSink", "topics": "orders"}, "PAUSED")
            await a.put_task_configs("orders-sink", [{"task.class": "x", "n": "0"}, {"task.class": "x", "n": "1"}])
            await b.refresh()
            snap = b.snapshot()
            assert snap.connector_configs["orders-sink"]["topics"] == "orders"
            assert snap.target_state("orders-sink") == "PAUSED"
            assert snap.tasks("orders-sink") == [ConnectorTaskId("orders-sink", 0), ConnectorTaskId("orders-sink", 1)]
            assert seen == [("orders-sink", [ConnectorTaskId("orders-sink", 0), ConnectorTaskId("orders-sink", 1)])]
            await a.remove_connector_config("orders-sink")
            await b.refresh()
            assert b.snapshot().connectors() == []
            records = await _raw(strom_broker.bootstrap, topic, 7)
            assert [k for k, _ in records] == [
                b"target-state-orders-sink",
                b"connector-orders-sink",
                b"task-orders-sink-0",
                b"task-orders-sink-1",
                b"commit-orders-sink",
                b"connector-orders-sink",
                b"target-state-orders-sink",
            ]
            assert records[0][1] == b'{"state":"PAUSED","state.v2":"PAUSED"}' and records[4][1] == b'{"tasks":2}'
            assert records[5][1] is None and records[6][1] is None
        finally:
            await a.stop()
            await b.stop()

    asyncio.run(asyncio.wait_for(run(), 120))


def test_status_store_generations(strom_broker: BrokerProcess) -> None:  # noqa: F811
    async def run() -> None:
        topic = f"connect-status-{uuid.uuid4().hex[:8]}"
        conf = {"bootstrap.servers": strom_broker.bootstrap}
        a = KafkaStatusBackingStore.for_topic(topic, conf, 5, 1)
        b = KafkaStatusBackingStore.for_topic(topic, conf, 5, 1)
        await a.start()
        await b.start()
        try:
            await a.put(Status("c", 0, "RUNNING", "w2:8083", 7))
            await b.refresh()
            # w1 was in generation 6: its late write must not hide w2's newer status
            await b.put_safe(Status("c", 0, "UNASSIGNED", "w1:8083", 6))
            assert b.get(ConnectorTaskId("c", 0)) == Status("c", 0, "RUNNING", "w2:8083", 7)
            await b.put(Status("c", None, "DESTROYED", "w1:8083", 8))
            await a.refresh()
            assert a.get("c") is None
        finally:
            await a.stop()
            await b.stop()

    asyncio.run(asyncio.wait_for(run(), 120))
