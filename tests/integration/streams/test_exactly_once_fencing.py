"""exactly_once_v2 when the thread's producer is fenced (another producer initialised its transactional id): the
thread closes its tasks dirty, rewinds to the committed offsets, gets a new producer and goes on; read_committed,
every word's counts are still exactly 1..n."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams, State
from strom.testing.broker import BrokerProcess
from tests.integration.streams.eos_word_count_app import topology

pytestmark = pytest.mark.slow


def test_a_fenced_thread_recovers_without_duplicates(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("f-lines", 2, 1), NewTopic("f-counts", 2, 1)]).values():
            f.result(30)
        admin.close()
        config = {
            "application.id": "fence",
            "bootstrap.servers": broker.bootstrap,
            "state.dir": str(tmp_path),
            "processing.guarantee": "exactly_once_v2",
        }
        streams = KafkaStreams(topology("f-lines", "f-counts"), config)
        streams.start()
        p = Producer({"bootstrap.servers": broker.bootstrap})
        lines = [f"a b w{i % 5}" for i in range(300)]
        try:
            deadline = time.monotonic() + 60
            while streams.state() != State.RUNNING:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            for line in lines[:150]:
                p.produce("f-lines", line.encode())
            p.flush(30)
            time.sleep(1.0)
            zombie_killer = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": streams.threads[0].transactional_id})
            zombie_killer.init_transactions(30)  # bumps the epoch: the stream thread's producer is fenced
            for line in lines[150:]:
                p.produce("f-lines", line.encode())
            p.flush(30)
            expected = Counter(w for line in lines for w in line.split())
            seen: dict[str, list[int]] = {}
            consumer = Consumer(
                {
                    "bootstrap.servers": broker.bootstrap,
                    "group.id": "f-check",
                    "auto.offset.reset": "earliest",
                    "isolation.level": "read_committed",
                }
            )
            consumer.subscribe(["f-counts"])
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and {w: v[-1] for w, v in seen.items()} != dict(expected):
                msg = consumer.poll(0.3)
                if msg is not None and msg.error() is None:
                    seen.setdefault(msg.key().decode(), []).append(int.from_bytes(msg.value(), "big"))
            consumer.close()
            zombie_killer.close()
            for word, n in expected.items():
                assert seen.get(word) == list(range(1, n + 1)), (word, seen.get(word, [])[:10])
            assert "being fenced" in caplog.text
        finally:
            streams.close(30)
