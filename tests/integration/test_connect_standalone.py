"""A standalone Connect worker (strom.cli.connect_standalone) against a Strom broker: Kafka's quickstart data path
(file -> topic -> file), the REST API's paths, bodies and status codes as Kafka Connect documents them,
offsets (KIP-875), pause/resume/stop, errors.tolerance with a dead letter queue."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from strom import Consumer, Producer
from strom.cli.connect_standalone import run_standalone
from strom.connect.api import ConfigDef, SinkConnector, SinkRecord, SinkTask, Task
from strom.connect.errors import RetriableException
from strom.testing.broker import BrokerProcess, free_port

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


class Worker:
    def __init__(self, broker: BrokerProcess, tmp: Path, files: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.props = {
            "bootstrap.servers": broker.bootstrap,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "offset.storage.file.filename": str(tmp / "connect.offsets"),
            "offset.flush.interval.ms": "300",
            "listeners": f"http://127.0.0.1:{self.port}",
            "config.providers": "file",
            "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        }
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.result: list[int] = []
        self.thread = threading.Thread(target=self._run, args=(files or [],), daemon=True)
        self.thread.start()
        self.http = httpx.Client(base_url=self.url, timeout=60)
        wait_for(lambda: self._up(), 60, "REST API up")

    def _up(self) -> bool:
        try:
            return self.http.get("/").status_code == 200
        except httpx.TransportError:
            return False

    def _run(self, files: list[str]) -> None:
        async def main() -> int:
            self.stop_event = asyncio.Event()
            return await run_standalone(self.props, files, self.stop_event)

        self.result.append(self.loop.run_until_complete(main()))

    def close(self) -> None:
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


@pytest.fixture(scope="module")
def worker(strom_broker: BrokerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    w = Worker(strom_broker, tmp_path_factory.mktemp("connect"))
    yield w
    w.close()


def source_config(path: Path, topic: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(path), "topic": topic}


def status(worker: Worker, name: str) -> dict[str, Any]:
    body: dict[str, Any] = worker.http.get(f"/connectors/{name}/status").json()
    return body


def poll_one(consumer: Consumer) -> Any:
    msg = consumer.poll(0.5)
    return msg if msg is not None and msg.error() is None else None


def task_failed(worker: Worker, name: str) -> dict[str, Any] | None:
    s = status(worker, name)
    return s if s["tasks"] and s["tasks"][0]["state"] == "FAILED" else None


def running(worker: Worker, name: str, tasks: int = 1) -> bool:
    s = status(worker, name)
    return s["connector"]["state"] == "RUNNING" and [t["state"] for t in s["tasks"]] == ["RUNNING"] * tasks


def test_file_source_to_topic_to_file_sink(worker: Worker, tmp_path: Path) -> None:
    """Kafka's quickstart step: lines of a file reach the topic in JsonConverter's envelope and a sink file."""
    src, dst = tmp_path / "test.txt", tmp_path / "test.sink.txt"
    src.write_text("foo\nbar\n")
    r = worker.http.post("/connectors", json={"name": "qs-source", "config": source_config(src, "qs-topic")})
    assert r.status_code == 201, r.text
    r = worker.http.post(
        "/connectors", json={"name": "qs-sink", "config": {"connector.class": "FileStreamSink", "file": str(dst), "topics": "qs-topic"}}
    )
    assert r.status_code == 201, r.text
    wait_for(lambda: dst.exists() and dst.read_text() == "foo\nbar\n", 30, "sink file")
    with src.open("a") as f:
        f.write("baz\n")
    wait_for(lambda: dst.read_text() == "foo\nbar\nbaz\n", 30, "appended line")
    consumer = Consumer({"bootstrap.servers": worker.props["bootstrap.servers"], "group.id": "qs-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["qs-topic"])
    values: list[bytes] = []
    deadline = time.monotonic() + 30
    while len(values) < 3 and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
    consumer.close()
    assert values[0] == b'{"schema":{"type":"string","optional":false},"payload":"foo"}'
    assert [json.loads(v)["payload"] for v in values] == ["foo", "bar", "baz"]
    # source offsets are committed as Kafka writes them: ["<name>",{"filename":...}] -> {"position": bytes read}
    worker.http.put("/connectors/qs-source/stop")
    wait_for(lambda: status(worker, "qs-source")["connector"]["state"] == "STOPPED", 30, "stopped")
    offsets = worker.http.get("/connectors/qs-source/offsets").json()
    assert offsets == {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 12}}]}
    sink_offsets = wait_for(lambda: worker.http.get("/connectors/qs-sink/offsets").json()["offsets"], 30, "sink offsets")
    assert sink_offsets == [{"partition": {"kafka_topic": "qs-topic", "kafka_partition": 0}, "offset": {"kafka_offset": 3}}]
    assert worker.http.get("/connectors/qs-sink/topics").json() == {"qs-sink": {"topics": ["qs-topic"]}}
    # a stopped sink's consumer group offsets are altered and reset per partition (KIP-875)
    assert worker.http.put("/connectors/qs-sink/stop").status_code == 204
    wait_for(lambda: status(worker, "qs-sink")["connector"]["state"] == "STOPPED", 30, "sink stopped")
    tp = {"kafka_topic": "qs-topic", "kafka_partition": 0}
    r = worker.http.patch("/connectors/qs-sink/offsets", json={"offsets": [{"partition": tp, "offset": {"kafka_offset": 1}}]})
    assert r.status_code == 200, r.text
    assert worker.http.get("/connectors/qs-sink/offsets").json()["offsets"] == [{"partition": tp, "offset": {"kafka_offset": 1}}]
    r = worker.http.patch("/connectors/qs-sink/offsets", json={"offsets": [{"partition": tp, "offset": None}]})
    assert r.status_code == 200, r.text
    assert worker.http.get("/connectors/qs-sink/offsets").json()["offsets"] == []
    for name in ("qs-source", "qs-sink"):
        assert worker.http.delete(f"/connectors/{name}").status_code == 204


def test_rest_create_read_update_delete(worker: Worker, tmp_path: Path) -> None:
    root = worker.http.get("/").json()
    assert set(root) == {"version", "commit", "kafka_cluster_id"} and root["kafka_cluster_id"]
    config = source_config(tmp_path / "in.txt", "crud-topic")
    r = worker.http.post("/connectors", json={"name": "crud", "config": config})
    assert r.status_code == 201
    assert r.headers["location"] == f"{worker.url}/connectors/crud"
    assert r.json() == {"name": "crud", "config": {**config, "name": "crud"}, "tasks": [{"connector": "crud", "task": 0}], "type": "source"}
    r = worker.http.post("/connectors", json={"name": "crud", "config": config})
    assert (r.status_code, r.json()) == (409, {"error_code": 409, "message": "Connector crud already exists"})
    assert "crud" in worker.http.get("/connectors").json()
    expanded = worker.http.get("/connectors", params=[("expand", "status"), ("expand", "info")]).json()
    assert expanded["crud"]["info"]["type"] == "source" and expanded["crud"]["status"]["name"] == "crud"
    assert worker.http.get("/connectors/crud/config").json() == {**config, "name": "crud"}
    tasks = worker.http.get("/connectors/crud/tasks").json()
    assert tasks[0]["id"] == {"connector": "crud", "task": 0} and tasks[0]["config"]["topic"] == "crud-topic"
    assert tasks[0]["config"]["task.class"] == "org.apache.kafka.connect.file.FileStreamSourceTask"
    assert worker.http.get("/connectors/crud/tasks-config").json() == {"crud-0": tasks[0]["config"]}
    wait_for(lambda: running(worker, "crud"), 30, "running")
    task_status = worker.http.get("/connectors/crud/tasks/0/status").json()
    assert task_status["id"] == 0 and task_status["state"] == "RUNNING" and task_status["worker_id"] == f"127.0.0.1:{worker.port}"
    # PUT config: 200 for an update, 201 for a new connector, 400 for a name that does not match the URL
    r = worker.http.put("/connectors/crud/config", json={**config, "batch.size": 10})
    assert r.status_code == 200 and r.json()["config"]["batch.size"] == "10"
    r = worker.http.put("/connectors/crud2/config", json=config)
    assert r.status_code == 201 and r.json()["name"] == "crud2"
    r = worker.http.put("/connectors/crud2/config", json={**config, "name": "other"})
    assert r.status_code == 400
    assert r.json()["message"] == "Connector name configuration (other) doesn't match connector name in the URL (crud2)"
    for name in ("crud", "crud2"):
        assert worker.http.delete(f"/connectors/{name}").status_code == 204
    r = worker.http.get("/connectors/crud")
    assert (r.status_code, r.json()) == (404, {"error_code": 404, "message": "Connector crud not found"})
    assert worker.http.get("/connectors/crud/status").json()["message"] == "No status found for connector crud"
    assert worker.http.delete("/connectors/crud").status_code == 404


def test_rest_bad_input(worker: Worker, tmp_path: Path) -> None:
    r = worker.http.post("/connectors", json={"name": "bad", "config": {"connector.class": "NoSuchConnector"}})
    assert r.status_code == 400 and "Failed to find any class that implements Connector and which name matches NoSuchConnector" in r.text
    r = worker.http.post("/connectors", json={"name": "bad", "config": {"connector.class": "FileStreamSource", "tasks.max": "0"}})
    assert r.status_code == 400
    message = r.json()["message"]
    assert message.startswith("Connector configuration is invalid and contains the following 2 error(s):\n")
    assert "Invalid value 0 for configuration tasks.max: Value must be at least 1" in message
    assert 'Missing required configuration "topic" which has no default value.' in message
    assert message.endswith(
        "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
    )
    r = worker.http.post("/connectors", json={"name": "bad", "config": {"connector.class": "FileStreamSink"}})
    assert r.status_code == 400 and "Must configure one of topics or topics.regex" in r.json()["message"]
    assert worker.http.post("/connectors", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    r = worker.http.get("/no/such/path")
    assert (r.status_code, r.json()) == (404, {"error_code": 404, "message": "HTTP 404 Not Found"})
    r = worker.http.delete("/connectors")
    assert (r.status_code, r.json()["error_code"]) == (405, 405)
    assert worker.http.get("/connectors/ghost/tasks/0/status").status_code == 404
    assert worker.http.put("/connectors/ghost/pause").status_code == 404


def test_rest_validate_and_plugins(worker: Worker) -> None:
    plugins = worker.http.get("/connector-plugins").json()
    assert {"class": SOURCE, "type": "source", "version": plugins[[p["class"] for p in plugins].index(SOURCE)]["version"]} in plugins
    assert {p["type"] for p in plugins} <= {"source", "sink"}
    everything = worker.http.get("/connector-plugins", params={"connectorsOnly": "false"}).json()
    kinds = {p["type"] for p in everything}
    assert {"source", "sink", "converter", "transformation", "predicate"} <= kinds
    assert any(p["class"] == "org.apache.kafka.connect.json.JsonConverter" for p in everything)
    r = worker.http.put("/connector-plugins/FileStreamSourceConnector/config/validate", json={"tasks.max": "x", "topic": "t"})
    body = r.json()
    assert (
        r.status_code == 200 and body["name"] == "FileStreamSourceConnector" and body["error_count"] == 3
    )  # tasks.max twice, and the name
    by_name = {c["value"]["name"]: c for c in body["configs"]}
    assert by_name["tasks.max"]["value"]["errors"] == [
        "Invalid value x for configuration tasks.max: Not a number of type INT",
        "Invalid value null for configuration tasks.max: Value must be non-null",
    ]
    assert by_name["name"]["value"]["errors"] == ['Missing required configuration "name" which has no default value.']
    assert by_name["tasks.max"]["definition"]["group"] == "Common" and by_name["topic"]["value"]["errors"] == []
    groups = ["Common", "Transforms", "Predicates", "Error Handling", "Topic Creation", "Exactly Once Support", "offsets.topic"]
    assert body["groups"] == groups
    r = worker.http.put("/connector-plugins/FileStreamSink/config/validate", json={"connector.class": "FileStreamSource"})
    assert r.status_code == 400
    keys = worker.http.get(f"/connector-plugins/{SOURCE}/config").json()
    assert [k["name"] for k in keys][:5] == ["file", "topic", "batch.size", "name", "connector.class"]  # its own, then Kafka's


def test_rest_pause_resume_restart_stop_offsets(worker: Worker, tmp_path: Path) -> None:
    src = tmp_path / "life.txt"
    src.write_text("a\nb\n")
    worker.http.post("/connectors", json={"name": "life", "config": source_config(src, "life-topic")})
    wait_for(lambda: running(worker, "life"), 30, "running")
    assert worker.http.put("/connectors/life/pause").status_code == 202
    wait_for(lambda: status(worker, "life")["tasks"][0]["state"] == "PAUSED", 30, "paused")
    assert status(worker, "life")["connector"]["state"] == "PAUSED"
    assert worker.http.put("/connectors/life/resume").status_code == 202
    wait_for(lambda: running(worker, "life"), 30, "resumed")
    r = worker.http.post("/connectors/life/restart")
    assert r.status_code == 204 and r.content == b""
    r = worker.http.post("/connectors/life/restart", params={"includeTasks": "true"})
    assert r.status_code == 202
    assert r.json()["connector"]["state"] == "RESTARTING" and r.json()["tasks"][0]["state"] == "RESTARTING"
    r = worker.http.post("/connectors/life/restart", params={"includeTasks": "true", "onlyFailed": "true"})
    assert r.status_code == 202 and r.json()["tasks"][0]["state"] != "RESTARTING"
    assert worker.http.post("/connectors/life/tasks/0/restart").status_code == 204
    r = worker.http.post("/connectors/life/tasks/7/restart")
    assert (r.status_code, r.json()["message"]) == (404, "Task life-7 not found")
    wait_for(lambda: running(worker, "life"), 30, "running again")
    # offsets can only be changed once the connector is STOPPED (KIP-875)
    patch = {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": 2}}]}
    r = worker.http.patch("/connectors/life/offsets", json=patch)
    assert r.status_code == 400 and r.json()["message"].startswith(
        "Connectors must be in the STOPPED state before their offsets can be modified"
    )
    assert worker.http.put("/connectors/life/stop").status_code == 204
    wait_for(lambda: status(worker, "life")["connector"]["state"] == "STOPPED", 30, "stopped")
    assert status(worker, "life")["tasks"] == [] and worker.http.get("/connectors/life/tasks").json() == []
    r = worker.http.patch("/connectors/life/offsets", json=patch)
    assert (r.status_code, r.json()) == (200, {"message": "The offsets for this connector have been altered successfully"})
    assert worker.http.get("/connectors/life/offsets").json()["offsets"] == patch["offsets"]
    assert worker.http.patch("/connectors/life/offsets", json={"offsets": []}).status_code == 400
    # resumed, the task re-reads from position 2 ("b")
    consumer = Consumer({"bootstrap.servers": worker.props["bootstrap.servers"], "group.id": "life-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["life-topic"])
    assert worker.http.put("/connectors/life/resume").status_code == 202
    wait_for(lambda: running(worker, "life"), 30, "running after stop")
    payloads: list[str] = []
    deadline = time.monotonic() + 30
    while len(payloads) < 3 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            payloads.append(json.loads(msg.value())["payload"])
    consumer.close()
    assert payloads == ["a", "b", "b"]
    worker.http.put("/connectors/life/stop")
    wait_for(lambda: status(worker, "life")["connector"]["state"] == "STOPPED", 30, "stopped again")
    r = worker.http.delete("/connectors/life/offsets")
    assert (r.status_code, r.json()) == (200, {"message": "The offsets for this connector have been reset successfully"})
    assert worker.http.get("/connectors/life/offsets").json() == {"offsets": []}
    assert worker.http.delete("/connectors/life").status_code == 204


def test_sink_errors_tolerance_all_with_dead_letter_queue(worker: Worker, tmp_path: Path) -> None:
    """A record the converter cannot read goes to the DLQ with Kafka's context headers; the others are written."""
    dst = tmp_path / "dlq.sink.txt"
    bootstrap = worker.props["bootstrap.servers"]
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in (b'{"schema":{"type":"string","optional":false},"payload":"good1"}', b"not json", b'{"schema":null,"payload":"good2"}'):
        producer.produce("dlq-in", value)
    producer.flush(30)
    config = {
        "connector.class": "FileStreamSink",
        "topics": "dlq-in",
        "file": str(dst),
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": "dlq-out",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
        "errors.log.enable": "true",
    }
    assert worker.http.post("/connectors", json={"name": "dlq", "config": config}).status_code == 201
    wait_for(lambda: dst.exists() and dst.read_text() == "good1\ngood2\n", 30, "good records written")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "dlq-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["dlq-out"])
    msg = wait_for(lambda: poll_one(consumer), 30, "DLQ record")
    consumer.close()
    assert msg.value() == b"not json"
    headers = {k: v.decode() for k, v in msg.headers()}
    assert headers["__connect.errors.topic"] == "dlq-in"
    assert headers["__connect.errors.partition"] == "0" and headers["__connect.errors.offset"] == "1"
    assert headers["__connect.errors.connector.name"] == "dlq" and headers["__connect.errors.task.id"] == "0"
    assert headers["__connect.errors.stage"] == "VALUE_CONVERTER"
    assert headers["__connect.errors.class.name"].endswith("JsonConverter")
    assert "__connect.errors.exception.class.name" in headers and "__connect.errors.exception.stacktrace" in headers
    assert worker.http.delete("/connectors/dlq").status_code == 204


