"""Two instances of a word count share its tasks; with num.standby.replicas=1 each keeps a warm copy of the other's
stores. When one closes, the other takes its tasks over and restores only what its standby had not read yet."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from strom import Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams, QueryableStoreTypes, State, StoreQueryParameters
from strom.streams.serdes import Serdes
from strom.testing.broker import BrokerProcess
from tests.integration.streams.eos_word_count_app import topology as word_count

pytestmark = pytest.mark.slow


def _wait(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_standbys_take_over_with_their_state(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "org.apache.kafka.streams.processor.internals.StoreChangelogReader")
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("sb-lines", 2, 1), NewTopic("sb-counts", 2, 1)]).values():
            f.result(30)
        admin.close()
        p = Producer({"bootstrap.servers": broker.bootstrap})
        for i in range(400):
            p.produce("sb-lines", f"a b c{i % 7}".encode(), key=str(i).encode())
        p.flush(30)

        def instance(name: str) -> KafkaStreams:
            config = {
                "application.id": "sb",
                "bootstrap.servers": broker.bootstrap,
                "state.dir": str(tmp_path / name),
                "num.standby.replicas": 1,
                "commit.interval.ms": 100,
                "application.server": f"{name}:1",
            }
            return KafkaStreams(word_count("sb-lines", "sb-counts"), config)

        first, second = instance("first"), instance("second")
        first.start()
        second.start()
        try:

            def tasks(s: KafkaStreams, kind: str) -> set[str]:
                return {str(t.task_id) for th in s.metadata_for_local_threads() for t in getattr(th, kind)}

            _wait(lambda: first.state() == State.RUNNING and second.state() == State.RUNNING and tasks(first, "active_tasks") != set())
            _wait(lambda: {"1_0", "1_1"} <= tasks(first, "active_tasks") | tasks(second, "active_tasks"))
            # every stateful task (subtopology 1: the counts) has a standby on the other instance
            _wait(lambda: {t for t in tasks(first, "active_tasks") if t.startswith("1_")} == tasks(second, "standby_tasks"))
            assert {t for t in tasks(second, "active_tasks") if t.startswith("1_")} == tasks(first, "standby_tasks")
            meta = second.query_metadata_for_key("counts", "a", Serdes.String().serializer())
            assert meta.active_host.host in ("first", "second") and len(meta.standby_hosts) == 1
            store = second.store(StoreQueryParameters.from_store_name("counts", QueryableStoreTypes.key_value_store()))
            _wait(
                lambda: (
                    sum(
                        v
                        for _, v in first.store(StoreQueryParameters.from_store_name("counts", QueryableStoreTypes.key_value_store())).all()
                    )
                    + sum(v for _, v in store.all())
                    == 1200
                )
            )
            moved = {t for t in tasks(first, "active_tasks") if t.startswith("1_")}
            caplog.clear()
            assert first.close(30)
            _wait(lambda: moved <= tasks(second, "active_tasks") and second.state() == State.RUNNING)
            assert dict(store.all())["a"] == 400 and dict(store.all())["b"] == 400
            restores = [r.getMessage() for r in caplog.records if "Restoring changelog sb-counts-changelog" in r.getMessage()]
            assert all(" from offset 0 " not in m for m in restores), restores  # the standbys had the state
        finally:
            first.close(30)
            second.close(30)
