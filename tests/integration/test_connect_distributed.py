"""Distributed Connect workers (strom.cli.connect_distributed) on a Strom broker: two workers form a group,
either answers the REST API (writes forwarded to the leader), connectors and tasks spread over them, the config,
status and offset topics hold Kafka's records, and a worker that stops hands its work to the other once
scheduled.rebalance.max.delay.ms has passed, resuming from the committed source offsets."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from strom import Consumer
from strom.cli.connect_distributed import run_distributed
from strom.connect.api import ConfigDef, SourceConnector, SourceRecord, SourceTask, Task
from strom.connect.data import Schema
from strom.testing.broker import BrokerProcess, free_port


class Worker:
    def __init__(self, bootstrap: str, group: str, extra: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.props = {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "config.storage.topic": f"{group}-configs",
            "offset.storage.topic": f"{group}-offsets",
            "status.storage.topic": f"{group}-status",
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "offset.storage.partitions": "5",
            "status.storage.partitions": "2",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.flush.interval.ms": "300",
            "heartbeat.interval.ms": "300",
            "session.timeout.ms": "6000",
            "scheduled.rebalance.max.delay.ms": "1500",
            "listeners": f"http://127.0.0.1:{self.port}",
            **(extra or {}),
        }
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.result: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.http = httpx.Client(base_url=self.url, timeout=60)
        wait_for(self._up, 60, "REST API up")

    def _up(self) -> bool:
        try:
            return self.http.get("/connectors").status_code == 200
        except httpx.TransportError:
            return False

    def _run(self) -> None:
        async def main() -> int:
            self.stop_event = asyncio.Event()
            return await run_distributed(self.props, self.stop_event)

        self.result.append(self.loop.run_until_complete(main()))

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.http.close()
        if self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(60)
        if not self.thread.is_alive():
            self.loop.close()


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status(w: Worker, name: str) -> dict[str, Any]:
    r = w.http.get(f"/connectors/{name}/status")
    return r.json() if r.status_code == 200 else {}


def running(w: Worker, name: str, tasks: int) -> dict[str, Any] | None:
    s = status(w, name)
    if s and s["connector"]["state"] == "RUNNING" and [t["state"] for t in s["tasks"]] == ["RUNNING"] * tasks:
        return s
    return None


@pytest.fixture(scope="module")
def cluster(strom_broker: BrokerProcess) -> Iterator[list[Worker]]:
    group = f"connect-{uuid.uuid4().hex[:6]}"
    workers = [Worker(strom_broker.bootstrap, group), Worker(strom_broker.bootstrap, group)]
    yield workers
    for w in workers:
        w.close()


def test_two_workers_share_work_and_forward_writes(cluster: list[Worker], tmp_path: Path) -> None:
    w1, w2 = cluster
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("a\nb\n")
    topic = f"dist-{uuid.uuid4().hex[:6]}"
    # both workers accept writes: the non-leader forwards them to the leader
    src_config = {"connector.class": "FileStreamSource", "file": str(src), "topic": topic}
    r = w1.http.post("/connectors", json={"name": "src", "config": src_config})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "src" and r.json()["type"] == "source"
    r = w2.http.post(
        "/connectors",
        json={"name": "sink", "config": {"connector.class": "FileStreamSink", "file": str(dst), "topics": topic, "tasks.max": "1"}},
    )
    assert r.status_code == 201, r.text
    assert w2.http.post("/connectors", json={"name": "src", "config": src_config}).status_code == 409
    for w in (w1, w2):
        wait_for(lambda w=w: running(w, "src", 1) and running(w, "sink", 1), 60, "both connectors RUNNING on both workers' views")
    wait_for(lambda: dst.exists() and dst.read_text() == "a\nb\n", 60, "lines through the topic into the sink file")
    assert sorted(w1.http.get("/connectors").json()) == ["sink", "src"]
    assert w2.http.get("/connectors/src/tasks").json()[0]["config"]["task.class"].endswith("FileStreamSourceTask")
    # the work is spread: two connectors and two tasks over two workers
    owners = [status(w1, n)["connector"]["worker_id"] for n in ("src", "sink")]
    owners += [status(w1, n)["tasks"][0]["worker_id"] for n in ("src", "sink")]
    assert {owners.count(f"127.0.0.1:{w.port}") for w in (w1, w2)} == {2}
    # KIP-558: the topics a connector used, recorded in the status topic, seen from both workers; reset from either
    for w in (w1, w2):
        wait_for(lambda w=w: w.http.get("/connectors/src/topics").json() == {"src": {"topics": [topic]}}, 30, "active topics")
    assert w1.http.put("/connectors/src/topics/reset").status_code == 202
    for w in (w1, w2):
        wait_for(lambda w=w: w.http.get("/connectors/src/topics").json() == {"src": {"topics": []}}, 30, "topics reset")
    # restarts: a task restart from either worker reaches the worker running it; a connector restart is a
    # record in the config topic that the owner acts on
    for w in (w1, w2):
        assert w.http.post("/connectors/sink/tasks/0/restart").status_code == 204
    r = w2.http.post("/connectors/src/restart?includeTasks=true")
    assert r.status_code == 202 and r.json()["connector"]["state"] == "RESTARTING" and r.json()["tasks"][0]["state"] == "RESTARTING"
    wait_for(lambda: running(w1, "src", 1) and running(w1, "sink", 1), 60, "running again after the restarts")
    assert w1.http.post("/connectors/nope/tasks/0/restart").status_code == 404
    # pause / resume / delete through the other worker
    assert w2.http.put("/connectors/src/pause").status_code == 202
    wait_for(lambda: status(w1, "src").get("connector", {}).get("state") == "PAUSED", 30, "PAUSED")
    assert w1.http.put("/connectors/src/resume").status_code == 202
    wait_for(lambda: running(w2, "src", 1), 30, "resumed")
    assert w2.http.delete("/connectors/sink").status_code == 204
    wait_for(lambda: w1.http.get("/connectors/sink/status").status_code == 404, 30, "sink gone")


def test_stopped_worker_hands_over_its_tasks(cluster: list[Worker], tmp_path: Path) -> None:
    w1, w2 = cluster
    src = tmp_path / "moving.txt"
    src.write_text("".join(f"line-{i}\n" for i in range(5)))
    topic = f"moving-{uuid.uuid4().hex[:6]}"
    config = {"connector.class": "FileStreamSource", "file": str(src), "topic": topic}
    assert w1.http.put("/connectors/mover/config", json=config).status_code == 201
    s = wait_for(lambda: running(w1, "mover", 1), 60, "mover RUNNING")
    owner = next(w for w in cluster if s["tasks"][0]["worker_id"] == f"127.0.0.1:{w.port}")
    other = w2 if owner is w1 else w1
    time.sleep(1.0)  # an offset flush
    owner.close()
    cluster.remove(owner)
    with src.open("a") as f:
        f.write("after\n")
    s = wait_for(
        lambda: (x := running(other, "mover", 1)) and x["tasks"][0]["worker_id"] == f"127.0.0.1:{other.port}" and x, 60, "task moved"
    )
    assert s["connector"]["worker_id"] == f"127.0.0.1:{other.port}"
    offsets = wait_for(lambda: other.http.get("/connectors/mover/offsets").json()["offsets"], 30, "offsets")
    assert offsets[0]["partition"] == {"filename": str(src)}
    # KIP-875 on a distributed cluster: offsets change only while the connector is STOPPED
    patch = {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 3}}]}
    assert other.http.patch("/connectors/mover/offsets", json=patch).status_code == 400
    assert other.http.put("/connectors/mover/stop").status_code == 204
    wait_for(lambda: status(other, "mover").get("connector", {}).get("state") == "STOPPED", 30, "STOPPED")
    assert other.http.get("/connectors/mover/tasks").json() == []
    r = other.http.patch("/connectors/mover/offsets", json=patch)
    assert r.status_code == 200, r.text
    assert other.http.get("/connectors/mover/offsets").json()["offsets"] == patch["offsets"]
    assert other.http.delete("/connectors/mover/offsets").status_code == 200
    assert other.http.get("/connectors/mover/offsets").json() == {"offsets": []}
    assert other.http.put("/connectors/mover/resume").status_code == 202
    wait_for(lambda: running(other, "mover", 1), 30, "running again after resume from STOPPED")


@pytest.mark.slow
def test_eager_protocol_when_one_worker_asks_for_it(strom_broker: BrokerProcess, tmp_path: Path) -> None:
    """A worker with connect.protocol=eager makes the group use `default` (version 0): every rebalance stops and
    reassigns everything, and a leaving worker's work moves at once."""
    group = f"eager-{uuid.uuid4().hex[:6]}"
    w1 = Worker(strom_broker.bootstrap, group, {"connect.protocol": "eager"})
    w2 = Worker(strom_broker.bootstrap, group)
    try:
        for i in range(2):
            (tmp_path / f"e{i}.txt").write_text(f"e{i}\n")
            config = {"connector.class": "FileStreamSource", "file": str(tmp_path / f"e{i}.txt"), "topic": f"{group}-{i}"}
            assert w2.http.put(f"/connectors/e{i}/config", json=config).status_code == 201
        for i in range(2):
            wait_for(lambda i=i: running(w1, f"e{i}", 1), 60, f"e{i} RUNNING")
        owners = {status(w1, f"e{i}")["tasks"][0]["worker_id"] for i in range(2)}
        owners |= {status(w1, f"e{i}")["connector"]["worker_id"] for i in range(2)}
        assert owners == {f"127.0.0.1:{w1.port}", f"127.0.0.1:{w2.port}"}
        w1.close()
        for i in range(2):
            wait_for(lambda i=i: (s := running(w2, f"e{i}", 1)) and s["tasks"][0]["worker_id"] == f"127.0.0.1:{w2.port}", 60, "moved")
    finally:
        w1.close()
        w2.close()


