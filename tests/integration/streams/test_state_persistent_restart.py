"""A persistent (LMDB) store across a restart on the same state directory: the clean close writes the task's
.checkpoint in Java's format, the restarted instance restores only the changelog written after it (nothing here)
and counts on from the counts on disk, without counting a record twice."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams, QueryableStoreTypes, State, StoreQueryParameters
from strom.streams.state.offset_checkpoint import OffsetCheckpoint
from strom.testing.broker import BrokerProcess
from tests.integration.streams.eos_word_count_app import topology as word_count

pytestmark = pytest.mark.slow


def _produce(bootstrap: str, words: list[str]) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for w in words:
        p.produce("words", w.encode(), key=w.encode())
    p.flush(30)
    p.close()


def _run_until(bootstrap: str, state_dir: Path, expected: dict[str, int]) -> dict[str, int]:
    config: dict[str, Any] = {
        "application.id": "persist",
        "bootstrap.servers": bootstrap,
        "state.dir": str(state_dir),
        "commit.interval.ms": 100,
    }
    streams = KafkaStreams(word_count("words", "counts-out"), config)
    streams.start()
    try:
        deadline = time.monotonic() + 60
        got: dict[str, int] = {}
        while time.monotonic() < deadline:
            if streams.state() == State.RUNNING:
                store = streams.store(StoreQueryParameters.from_store_name("counts", QueryableStoreTypes.key_value_store()))
                got = dict(store.all())
                if got == expected:
                    break
            time.sleep(0.1)
        return got
    finally:
        assert streams.close(30)


def test_persistent_store_restarts_from_its_checkpoint(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "org.apache.kafka.streams.processor.internals.StoreChangelogReader")
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("words", 1, 1), NewTopic("counts-out", 1, 1)]).values():
            f.result(30)
        admin.close()
        _produce(broker.bootstrap, ["a", "b", "a"] * 50)
        assert _run_until(broker.bootstrap, tmp_path, {"a": 100, "b": 50}) == {"a": 100, "b": 50}
        task_dirs = [d for d in (tmp_path / "persist").iterdir() if d.is_dir() and (d / "lmdb" / "counts").is_dir()]
        assert len(task_dirs) == 1
        checkpoint = OffsetCheckpoint(task_dirs[0] / ".checkpoint").read()
        assert checkpoint == {("persist-counts-changelog", 0): 149}  # 150 changelog records, offsets 0..149

        caplog.clear()
        _produce(broker.bootstrap, ["b", "c"])
        assert _run_until(broker.bootstrap, tmp_path, {"a": 100, "b": 51, "c": 1}) == {"a": 100, "b": 51, "c": 1}
        restoring = re.findall(r"Restoring changelog persist-counts-changelog-0 from offset (\d+)", caplog.text)
        # Nothing before the checkpoint is read again (Java starts after the checkpointed offset).
        assert all(int(offset) >= 149 for offset in restoring), caplog.text
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "check", "auto.offset.reset": "earliest"})
        c.subscribe(["counts-out"])
        out: list[tuple[bytes, int]] = []
        deadline = time.monotonic() + 30
        while len(out) < 152 and time.monotonic() < deadline:
            for m in c.consume(200, 0.2):
                if m.error() is None:
                    out.append((m.key(), int.from_bytes(m.value(), "big")))
        c.close()
        # Every word counted once: the output counts each key up 1, 2, 3, ... with no repeat.
        for key in (b"a", b"b", b"c"):
            counts = [v for k, v in out if k == key]
            assert counts == list(range(1, len(counts) + 1)), key