def test_sink_errors_tolerance_none_fails_the_task_and_restart_recovers(worker: Worker, tmp_path: Path) -> None:
    producer = Producer({"bootstrap.servers": worker.props["bootstrap.servers"]})
    producer.produce("strict-in", b"not json")
    producer.flush(30)
    config = {"connector.class": "FileStreamSink", "topics": "strict-in", "file": str(tmp_path / "strict.txt")}
    assert worker.http.post("/connectors", json={"name": "strict", "config": config}).status_code == 201
    failed = wait_for(lambda: task_failed(worker, "strict"), 30, "task failed")
    assert "Tolerance exceeded in error handler" in failed["tasks"][0]["trace"]
    r = worker.http.post("/connectors/strict/restart", params={"includeTasks": "true", "onlyFailed": "true"})
    assert r.status_code == 202 and r.json()["tasks"][0]["state"] == "RESTARTING" and r.json()["connector"]["state"] == "RUNNING"
    assert worker.http.delete("/connectors/strict").status_code == 204


def test_config_provider_variables_stay_out_of_configs(worker: Worker, tmp_path: Path) -> None:
    """${file:...} is resolved for the connector and its task, while the REST API shows the variable."""
    src = tmp_path / "secret-input.txt"
    src.write_text("hidden\n")
    secrets = tmp_path / "secrets.properties"
    secrets.write_text(f"input={src}\n")
    variable = f"${{file:{secrets}:input}}"
    config = {"connector.class": "FileStreamSource", "file": variable, "topic": "provider-topic"}
    assert worker.http.post("/connectors", json={"name": "provided", "config": config}).status_code == 201
    wait_for(lambda: running(worker, "provided"), 30, "running")
    assert worker.http.get("/connectors/provided/config").json()["file"] == variable
    assert worker.http.get("/connectors/provided/tasks").json()[0]["config"]["file"] == variable
    consumer = Consumer({"bootstrap.servers": worker.props["bootstrap.servers"], "group.id": "provided", "auto.offset.reset": "earliest"})
    consumer.subscribe(["provider-topic"])
    msg = wait_for(lambda: poll_one(consumer), 30, "record")
    consumer.close()
    assert json.loads(msg.value())["payload"] == "hidden"
    assert worker.http.delete("/connectors/provided").status_code == 204


