"""User and client configs in ZooKeeper: Kafka 2.8's znodes, JSON and change notifications."""

from __future__ import annotations

import asyncio
import json

from strom.broker.entity_configs import DEFAULT_ENTITY, ConfigEntity
from strom.cluster import zk_data as zd
from strom.cluster.zk_entity_configs import ZkEntityConfigs
from strom.cluster.zookeeper import ZkClient
from strom.testing.zookeeper import ZooKeeperProcess


def test_znodes_and_notifications_as_kafka(zookeeper: ZooKeeperProcess) -> None:
    zk = ZkClient(f"{zookeeper.connect}/strom-entity-configs", 10000)
    zk.start()
    try:
        for path in zd.PERSISTENT_PATHS:
            zk.ensure_path(path)
        store = ZkEntityConfigs(zk)
        store.load()
        both = ConfigEntity("User:CN=a b", DEFAULT_ENTITY)

        async def alter() -> None:
            await store.alter(ConfigEntity(user="alice"), {"producer_byte_rate": "1048576"})
            await store.alter(both, {"consumer_byte_rate": "2048"})
            await store.alter(ConfigEntity(client_id="c1"), {"request_percentage": "25"})
            await store.alter(ConfigEntity(client_id="c1"), {}, ["request_percentage"])

        asyncio.run(alter())
        data, _ = zk.get("/config/users/alice") or (b"", None)
        assert json.loads(data) == {"version": 1, "config": {"producer_byte_rate": "1048576"}}
        data, _ = zk.get("/config/users/User%3ACN%3Da%20b/clients/<default>") or (b"", None)
        assert json.loads(data) == {"version": 1, "config": {"consumer_byte_rate": "2048"}}
        data, _ = zk.get("/config/clients/c1") or (b"", None)
        assert json.loads(data) == {"version": 1, "config": {}}  # emptied, kept as Kafka keeps it
        changes = [json.loads((zk.get(f"{zd.CONFIG_CHANGES}/{n}") or (b"", None))[0]) for n in zk.children(zd.CONFIG_CHANGES)]
        assert {"version": 2, "entity_path": "users/User%3ACN%3Da%20b/clients/<default>"} in changes
        assert {"version": 2, "entity_path": "users/alice"} in changes
        fresh = ZkEntityConfigs(zk)
        fresh.load()
        assert fresh.get(both) == {"consumer_byte_rate": "2048"}
        assert sorted(e.path for e in fresh.entities()) == ["users/User%3ACN%3Da%20b/clients/<default>", "users/alice"]
    finally:
        zk.close()
