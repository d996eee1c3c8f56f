"""Java Kafka Streams 3.9 and Strom's Streams run the same stateful DSL programs (DslOutputs.java /
tests/unit/streams/dsl_output_programs.py) on a Strom broker, caches off: their changelog topics (a count's
timestamped key-value store, a windowed count's timestamped window store, a session count's session store) hold the
same records, byte for byte (keys, values, tombstones, timestamps, in order). Then each side's changelog restores
the other side's store: Strom's stores are rebuilt from Java's changelogs and answer what Java's output said."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer
from strom.admin import AdminClient
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.serdes import Serdes
from strom.streams.state.api import ValueAndTimestamp
from strom.streams.state.stores import Stores
from strom.testing.broker import BrokerProcess
from tests.integration.streams.test_dsl_java_on_broker import _inputs, _produce
from tests.integration.test_streams_dsl_java import JAVA, streams_libs
from tests.unit.streams.dsl_output_programs import CONFIG, PROGRAMS
from tests.unit.streams.state_context import ChangelogContext

pytestmark = [pytest.mark.java, pytest.mark.slow]

Record = tuple[bytes | None, bytes | None, int]


def _changelogs(bootstrap: str, app_id: str, timeout: float = 60) -> dict[str, list[Record]]:
    """Every changelog topic of the application (by store name) and its records in order."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = sorted(t for t in admin.list_topics(timeout=30).topics if t.startswith(f"{app_id}-") and t.endswith("-changelog"))
    admin.close()
    assert topics, f"no changelog topics of {app_id}"
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4()}", "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    c.subscribe(topics)
    out: dict[str, list[Record]] = {t[len(app_id) + 1 : -len("-changelog")]: [] for t in topics}
    deadline = time.monotonic() + timeout
    quiet_until = time.monotonic() + 5
    while time.monotonic() < deadline and (not all(out.values()) or time.monotonic() < quiet_until):
        for m in c.consume(100, 0.2):
            topic = m.topic()
            if m.error() is None and topic is not None:
                out[topic[len(app_id) + 1 : -len("-changelog")]].append((m.key(), m.value(), m.timestamp()[1]))
                quiet_until = time.monotonic() + 5
    c.close()
    return out


def _run_java(name: str, bootstrap: str, tmp_path: Path) -> None:
    subprocess.run(
        [
            "java",
            "-cp",
            f"{streams_libs()}/*",
            str(JAVA / "DslOutputs.java"),
            "--broker",
            name,
            bootstrap,
            f"java-{name}",
            str(tmp_path / "java"),
            "20",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def _run_strom(name: str, bootstrap: str, tmp_path: Path, expected: dict[str, list[Record]]) -> None:
    b = StreamsBuilder()
    PROGRAMS[name](b)
    config = {
        **CONFIG,
        "application.id": f"strom-{name}",
        "bootstrap.servers": bootstrap,
        "state.dir": str(tmp_path / "strom"),
        "statestore.cache.max.bytes": 0,
        "commit.interval.ms": 100,
        "consumer.auto.offset.reset": "earliest",
    }
    with KafkaStreams(b.build(), config) as streams:
        streams.start()
        deadline = time.monotonic() + 60
        want = sum(len(r) for r in expected.values())
        while time.monotonic() < deadline:
            time.sleep(2)
            # wait until the changelogs hold as many records as Java's
            if sum(len(r) for r in _changelogs(bootstrap, f"strom-{name}", timeout=10).values()) >= want:
                break


def _restore(builder: Any, records: list[Record], tmp_path: Path) -> Any:
    store = builder.with_logging_disabled().build()
    context = ChangelogContext(tmp_path)
    store.init(context, store)
    _, callback = context.registered[store.name]
    callback([(k, v, ts) for k, v, ts in records if k is not None])
    return store


@pytest.mark.parametrize("name", ["wordcount", "windowed", "session"])
def test_same_changelogs_as_java_and_they_restore(name: str, tmp_path: Path) -> None:
    rows = _inputs(name)
    with BrokerProcess() as broker:
        _produce(broker.bootstrap, rows)
        _run_java(name, broker.bootstrap, tmp_path)
        java = _changelogs(broker.bootstrap, f"java-{name}")
        _run_strom(name, broker.bootstrap, tmp_path, java)
        ours = _changelogs(broker.bootstrap, f"strom-{name}")
    assert set(ours) == set(java)
    for store, records in java.items():
        assert ours[store] == records, store

    # Java's changelog rebuilds Strom's store of the same kind.
    ((store_name, records),) = java.items()
    s, long = Serdes.String(), Serdes.Long()
    if name == "wordcount":
        kv = _restore(
            Stores.timestamped_key_value_store_builder(Stores.persistent_timestamped_key_value_store(store_name), s, long),
            records,
            tmp_path / "kv",
        )
        latest = {k.decode(): (int.from_bytes(v, "big"), ts) for k, v, ts in records if k is not None and v is not None}
        assert {kv_.key: kv_.value for kv_ in kv.all()} == {k: ValueAndTimestamp(c, ts) for k, (c, ts) in latest.items()}
        kv.close()
    elif name == "windowed":
        size = 10
        ws = _restore(
            Stores.timestamped_window_store_builder(Stores.persistent_timestamped_window_store(store_name, 10**9, size, False), s, long),
            records,
            tmp_path / "w",
        )
        got = {(kv_.key.key, kv_.key.window.start_ms): kv_.value.value for kv_ in ws.all()}
        latest_w = {(k[:-12].decode(), int.from_bytes(k[-12:-4], "big")): int.from_bytes(v, "big") for k, v, _ in records if k and v}
        assert got == latest_w
        ws.close()
    else:
        ss = _restore(Stores.session_store_builder(Stores.persistent_session_store(store_name, 10**9), s, long), records, tmp_path / "s")
        live: dict[bytes, bytes] = {}
        for k, v, _ in records:
            if k is not None:
                if v is None:
                    live.pop(k, None)
                else:
                    live[k] = v
        got_s = {(kv_.key.key, kv_.key.window.start_ms, kv_.key.window.end_ms): kv_.value for kv_ in ss.fetch_range(None, None)}
        assert got_s == {
            (k[:-16].decode(), int.from_bytes(k[-8:], "big"), int.from_bytes(k[-16:-8], "big")): int.from_bytes(v, "big")
            for k, v in live.items()
        }
        ss.close()