def test_sink_tasks_share_partitions_through_the_group(worker: Worker, tmp_path: Path) -> None:
    """tasks.max=2 on a 2-partition topic: group connect-<name> gives each task a partition (open/close on the
    rebalance), every record is written once, and the sink offsets cover both partitions."""
    from strom import AdminClient, NewTopic

    bootstrap = worker.props["bootstrap.servers"]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("two-parts", 2, 1)])["two-parts"].result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(20):
        producer.produce("two-parts", f'{{"schema":null,"payload":"v{i}"}}'.encode(), partition=i % 2)
    producer.flush(30)
    dst = tmp_path / "two.txt"
    config = {"connector.class": "FileStreamSink", "topics": "two-parts", "file": str(dst), "tasks.max": "2"}
    assert worker.http.post("/connectors", json={"name": "two", "config": config}).status_code == 201
    wait_for(lambda: running(worker, "two", tasks=2), 30, "two tasks running")
    wait_for(lambda: dst.exists() and len(dst.read_text().splitlines()) >= 20, 30, "all records")
    assert sorted(dst.read_text().splitlines()) == sorted(f"v{i}" for i in range(20))
    offsets = wait_for(lambda: len(worker.http.get("/connectors/two/offsets").json()["offsets"]) == 2, 30, "offsets of both partitions")
    assert offsets
    final = worker.http.get("/connectors/two/offsets").json()["offsets"]
    assert sorted((o["partition"]["kafka_partition"], o["offset"]["kafka_offset"]) for o in final) == [(0, 10), (1, 10)]
    assert worker.http.delete("/connectors/two").status_code == 204