@pytest.mark.slow
def test_workers_on_a_sasl_listener_with_javas_keys(tmp_path: Path) -> None:
    """The worker's own clients (internal topics, group membership) use its top-level security.protocol /
    sasl.mechanism / sasl.jaas.config, the tasks' clients the producer.* / consumer.* ones, as in Kafka."""
    plain, sasl_port = free_port(), free_port()
    login = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret"'
    jaas = f'{login} user_admin="admin-secret";'
    broker = BrokerProcess(
        port=plain,
        overrides={
            "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
        },
    ).start()
    client_jaas = f"{login};"
    security = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": client_jaas}
    extra = {
        **security,
        **{f"producer.{k}": v for k, v in security.items()},
        **{f"consumer.{k}": v for k, v in security.items()},
        **{f"admin.{k}": v for k, v in security.items()},
    }
    try:
        group = f"sasl-{uuid.uuid4().hex[:6]}"
        w1 = Worker(f"127.0.0.1:{sasl_port}", group, extra)
        w2 = Worker(f"127.0.0.1:{sasl_port}", group, extra)
        try:
            src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
            src.write_text("s1\ns2\n")
            topic = f"{group}-t"
            assert (
                w1.http.put(
                    "/connectors/src/config", json={"connector.class": "FileStreamSource", "file": str(src), "topic": topic}
                ).status_code
                == 201
            )
            sink = {"connector.class": "FileStreamSink", "file": str(dst), "topics": topic}
            assert w2.http.put("/connectors/sink/config", json=sink).status_code == 201
            wait_for(lambda: dst.exists() and dst.read_text() == "s1\ns2\n", 60, "file -> SASL listener -> file")
            wait_for(lambda: running(w2, "src", 1) and running(w1, "sink", 1), 60, "statuses on both workers")
        finally:
            w1.close()
            w2.close()
    finally:
        broker.close()


