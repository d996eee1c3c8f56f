"""Exactly-once source delivery (KIP-618) on a Strom broker: records and their source offsets committed in one
transaction, an aborted transaction's records invisible to read_committed consumers and its offsets not stored,
and a restarted task resuming from the last committed offsets."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from strom import Consumer
from strom.connect.api import ConfigDef, ConnectorTransactionBoundaries, SourceConnector, SourceRecord, SourceTask, Task
from strom.connect.data import Schema
from strom.connect.plugins import Plugins
from strom.connect.rest.entities import ConnectorTaskId, State, TargetState
from strom.connect.runtime.exactly_once_worker_source_task import ExactlyOnceWorkerSourceTask
from strom.connect.runtime.kafka_offset_store import KafkaOffsetBackingStore
from strom.connect.runtime.offset_store import OffsetStorageReader
from strom.connect.runtime.worker import Worker, WorkerConfig
from strom.testing.broker import BrokerProcess

TOPIC = "eos-out"


class CountingSource(SourceConnector):
    """Two records per poll, numbered from the stored offset; the batch holding `abort.at` is aborted."""

    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return CountingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def can_define_transaction_boundaries(self, connector_config: Mapping[str, str]) -> ConnectorTransactionBoundaries:
        return ConnectorTransactionBoundaries.SUPPORTED

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return ConfigDef()


class CountingTask(SourceTask):
    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        stored = self.context.offset_storage_reader().offset({"source": "counter"})
        self.next = 0 if stored is None else int(stored["n"]) + 1
        self.last = int(props["last"])
        self.abort_at = int(props.get("abort.at", "-1"))

    def poll(self) -> list[SourceRecord] | None:
        if self.next > self.last:
            time.sleep(0.05)
            return None
        batch = [
            SourceRecord({"source": "counter"}, {"n": n}, TOPIC, 0, None, None, Schema.STRING_SCHEMA, f"r{n}")
            for n in range(self.next, min(self.next + 2, self.last + 1))
        ]
        self.next += len(batch)
        txn = self.context.transaction_context()
        assert txn is not None
        if any(int(r.source_offset["n"]) == self.abort_at for r in batch if r.source_offset):
            txn.abort_transaction()
        else:
            txn.commit_transaction()
        return batch

    def stop(self) -> None:
        pass


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def worker(strom_broker: BrokerProcess) -> Iterator[tuple[Worker, dict[ConnectorTaskId, State]]]:
    loop = LoopThread()
    store = KafkaOffsetBackingStore("eos-offsets", {"bootstrap.servers": strom_broker.bootstrap}, 1, 1)
    loop.run(store.start_async())
    states: dict[ConnectorTaskId, State] = {}
    config = WorkerConfig(
        {"bootstrap.servers": strom_broker.bootstrap, "group.id": "eos-cluster", "exactly.once.source.support": "enabled"}
    )
    w = Worker("w1", config, Plugins(), store, lambda *a: None, lambda tid, state, trace: states.__setitem__(tid, state))
    yield w, states
    w.stop()
    loop.run(store.stop_async())
    loop.close()


def consume(bootstrap: str, isolation: str, expected: int) -> list[str]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"eos-check-{isolation}-{time.monotonic()}", "auto.offset.reset": "earliest",
         "isolation.level": isolation}
    )  # fmt: skip
    consumer.subscribe([TOPIC])
    values: list[str] = []
    deadline = time.monotonic() + 30
    while len(values) < expected and time.monotonic() < deadline:
        msg = consumer.poll(0.3)
        if msg is not None and msg.error() is None:
            values.append(msg.value().decode())
    consumer.close()
    return values


def run_task(w: Worker, states: dict[ConnectorTaskId, State], last: int, batches: int, abort_at: int = -1) -> ExactlyOnceWorkerSourceTask:
    config = {
        "name": "eos",
        "connector.class": f"{__name__}.CountingSource",
        "transaction.boundary": "connector",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "last": str(last),
        "abort.at": str(abort_at),
    }
    assert w.validate_connector_config(config)[0].error_count == 0  # KIP-618's preflight checks pass
    w.start_connector("eos", config, TargetState.STARTED)
    (task_config,) = w.connector_task_configs("eos")
    task_id = ConnectorTaskId("eos", 0)
    assert w.start_task(task_id, config, task_config, TargetState.STARTED)
    task = w.tasks[task_id].task
    assert isinstance(task, ExactlyOnceWorkerSourceTask)
    deadline = time.monotonic() + 30
    while task.committed_transactions + task.aborted_transactions < batches and time.monotonic() < deadline:
        assert states.get(task_id) is not State.FAILED
        time.sleep(0.05)
    w.stop_and_await_tasks([task_id])
    w.stop_connector("eos")
    return task


def test_records_and_offsets_commit_together_and_aborts_vanish(worker: tuple[Worker, dict[ConnectorTaskId, State]]) -> None:
    w, states = worker
    bootstrap = w.config.props["bootstrap.servers"]
    task = run_task(w, states, last=7, batches=4, abort_at=4)  # batches [0,1] [2,3] [4,5] (aborted) [6,7]
    assert (task.committed_transactions, task.aborted_transactions) == (3, 1)
    assert consume(bootstrap, "read_committed", 6) == ["r0", "r1", "r2", "r3", "r6", "r7"]
    assert OffsetStorageReader(w.offset_store, "eos").offset({"source": "counter"}) == {"n": 7}
    # a restarted task (fencing the old transactional id) resumes after the last committed offset
    again = run_task(w, states, last=9, batches=1)
    assert (again.committed_transactions, again.aborted_transactions) == (1, 0)
    assert consume(bootstrap, "read_committed", 8) == ["r0", "r1", "r2", "r3", "r6", "r7", "r8", "r9"]
    assert OffsetStorageReader(w.offset_store, "eos").offset({"source": "counter"}) == {"n": 9}
