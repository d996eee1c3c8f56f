"""The embedded entity-config store and Kafka's entity paths (sanitized names, <default> entities)."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.broker.entity_configs import DEFAULT_ENTITY, ConfigEntity, LocalEntityConfigs, sanitize
from strom.cluster.metadata import LocalMetadataStore


@pytest.mark.parametrize(
    ("name", "sanitized"),
    [
        ("alice", "alice"),
        ("User:CN=a b,O=x", "User%3ACN%3Da%20b%2CO%3Dx"),  # Kafka: '+' for space becomes %20
        ("a*b~c", "a%2Ab%7Ec"),  # Java's URLEncoder keeps '*' (Kafka encodes it) and encodes '~'
        ("x.y-z_1", "x.y-z_1"),
        ("é", "%C3%A9"),
    ],
)
def test_sanitize_as_kafka(name: str, sanitized: str) -> None:
    assert sanitize(name) == sanitized


@given(user=st.one_of(st.none(), st.text(min_size=1)), client=st.one_of(st.none(), st.text(min_size=1)))
def test_entity_path_round_trips(user: str | None, client: str | None) -> None:
    if user is None and client is None:
        return
    entity = ConfigEntity(user, client)
    assert ConfigEntity.from_path(entity.path) == entity


def test_entity_paths() -> None:
    assert ConfigEntity(user="alice").path == "users/alice"
    assert ConfigEntity(client_id=DEFAULT_ENTITY).path == "clients/<default>"
    assert ConfigEntity("alice", "c 1").path == "users/alice/clients/c%201"
    assert ConfigEntity("<default>x").path == "users/%3Cdefault%3Ex"
    with pytest.raises(ValueError):
        ConfigEntity()
    with pytest.raises(ValueError):
        ConfigEntity.from_path("topics/t")


def test_local_store_alters_persists_and_notifies(tmp_path) -> None:
    store = LocalEntityConfigs(LocalMetadataStore(tmp_path, 0))
    seen: list[ConfigEntity] = []
    store.on_change(seen.append)
    alice = ConfigEntity(user="alice")
    both = ConfigEntity("alice", DEFAULT_ENTITY)

    async def alter() -> None:
        await store.alter(alice, {"producer_byte_rate": "1024", "consumer_byte_rate": "2048"})
        await store.alter(alice, {}, ["consumer_byte_rate"])
        await store.alter(both, {"request_percentage": "50"})
        await store.alter(ConfigEntity(client_id="gone"), {"a": "1"})
        await store.alter(ConfigEntity(client_id="gone"), {}, ["a"])

    asyncio.run(alter())
    assert seen[:3] == [alice, alice, both]
    reopened = LocalEntityConfigs(LocalMetadataStore(tmp_path, 0))
    assert reopened.get(alice) == {"producer_byte_rate": "1024"}
    assert reopened.get(both) == {"request_percentage": "50"}
    assert sorted(e.path for e in reopened.entities()) == ["users/alice", "users/alice/clients/<default>"]
    assert reopened.entities("users") == [alice]
    assert reopened.entities("users/clients") == [both]
    assert reopened.entities("clients") == []