@pytest.mark.slow
def test_workers_ride_out_a_broker_restart(tmp_path: Path) -> None:
    """The broker stops and comes back on the same port and log dir: the workers' stores catch up, the group
    reforms, data flows again, and a connector created afterwards runs."""
    port = free_port()
    broker = BrokerProcess(port=port).start()
    group = f"restart-{uuid.uuid4().hex[:6]}"
    workers: list[Worker] = []
    try:
        workers += [Worker(broker.bootstrap, group), Worker(broker.bootstrap, group)]
        w1, w2 = workers
        src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
        src.write_text("before\n")
        topic = f"{group}-t"
        assert (
            w1.http.put(
                "/connectors/src/config", json={"connector.class": "FileStreamSource", "file": str(src), "topic": topic}
            ).status_code
            == 201
        )
        sink = {"connector.class": "FileStreamSink", "file": str(dst), "topics": topic}
        assert w2.http.put("/connectors/sink/config", json=sink).status_code == 201
        wait_for(lambda: dst.exists() and dst.read_text() == "before\n", 60, "the first line")
        broker.stop()
        time.sleep(3)
        broker.start()
        with src.open("a") as f:
            f.write("after\n")
        wait_for(lambda: dst.read_text().splitlines()[-1:] == ["after"], 120, "a line written after the restart")
        assert set(dst.read_text().splitlines()) == {"before", "after"}
        (tmp_path / "late.txt").write_text("late\n")
        late = {"connector.class": "FileStreamSource", "file": str(tmp_path / "late.txt"), "topic": topic}
        r = wait_for(
            lambda: (x := w2.http.put("/connectors/late/config", json=late)).status_code == 201 and x, 60, "a write after the restart"
        )
        assert r.json()["name"] == "late"
        wait_for(lambda: "late" in dst.read_text().splitlines(), 60, "the late connector's line")
    finally:
        for w in workers:
            w.close()
        broker.close()