class PickySink(SinkConnector):
    """A sink that sends the records it cannot write to the errant record reporter."""

    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return PickyTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return ConfigDef()


class PickyTask(SinkTask):
    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.path = props["file"]

    def put(self, records: Collection[SinkRecord]) -> None:
        reporter = self.context.errant_record_reporter()
        assert reporter is not None
        with open(self.path, "a") as f:
            for record in records:
                if record.value == "bad":
                    reporter.report(record, ValueError("cannot write 'bad'")).result()
                else:
                    f.write(f"{record.value}\n")

    def stop(self) -> None:
        pass


def test_errant_record_reporter_sends_what_put_cannot_write_to_the_dead_letter_queue(worker: Worker, tmp_path: Path) -> None:
    bootstrap = worker.props["bootstrap.servers"]
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in ("ok1", "bad", "ok2"):
        producer.produce("picky-in", json.dumps({"schema": None, "payload": value}).encode())
    producer.flush(30)
    dst = tmp_path / "picky.txt"
    config = {
        "connector.class": f"{__name__}.PickySink",
        "topics": "picky-in",
        "file": str(dst),
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": "picky-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }
    assert worker.http.post("/connectors", json={"name": "picky", "config": config}).status_code == 201
    wait_for(lambda: dst.exists() and dst.read_text() == "ok1\nok2\n", 30, "good records written")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "picky-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["picky-dlq"])
    msg = wait_for(lambda: poll_one(consumer), 30, "DLQ record")
    consumer.close()
    assert json.loads(msg.value())["payload"] == "bad"
    headers = {k: v.decode() for k, v in msg.headers()}
    assert (headers["__connect.errors.stage"], headers["__connect.errors.offset"]) == ("TASK_PUT", "1")
    assert headers["__connect.errors.exception.message"] == "cannot write 'bad'"
    assert worker.http.delete("/connectors/picky").status_code == 204


