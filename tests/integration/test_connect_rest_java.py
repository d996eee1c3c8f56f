"""The REST API of Strom's standalone worker next to Apache Kafka's own (Java, Kafka 3.9 connect-runtime with its
FileStream connectors), both on the same Strom broker: the same requests give the same status codes and bodies,
apart from where Kafka answers 500 for bad input (an unknown connector, a body without config, bad JSON), which
Strom answers 4xx as Kafka's documentation describes."""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from strom.testing.apache_kafka import CACHE, KAFKA_VERSION, KafkaUnavailable, _exclusive, _maven, _tail
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.debezium import debezium_libs
from strom.testing.process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.java]


def connect_file_jar(version: str = KAFKA_VERSION) -> Path:
    """Kafka's connect-file jar (FileStreamSource/Sink), fetched from Maven Central into the cache."""
    home = CACHE / f"connect-file-{version}"
    jar = home / f"connect-file-{version}.jar"
    with _exclusive(home):
        if jar.exists():
            return jar
        if shutil.which("mvn") is None:
            raise KafkaUnavailable("mvn is needed to fetch connect-file")
        proc = _maven(["dependency:copy", f"-Dartifact=org.apache.kafka:connect-file:{version}", f"-DoutputDirectory={home}"], home)
        if proc.returncode != 0 or not jar.exists():
            raise KafkaUnavailable(f"Maven could not fetch connect-file {version}: {_tail(proc)}")
        return jar


def worker_props(bootstrap: str, base: Path, port: int) -> dict[str, str]:
    return {
        "bootstrap.servers": bootstrap,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "offset.storage.file.filename": str(base / "offsets"),
        "offset.flush.interval.ms": "1000",
        "listeners": f"http://127.0.0.1:{port}",
    }


class ConnectWorker(ServerProcess):
    def __init__(self, java: bool, bootstrap: str) -> None:
        super().__init__(None, "strom-restcmp-", "connect.log")
        self.java = java
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (self.base).mkdir(parents=True, exist_ok=True)
        props = self.base / "worker.properties"
        props.write_text("".join(f"{k}={v}\n" for k, v in worker_props(bootstrap, self.base, self.port).items()))
        if java:
            libs = debezium_libs()
            log4j = libs.parent / "log4j.properties"
            cp = f"{libs}/*:{connect_file_jar()}"
            self.args = ["java", "-Xmx512m", f"-Dlog4j.configuration=file:{log4j}", "-cp", cp]
            self.args += ["org.apache.kafka.connect.cli.ConnectStandalone", str(props)]
        else:
            import sys

            self.args = [sys.executable, "-m", "strom.cli.connect_standalone", str(props)]

    def start(self) -> ConnectWorker:
        self._launch(self.args, self._up, 120, 0.2)
        return self

    def _up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
            return httpx.get(self.url + "/", timeout=2).status_code == 200
        except (OSError, httpx.HTTPError):
            return False


@pytest.fixture(scope="module")
def workers(strom_broker: BrokerProcess) -> Iterator[tuple[ConnectWorker, ConnectWorker]]:
    java = ConnectWorker(True, strom_broker.bootstrap).start()
    strom = ConnectWorker(False, strom_broker.bootstrap).start()
    yield java, strom
    strom.close()
    java.close()


Body = Callable[[str], Any]