class LabelSource(SourceConnector):
    """tasks.max tasks, each producing `<label>-<task>` records: what a task runs with shows in the topic."""

    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return LabelTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "n": str(i)} for i in range(max_tasks)]

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return ConfigDef()


class LabelTask(SourceTask):
    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.value, self.topic = f"{props['label']}-{props['n']}", props["topic"]

    def poll(self) -> list[SourceRecord] | None:
        time.sleep(0.2)
        return [SourceRecord({"task": self.value}, {"n": 0}, self.topic, None, None, None, Schema.STRING_SCHEMA, self.value)]

    def stop(self) -> None:
        pass


@pytest.mark.slow
def test_a_task_kept_through_a_rebalance_restarts_with_its_new_config(cluster: list[Worker]) -> None:
    """Shrinking a connector from two tasks to one changes the task set (a rebalance) and task 0's config: the
    worker keeping task 0 through the rebalance restarts it with the new config."""
    w = cluster[0]
    topic = f"label-{uuid.uuid4().hex[:6]}"
    config = {"connector.class": f"{__name__}.LabelSource", "tasks.max": "2", "topic": topic, "label": "a"}
    assert w.http.put("/connectors/label/config", json=config).status_code == 201
    wait_for(lambda: running(w, "label", 2), 60, "two tasks")
    assert w.http.put("/connectors/label/config", json={**config, "tasks.max": "1", "label": "b"}).status_code == 200
    c = Consumer({"bootstrap.servers": w.props["bootstrap.servers"], "group.id": f"check-{topic}", "auto.offset.reset": "earliest"})
    try:
        c.subscribe([topic])
        deadline, seen = time.monotonic() + 60, set()
        while "b-0" not in seen and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                seen.add(m.value().decode())
        assert "b-0" in seen and "b-1" not in seen
    finally:
        c.close()
    assert w.http.delete("/connectors/label").status_code == 204
