"""User and client-id configs in ZooKeeper, as Kafka 2.8 keeps them (the ZooKeeper EntityConfigStore).

/config/users/<user>, /config/clients/<client-id> and /config/users/<user>/clients/<client-id> hold
{"version":1,"config":{...}} (names sanitized, `<default>` for the defaults); each change also creates a
sequential /config/changes/config_change_ znode {"version":2,"entity_path":"users/alice"}. The broker's
ClusterMember watches /config/changes and hands user/client notifications to `reload`, so a quota or a
SCRAM credential set through any broker (or Kafka's own kafka-configs --zookeeper) applies here within
seconds. Reads come from the cache loaded at start-up.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping

from strom.cluster import zk_data as zd
from strom.cluster.metadata import ConfigEntity, apply_alteration
from strom.cluster.zookeeper import ZkClient, ZkNodeExists

log = logging.getLogger("kafka.server.DynamicConfigManager")

CONFIG_USERS = "/config/users"
CONFIG_CLIENTS = "/config/clients"


def entity_znode(entity: ConfigEntity) -> str:
    return f"/config/{entity.path}"


class ZkEntityConfigs:
    def __init__(self, zk: ZkClient) -> None:
        self.zk = zk
        self._cache: dict[str, dict[str, str]] = {}  # by ConfigEntity.path
        self._callbacks: list[Callable[[ConfigEntity], None]] = []
        self._lock = threading.Lock()

    # ---- blocking: start-up and the kazoo thread -----------------------------------------------------------

    def load(self) -> None:
        """Every user, client and user+client entity stored (blocking; at start-up, before listening)."""
        cache: dict[str, dict[str, str]] = {}
        for user in self.zk.children(CONFIG_USERS):
            self._load_into(cache, f"users/{user}")
            for client in self.zk.children(f"{CONFIG_USERS}/{user}/clients"):
                self._load_into(cache, f"users/{user}/clients/{client}")
        for client in self.zk.children(CONFIG_CLIENTS):
            self._load_into(cache, f"clients/{client}")
        with self._lock:
            self._cache = cache

    def _load_into(self, cache: dict[str, dict[str, str]], path: str) -> None:
        configs = self.read(path)
        if configs:
            cache[path] = configs

    def read(self, path: str) -> dict[str, str]:
        got = self.zk.get(f"/config/{path}")
        return zd.decode_topic_config(got[0]) if got else {}

    def write(self, entity: ConfigEntity, configs: dict[str, str]) -> None:
        """Kafka's AdminZkClient.changeConfigs for users and clients: the entity's znode (kept, even when
        emptied, as Kafka does) and a change notification."""
        path = entity_znode(entity)
        data = zd.encode_topic_config(configs)
        try:
            self.zk.create(path, data)
        except ZkNodeExists:
            self.zk.set(path, data)
        self.zk.create(zd.CONFIG_CHANGES + "/config_change_", zd.encode_config_change(entity.path), sequence=True)

    def reload(self, entity_path: str, loop: asyncio.AbstractEventLoop) -> None:
        """kazoo thread: a /config/changes notification named this entity; re-read it and apply on the loop."""
        try:
            entity = ConfigEntity.from_path(entity_path)
        except ValueError:
            log.warning("Ignoring config change notification for unknown entity path %s", entity_path)
            return
        configs = self.read(entity.path)
        loop.call_soon_threadsafe(self.apply, entity, configs)

    # ---- the event loop ---------------------------------------------------------------------------------

    def apply(self, entity: ConfigEntity, configs: dict[str, str]) -> None:
        with self._lock:
            if configs:
                self._cache[entity.path] = dict(configs)
            else:
                self._cache.pop(entity.path, None)
        log.info("Processed config change for %s", entity.path)
        for callback in self._callbacks:
            callback(entity)

    def get(self, entity: ConfigEntity) -> dict[str, str]:
        return dict(self._cache.get(entity.path, {}))

    def entities(self, entity_type: str | None = None) -> list[ConfigEntity]:
        with self._lock:
            paths = list(self._cache)
        found = [ConfigEntity.from_path(path) for path in paths]
        return [e for e in found if entity_type is None or e.entity_type == entity_type]

    async def alter(self, entity: ConfigEntity, set: Mapping[str, str], delete: Iterable[str] = ()) -> dict[str, str]:
        """Read-modify-write of the entity's znode in the executor (the current value comes from ZooKeeper, not
        the cache, so an alteration made through another broker a moment ago is kept), then applied here."""
        loop = asyncio.get_running_loop()
        configs = await loop.run_in_executor(None, functools.partial(self._alter_blocking, entity, dict(set), list(delete)))
        self.apply(entity, configs)
        return configs

    def _alter_blocking(self, entity: ConfigEntity, set: dict[str, str], delete: list[str]) -> dict[str, str]:
        configs = apply_alteration(self.read(entity.path), set, delete)
        self.write(entity, configs)
        return configs

    def on_change(self, callback: Callable[[ConfigEntity], None]) -> None:
        self._callbacks.append(callback)
