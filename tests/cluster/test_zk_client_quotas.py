"""A quota set through one broker applies on another within seconds (ZooKeeper /config/changes), stored as
Kafka 2.8 stores it."""

from __future__ import annotations

import asyncio
import json
import time

from strom.protocol.schema.alter_client_quotas import AlterClientQuotasRequest, EntityData, EntryData, OpData
from strom.protocol.schema.describe_client_quotas import ComponentData, DescribeClientQuotasRequest
from strom.transport.connection import BrokerConnection

from .conftest import wait_until


def _send(port: int, request):
    async def run():
        conn = BrokerConnection("127.0.0.1", port)
        await conn.connect()
        try:
            return await conn.send(request, version=1)
        finally:
            conn.close()

    return asyncio.run(run())


def _quotas_on(port: int) -> dict:
    response = _send(port, DescribeClientQuotasRequest(components=[ComponentData(entity_type="user", match_type=2)]))
    return {e.entity[0].entity_name: {v.key: v.value for v in e.values} for e in response.entries}


def test_quota_set_on_one_broker_applies_on_the_other(cluster_factory) -> None:
    cluster = cluster_factory(2)
    one, two = cluster.brokers[0].port, cluster.brokers[1].port
    entity = [EntityData(entity_type="user", entity_name="User:CN=alice")]
    set_rate = OpData(key="producer_byte_rate", value=1048576)
    altered = _send(one, AlterClientQuotasRequest(entries=[EntryData(entity=entity, ops=[set_rate])]))
    assert [e.error_code for e in altered.entries] == [0]
    started = time.monotonic()
    wait_until(lambda: _quotas_on(two) == {"User:CN=alice": {"producer_byte_rate": 1048576.0}}, timeout=10, message="quota on broker 1")
    assert time.monotonic() - started < 10
    data, _ = cluster.zk_client().get("/config/users/User%3ACN%3Dalice")
    assert json.loads(data) == {"version": 1, "config": {"producer_byte_rate": "1048576"}}
    removed = _send(two, AlterClientQuotasRequest(entries=[EntryData(entity=entity, ops=[OpData(key="producer_byte_rate", remove=True)])]))
    assert [e.error_code for e in removed.entries] == [0]
    wait_until(lambda: _quotas_on(one) == {}, timeout=10, message="quota removed on broker 0")
