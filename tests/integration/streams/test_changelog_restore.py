"""A store restored from a changelog whose fetched batches overwrite and delete keys (tombstones next to the puts
they delete, keys put again after a delete): the restored store equals the changelog applied in order, for the
in-memory store and the persistent one. Under exactly_once_v2 the changelog also holds an aborted transaction
(its puts and tombstones must not reach the store) and ends on a commit marker (the restore must still finish)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strom import Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams, QueryableStoreTypes, State, StoreQueryParameters
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Consumed, Materialized
from strom.streams.serdes import Serdes
from strom.streams.state.stores import Stores
from strom.testing.broker import BrokerProcess

PARTITIONS = 2


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess() as b:
        yield b


def _changelog(seed: int, n: int = 4000) -> list[tuple[bytes, bytes | None]]:
    """Puts, overwrites and tombstones over 300 keys, a tombstone right behind the put it deletes now and then."""
    rng = random.Random(seed)
    out: list[tuple[bytes, bytes | None]] = []
    for i in range(n):
        key = f"k{rng.randrange(300):03d}".encode()
        if rng.random() < 0.2:
            out.append((key, None))
        else:
            out.append((key, f"v{i}".encode()))
            if rng.random() < 0.05:
                out += [(key, None), (key, f"w{i}".encode()) if rng.random() < 0.5 else (key, None)]
    return out


def _apply(records: list[tuple[bytes, bytes | None]]) -> dict[str, str]:
    model: dict[str, str] = {}
    for key, value in records:
        if value is None:
            model.pop(key.decode(), None)
        else:
            model[key.decode()] = value.decode()
    return model


def _produce(producer: Producer, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    for i, (key, value) in enumerate(records):
        producer.produce(topic, value, key, timestamp=1_700_000_000_000 + i)


def _restored(bootstrap: str, app_id: str, state_dir: Path, supplier: Any, guarantee: str) -> tuple[dict[str, str], list[str]]:
    s = Serdes.String()
    b = StreamsBuilder()
    b.stream(f"{app_id}-in", Consumed.with_(s, s)).group_by_key().reduce(
        lambda _, new: new, materialized=Materialized.as_(supplier).with_key_serde(s).with_value_serde(s)
    )
    config = {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "state.dir": str(state_dir),
        "processing.guarantee": guarantee,
    }
    streams = KafkaStreams(b.build(), config)
    streams.start()
    try:
        deadline = time.monotonic() + 60
        while streams.state() != State.RUNNING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert streams.state() == State.RUNNING
        store = streams.store(StoreQueryParameters.from_store_name("store", QueryableStoreTypes.key_value_store()))
        entries = [(kv.key, kv.value) for kv in store.all()]
        return dict(entries), [k for k, _ in entries]
    finally:
        streams.close(30)


@pytest.mark.parametrize(
    ("store", "guarantee"), [("in_memory", "at_least_once"), ("persistent", "exactly_once_v2")], ids=["in_memory", "persistent-eos"]
)
def test_restore_applies_the_changelog_in_order(broker: BrokerProcess, tmp_path: Path, store: str, guarantee: str) -> None:
    app_id = f"restore-{store}"
    changelog = f"{app_id}-store-changelog"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topics = [NewTopic(f"{app_id}-in", PARTITIONS, 1), NewTopic(changelog, PARTITIONS, 1, config={"cleanup.policy": "compact"})]
    for f in admin.create_topics(topics).values():
        f.result(30)
    admin.close()
    records = _changelog(seed=len(store))
    if guarantee == "exactly_once_v2":
        producer = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": f"{app_id}-writer", "linger.ms": 50})
        producer.init_transactions(30)
        committed = records[: len(records) // 2], records[len(records) // 2 :]
        producer.begin_transaction()
        _produce(producer, changelog, committed[0])
        producer.commit_transaction(30)
        producer.begin_transaction()  # a zombie's writes: values no committed record has, and deletes of live keys
        _produce(producer, changelog, [(k, b"aborted") for k, _ in records[:500]] + [(k, None) for k, _ in records[-500:]])
        producer.flush(30)
        producer.abort_transaction(30)
        producer.begin_transaction()
        _produce(producer, changelog, committed[1])
        producer.commit_transaction(30)  # the changelog ends on this commit marker
    else:
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 50})
        _produce(producer, changelog, records)
        producer.flush(30)
    producer.close()
    supplier = Stores.in_memory_key_value_store("store") if store == "in_memory" else Stores.persistent_key_value_store("store")
    got, keys = _restored(broker.bootstrap, app_id, tmp_path, supplier, guarantee)
    expected = _apply(records)
    assert got == expected
    assert sorted(keys) == sorted(expected)  # each key once
