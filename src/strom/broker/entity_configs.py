"""The one store of user and client-id configs: quotas (producer_byte_rate, ...) and SCRAM credentials.

Kafka keeps them per entity -- /config/users/<user>, /config/clients/<client-id>,
/config/users/<user>/clients/<client-id>, with `<default>` entities -- and every broker applies a change
within seconds. `EntityConfigStore` is that store as the broker's components see it; two implementations,
chosen once by the composition root: `LocalEntityConfigs` (here: the embedded broker's metadata file) and
`ZkEntityConfigs` (cluster/zk_entity_configs.py: Kafka 2.8's znodes and /config/changes notifications).

Reads come from memory and are cheap (the quota manager and the SASL authenticator call them on the event
loop); `alter` persists (ZooKeeper: in the executor) and then updates the cache of this broker at once.
Callbacks registered with `on_change` run on the event loop after an entity's configs changed, here or
(ZooKeeper mode) on any broker. Validation of keys and values is the caller's job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from strom.cluster.metadata import DEFAULT_ENTITY, ConfigEntity, LocalMetadataStore, apply_alteration, desanitize, sanitize

__all__ = [
    "DEFAULT_ENTITY",
    "ConfigEntity",
    "EntityConfigStore",
    "LocalEntityConfigs",
    "desanitize",
    "sanitize",
]

log = logging.getLogger("kafka.server.ConfigAdminManager")

ChangeCallback = Callable[[ConfigEntity], None]
"""Called on the event loop with the entity whose configs changed."""


class EntityConfigStore(Protocol):
    def get(self, entity: ConfigEntity) -> dict[str, str]:
        """The entity's stored configs (a copy; empty when it has none)."""
        ...

    def entities(self, entity_type: str | None = None) -> list[ConfigEntity]:
        """Every entity with configs; entity_type "users" keeps user-only entities, "clients" client-only
        ones, "users/clients" user+client ones, None all."""
        ...

    async def alter(self, entity: ConfigEntity, set: Mapping[str, str], delete: Iterable[str] = ()) -> dict[str, str]:
        """Sets and deletes keys of one entity, persists, notifies; returns the entity's new configs."""
        ...

    def on_change(self, callback: ChangeCallback) -> None: ...


class LocalEntityConfigs:
    """Embedded mode: the entities live in the broker's cluster metadata file (LocalMetadataStore), written
    atomically on each change. One broker, so a change applies where it is made."""

    def __init__(self, store: LocalMetadataStore) -> None:
        self._store = store
        self._callbacks: list[ChangeCallback] = []

    def get(self, entity: ConfigEntity) -> dict[str, str]:
        return dict(self._store.entity_configs.get(entity.path, {}))

    def entities(self, entity_type: str | None = None) -> list[ConfigEntity]:
        found = [ConfigEntity.from_path(path) for path, configs in self._store.entity_configs.items() if configs]
        return [e for e in found if entity_type is None or e.entity_type == entity_type]

    async def alter(self, entity: ConfigEntity, set: Mapping[str, str], delete: Iterable[str] = ()) -> dict[str, str]:
        configs = apply_alteration(self.get(entity), dict(set), list(delete))
        self._store.set_entity_configs(entity.path, configs)
        log.info("Processed config change for %s", entity.path)
        for callback in self._callbacks:
            callback(entity)
        return configs

    def on_change(self, callback: ChangeCallback) -> None:
        self._callbacks.append(callback)
