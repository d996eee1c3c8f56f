"""Java Kafka Streams 3.9 and Strom's Streams run the same suppress and foreign-key join programs (DslOutputs.java /
tests/unit/streams/dsl_output_programs.py) on a Strom broker, caches off: the suppress buffer's changelog and the
foreign-key join's subscription store changelog, subscription-registration and subscription-response topics hold
the same records (keys and values byte for byte, the application id aside), so either side's instance restores
and reads the other's. Java's suppress changelog rebuilds Strom's buffer."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from strom import Consumer
from strom.admin import AdminClient
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.internals.suppress import TimeOrderedBufferBuilder
from strom.streams.serdes import Serdes, WindowedSerdes
from strom.streams.state.internals.buffer_value import BufferValue
from strom.testing.broker import BrokerProcess
from tests.integration.streams.test_dsl_java_on_broker import _inputs, _produce
from tests.integration.streams.test_state_changelogs_java import _run_java
from tests.unit.streams.dsl_output_programs import CONFIG, PROGRAMS
from tests.unit.streams.state_context import ChangelogContext

pytestmark = [pytest.mark.java, pytest.mark.slow]

Record = tuple[bytes | None, bytes | None, int]


def _internal(bootstrap: str, app_id: str, quiet: float = 5, timeout: float = 60) -> dict[str, list[Record]]:
    """Every internal topic of the application, without its application id, and its records in order."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = sorted(t for t in admin.list_topics(timeout=30).topics if t.startswith(f"{app_id}-"))
    admin.close()
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4()}", "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    c.subscribe(topics)
    out: dict[str, list[Record]] = {t[len(app_id) + 1 :]: [] for t in topics}
    deadline = time.monotonic() + timeout
    quiet_until = time.monotonic() + quiet
    while time.monotonic() < deadline and time.monotonic() < quiet_until:
        for m in c.consume(100, 0.2):
            topic = m.topic()
            if m.error() is None and topic is not None:
                out[topic[len(app_id) + 1 :]].append((m.key(), m.value(), m.timestamp()[1]))
                quiet_until = time.monotonic() + quiet
    c.close()
    return out


def _run_strom(name: str, bootstrap: str, tmp_path: Path, want: int) -> None:
    b = StreamsBuilder()
    PROGRAMS[name](b)
    config = {
        **CONFIG,
        "application.id": f"strom-{name}",
        "bootstrap.servers": bootstrap,
        "state.dir": str(tmp_path / "strom"),
        "statestore.cache.max.bytes": 0,
        "commit.interval.ms": 100,
        "repartition.purge.interval.ms": 3_600_000,  # the repartition topics are compared after the run
        "consumer.auto.offset.reset": "earliest",
    }
    with KafkaStreams(b.build(), config) as streams:
        streams.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(2)
            if sum(len(r) for r in _internal(bootstrap, f"strom-{name}", quiet=1, timeout=10).values()) >= want:
                break


def _last_state(records: list[Record]) -> dict[bytes | None, bytes]:
    live: dict[bytes | None, bytes] = {}
    for k, v, _ in records:
        if v is None:
            live.pop(k, None)
        else:
            live[k] = v
    return live


@pytest.mark.parametrize("name", ["suppress", "fk_join"])
def test_internal_topics_hold_javas_records(name: str, tmp_path: Path) -> None:
    with BrokerProcess() as broker:
        _produce(broker.bootstrap, _inputs(name))
        _run_java(name, broker.bootstrap, tmp_path)
        java = _internal(broker.bootstrap, f"java-{name}")
        _run_strom(name, broker.bootstrap, tmp_path, sum(len(r) for r in java.values()))
        ours = _internal(broker.bootstrap, f"strom-{name}")
    assert set(ours) == set(java)
    for topic, records in java.items():
        if "SUPPRESS" in topic:
            # the buffer logs the keys changed since the last commit, with the clock as timestamp: what it holds
            # after each commit depends on when commits happen, so the buffers' last states are compared
            assert _last_state(ours[topic]) == _last_state(records), topic
        else:
            assert ours[topic] == records, topic
    if name == "suppress":
        ((topic, records),) = [(t, r) for t, r in java.items() if "SUPPRESS" in t]
        buffer = TimeOrderedBufferBuilder(topic[: -len("-changelog")]).build()
        context = ChangelogContext(tmp_path / "restore")
        buffer.init(context, buffer)
        _, restore = context.registered[buffer.name]
        restore([r for r in records if r[0] is not None])
        buffer.set_serdes(WindowedSerdes.time_windowed_serde_from(Serdes.String(), 10), Serdes.Long())
        live = _last_state(records)
        assert live and buffer.num_records() == len(live)
        assert {BufferValue.deserialize(v)[0].new for v in live.values()} == {(1).to_bytes(8, "big")}