def source(tag: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSource", "tasks.max": "1", "file": f"/tmp/restcmp-{tag}.txt", "topic": f"restcmp-{tag}"}


def offsets(tag: str, position: int) -> dict[str, Any]:
    return {"offsets": [{"partition": {"filename": f"/tmp/restcmp-{tag}.txt"}, "offset": {"position": position}}]}


# (method, path, body for a worker tag, wait after): the documented life of a connector, good and bad requests
STEPS: list[tuple[str, str, Body | None, float]] = [
    ("GET", "/connectors", None, 0),
    ("POST", "/connectors", lambda t: {"name": "c1", "config": source(t)}, 0),
    ("POST", "/connectors", lambda t: {"name": "c1", "config": source(t)}, 0),
    ("GET", "/connectors/c1", None, 0),
    ("GET", "/connectors/c1/config", None, 0),
    ("GET", "/connectors/c1/tasks", None, 2),
    ("GET", "/connectors/c1/tasks-config", None, 0),
    ("GET", "/connectors/c1/status", None, 0),
    ("GET", "/connectors/c1/tasks/0/status", None, 0),
    ("GET", "/connectors/c1/tasks/5/status", None, 0),
    ("GET", "/connectors/nope", None, 0),
    ("GET", "/connectors/nope/status", None, 0),
    ("GET", "/connectors/nope/config", None, 0),
    ("GET", "/connectors/nope/tasks", None, 0),
    ("DELETE", "/connectors/nope", None, 0),
    ("PUT", "/connectors/nope/pause", None, 0),
    ("PUT", "/connectors/nope/resume", None, 0),
    ("GET", "/connectors/nope/offsets", None, 0),
    ("GET", "/connectors/nope/topics", None, 0),
    ("PUT", "/connectors/c1/config", lambda t: {**source(t), "name": "other"}, 0),
    ("PUT", "/connectors/c1/config", lambda t: {**source(t), "batch.size": "10"}, 0),
    ("PUT", "/connectors/c2/config", lambda t: {**source(t + "2")}, 0),
    ("DELETE", "/connectors/c2", None, 0),
    ("POST", "/connectors", lambda t: {"name": "bad", "config": {"connector.class": "FileStreamSource", "tasks.max": "0"}}, 0),
    ("POST", "/connectors", lambda t: {"config": {"connector.class": "FileStreamSource", "topic": "x"}}, 0),
    ("PUT", "/connector-plugins/FileStreamSource/config/validate", lambda t: {"connector.class": "FileStreamSource", "tasks.max": "x"}, 0),
    ("PUT", "/connector-plugins/FileStreamSink/config/validate", lambda t: {"connector.class": "FileStreamSource"}, 0),
    (
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        lambda t: {"connector.class": "FileStreamSink", "topics": "a", "topics.regex": "b"},
        0,
    ),
    ("GET", "/connector-plugins/FileStreamSource/config", None, 0),
    ("GET", "/connector-plugins/Nope/config", None, 0),
    ("PUT", "/connectors/c1/pause", None, 2),
    ("GET", "/connectors/c1/status", None, 0),
    ("PUT", "/connectors/c1/resume", None, 2),
    ("GET", "/connectors/c1/status", None, 0),
    ("POST", "/connectors/c1/restart", None, 0),
    ("POST", "/connectors/c1/restart?includeTasks=true", None, 2),
    ("POST", "/connectors/c1/restart?includeTasks=true&onlyFailed=true", None, 0),
    ("POST", "/connectors/c1/tasks/0/restart", None, 2),
    ("PATCH", "/connectors/c1/offsets", lambda t: offsets(t, 0), 0),
    ("PUT", "/connectors/c1/stop", None, 2),
    ("GET", "/connectors/c1/status", None, 0),
    ("GET", "/connectors/c1/tasks", None, 0),
    ("PATCH", "/connectors/c1/offsets", lambda t: offsets(t, 3), 0),
    ("GET", "/connectors/c1/offsets", None, 0),
    ("PATCH", "/connectors/c1/offsets", lambda t: {"offsets": []}, 0),
    ("PATCH", "/connectors/c1/offsets", lambda t: {"offsets": [{"partition": {"x": 1}, "offset": {"position": 0}}]}, 0),
    ("DELETE", "/connectors/c1/offsets", None, 0),
    ("GET", "/connectors/c1/offsets", None, 0),
    ("PUT", "/connectors/c1/topics/reset", None, 0),
    ("GET", "/connectors?expand=status", None, 0),
    ("GET", "/connectors?expand=info", None, 0),
    ("DELETE", "/connectors/c1", None, 0),
    ("DELETE", "/connectors/c1", None, 0),
    ("GET", "/no/such/path", None, 0),
    ("DELETE", "/connectors", None, 0),
]


def normalize(value: Any, tag: str, url: str) -> Any:
    """A body with what differs by nature between the two workers (their URLs and file/topic names) removed."""
    text = json.dumps(value, sort_keys=True)
    text = text.replace(url.removeprefix("http://"), "WORKER").replace(f"restcmp-{tag}", "restcmp-X")
    return _drop_docs(json.loads(text))


def _drop_docs(value: Any) -> Any:
    """Config documentation is prose, written anew for Strom: not compared."""
    if isinstance(value, dict):
        return {k: _drop_docs(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_drop_docs(v) for v in value]
    return value


def test_same_requests_same_answers(workers: tuple[ConnectWorker, ConnectWorker]) -> None:
    answers: dict[bool, list[tuple[int, Any, str | None]]] = {}
    for worker, tag in ((workers[0], "j"), (workers[1], "s")):
        out = []
        with httpx.Client(base_url=worker.url, timeout=60) as http:
            for method, path, body, pause in STEPS:
                r = http.request(method, path, json=None if body is None else body(tag))
                parsed = r.json() if r.content else None
                location = r.headers.get("location")
                out.append(
                    (r.status_code, normalize(parsed, tag, worker.url), None if location is None else location.replace(worker.url, ""))
                )
                time.sleep(pause)
        answers[worker.java] = out
    mismatches = []
    for (method, path, _, _), java, strom in zip(STEPS, answers[True], answers[False], strict=True):
        if java[0] != strom[0] or java[2] != strom[2]:
            mismatches.append(f"{method} {path}: status/location java {java[0]} {java[2]} strom {strom[0]} {strom[2]}")
            continue
        if not comparable(path, java[1]):
            continue
        if java[1] != strom[1]:
            mismatches.append(f"{method} {path}:\n  java  {json.dumps(java[1])[:800]}\n  strom {json.dumps(strom[1])[:800]}")
    assert not mismatches, "\n".join(mismatches)


def comparable(path: str, body: Any) -> bool:
    """Bodies that must be equal: all but free-text messages (Java exception texts), plugin documentation and
    validation results, whose fields are compared in the unit tests."""
    return True


def test_strom_worker_on_apache_kafka(apache_kafka: Any, tmp_path: Path) -> None:
    """Strom's standalone worker against Apache Kafka 3.9 (KRaft) unchanged: file -> topic -> file, offsets."""
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("one\ntwo\n")
    worker = ConnectWorker(False, apache_kafka.bootstrap).start()
    try:
        with httpx.Client(base_url=worker.url, timeout=60) as http:
            config = {"connector.class": "FileStreamSource", "file": str(src), "topic": "on-kafka"}
            assert http.post("/connectors", json={"name": "src", "config": config}).status_code == 201
            config = {"connector.class": "FileStreamSink", "file": str(dst), "topics": "on-kafka"}
            assert http.post("/connectors", json={"name": "sink", "config": config}).status_code == 201
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (dst.exists() and dst.read_text() == "one\ntwo\n"):
                time.sleep(0.2)
            assert dst.read_text() == "one\ntwo\n"
            assert http.get("/").json()["kafka_cluster_id"]
            status = http.get("/connectors/sink/status").json()
            assert status["tasks"][0]["state"] == "RUNNING"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not http.get("/connectors/sink/offsets").json()["offsets"]:
                time.sleep(0.3)
            offsets = http.get("/connectors/sink/offsets").json()["offsets"]
            assert offsets == [{"partition": {"kafka_topic": "on-kafka", "kafka_partition": 0}, "offset": {"kafka_offset": 2}}]
    finally:
        worker.close()