class FlakySink(SinkConnector):
    """put() fails with RetriableException twice, then writes: the worker must redeliver the same batch."""

    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return FlakyTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return ConfigDef()


class FlakyTask(SinkTask):
    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        self.path = props["file"]
        self.failures = 2
        self.context.timeout(100)

    def put(self, records: Collection[SinkRecord]) -> None:
        if records and self.failures:
            self.failures -= 1
            raise RetriableException("database busy")
        with open(self.path, "a") as f:
            f.writelines(f"{r.value}\n" for r in records)

    def stop(self) -> None:
        pass


def test_retriable_put_redelivers_the_same_records(worker: Worker, tmp_path: Path) -> None:
    producer = Producer({"bootstrap.servers": worker.props["bootstrap.servers"]})
    for value in ("x1", "x2", "x3"):
        producer.produce("flaky-in", json.dumps({"schema": None, "payload": value}).encode())
    producer.flush(30)
    dst = tmp_path / "flaky.txt"
    config = {"connector.class": f"{__name__}.FlakySink", "topics": "flaky-in", "file": str(dst)}
    assert worker.http.post("/connectors", json={"name": "flaky", "config": config}).status_code == 201
    wait_for(lambda: dst.exists() and dst.read_text() == "x1\nx2\nx3\n", 30, "records written after two retriable failures")
    assert status(worker, "flaky")["tasks"][0]["state"] == "RUNNING"
    time.sleep(0.5)
    assert dst.read_text() == "x1\nx2\nx3\n"  # once each
    assert worker.http.delete("/connectors/flaky").status_code == 204
