"""Distributed Connect across implementations and faults (slow):
- Apache Kafka 3.9's own Java Connect worker runs on a Strom broker, and a Strom worker then takes over its
  cluster from the topics it wrote (its connector config, Kafka's FileStreamSource class name, its source offsets);
- Strom's distributed workers run on Apache Kafka 3.9;
- of three Strom workers (processes), the one running a task is killed -9: the task restarts on another worker
  after scheduled.rebalance.max.delay.ms, from the last committed offsets, and no line is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from strom import Consumer
from strom.testing.apache_kafka import CACHE, KAFKA_VERSION, ApacheKafka, java_command
from strom.testing.broker import BrokerProcess, free_port

pytestmark = pytest.mark.slow


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def worker_props(bootstrap: str, group: str, port: int, **extra: str) -> dict[str, str]:
    return {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "config.storage.topic": f"{group}-configs",
        "offset.storage.topic": f"{group}-offsets",
        "status.storage.topic": f"{group}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.flush.interval.ms": "500",
        "listeners": f"http://127.0.0.1:{port}",
        **extra,
    }


class WorkerProcess:
    """One worker process: Strom's (python -m strom.cli.connect_distributed) or Kafka's (ConnectDistributed)."""

    def __init__(self, tmp: Path, props: dict[str, str], java: bool = False) -> None:
        self.port = int(props["listeners"].rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.id = f"127.0.0.1:{self.port}"
        path = tmp / f"worker-{self.port}.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        self.log = tmp / f"worker-{self.port}.log"
        cmd = (
            java_command("org.apache.kafka.connect.cli.ConnectDistributed", [str(path)])
            if java
            else [sys.executable, "-m", "strom.cli.connect_distributed", str(path)]
        )
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=self.url, timeout=60)
        wait_for(lambda: self.http.get("/connectors").status_code == 200, 120, f"worker {self.url} up")

    def status(self, name: str) -> dict[str, Any]:
        r = self.http.get(f"/connectors/{name}/status")
        return r.json() if r.status_code == 200 else {}

    def running(self, name: str) -> dict[str, Any] | None:
        s = self.status(name)
        ok = s and s["connector"]["state"] == "RUNNING" and s["tasks"] and all(t["state"] == "RUNNING" for t in s["tasks"])
        return s if ok else None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def topic_values(bootstrap: str, topic: str, want: int, timeout: float = 60) -> list[str]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    try:
        c.subscribe([topic])
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while len(out) < want and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                out.append(m.value().decode())
        time.sleep(1.0)
        for m in c.consume(1000, 1.0):
            if m.error() is None:
                out.append(m.value().decode())
        return out
    finally:
        c.close()


def connect_file_plugin_dir() -> Path:
    """Kafka's connect-file jar (FileStreamSource/Sink, not in Kafka's libs since 3.2), fetched with Maven once."""
    home = CACHE / f"connect-file-{KAFKA_VERSION}"
    if not any(home.glob("connect-file-*.jar")):
        home.mkdir(parents=True, exist_ok=True)
        artifact = f"-Dartifact=org.apache.kafka:connect-file:{KAFKA_VERSION}"
        subprocess.run(["mvn", "-q", "-B", "dependency:copy", artifact, f"-DoutputDirectory={home}"], cwd=home, check=True, timeout=900)
    return home


@pytest.fixture
def procs() -> Iterator[list[WorkerProcess]]:
    made: list[WorkerProcess] = []
    yield made
    for p in made:
        p.stop(signal.SIGKILL)


def test_java_worker_on_strom_then_strom_worker_takes_over(strom_broker: BrokerProcess, tmp_path: Path, procs: list[WorkerProcess]) -> None:
    group = f"jc-{uuid.uuid4().hex[:6]}"
    src = tmp_path / "in.txt"
    src.write_text("one\ntwo\n")
    topic = f"{group}-out"
    java = WorkerProcess(
        tmp_path, worker_props(strom_broker.bootstrap, group, free_port(), **{"plugin.path": str(connect_file_plugin_dir())}), java=True
    )
    procs.append(java)
    config = {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "file": str(src), "topic": topic}
    assert java.http.put("/connectors/src/config", json=config).status_code == 201
    wait_for(lambda: java.running("src"), 120, "Java worker runs the connector")
    assert topic_values(strom_broker.bootstrap, topic, 2) == ["one", "two"]
    time.sleep(2)  # the Java task's offset flush (offset.flush.interval.ms=500)
    java.stop()
    # a Strom worker joins the same cluster: it reads Kafka's config, status and offset records
    strom = WorkerProcess(
        tmp_path, worker_props(strom_broker.bootstrap, group, free_port(), **{"scheduled.rebalance.max.delay.ms": "1000"})
    )
    procs.append(strom)
    s = wait_for(lambda: (x := strom.running("src")) and x["tasks"][0]["worker_id"] == strom.id and x, 120, "Strom worker runs it")
    assert s["type"] == "source"
    with src.open("a") as f:
        f.write("three\n")
    # resumed from Java's committed offset: nothing re-read, the new line once
    assert topic_values(strom_broker.bootstrap, topic, 3) == ["one", "two", "three"]
    offsets = strom.http.get("/connectors/src/offsets").json()["offsets"]
    assert offsets == [{"partition": {"filename": str(src)}, "offset": {"position": len("one\ntwo\nthree\n")}}]


@pytest.fixture(scope="module")
def apache_kafka() -> Iterator[ApacheKafka]:
    k = ApacheKafka().start()
    yield k
    k.close()


@pytest.mark.java
def test_strom_workers_on_apache_kafka(apache_kafka: ApacheKafka, tmp_path: Path, procs: list[WorkerProcess]) -> None:
    group = f"sk-{uuid.uuid4().hex[:6]}"
    for _ in range(2):
        procs.append(WorkerProcess(tmp_path, worker_props(apache_kafka.bootstrap, group, free_port())))
    w1, w2 = procs
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("x\ny\n")
    topic = f"{group}-t"
    assert (
        w2.http.put("/connectors/src/config", json={"connector.class": "FileStreamSource", "file": str(src), "topic": topic}).status_code
        == 201
    )
    assert (
        w1.http.put("/connectors/sink/config", json={"connector.class": "FileStreamSink", "file": str(dst), "topics": topic}).status_code
        == 201
    )
    wait_for(lambda: dst.exists() and dst.read_text() == "x\ny\n", 120, "file -> Apache Kafka -> file")
    wait_for(lambda: w1.running("src") and w1.running("sink"), 60, "statuses")
    workers = {w1.status(n)["tasks"][0]["worker_id"] for n in ("src", "sink")} | {
        w1.status(n)["connector"]["worker_id"] for n in ("src", "sink")
    }
    assert workers == {w1.id, w2.id}


def test_worker_killed_tasks_move_without_loss(strom_broker: BrokerProcess, tmp_path: Path, procs: list[WorkerProcess]) -> None:
    group = f"kill-{uuid.uuid4().hex[:6]}"
    extra = {"scheduled.rebalance.max.delay.ms": "3000", "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000"}
    for _ in range(3):
        procs.append(WorkerProcess(tmp_path, worker_props(strom_broker.bootstrap, group, free_port(), **extra)))
    files = {f"src{i}": tmp_path / f"in{i}.txt" for i in range(3)}
    for name, path in files.items():
        path.write_text("".join(f"{name}-{n}\n" for n in range(50)))
        config = {"connector.class": "FileStreamSource", "file": str(path), "topic": f"{group}-{name}", "batch.size": "5"}
        assert procs[0].http.put(f"/connectors/{name}/config", json=config).status_code == 201
    for name in files:
        wait_for(lambda name=name: procs[0].running(name), 60, f"{name} RUNNING")
    # a worker running a task, not the first one (the group's first member leads it)
    owners = {procs[0].status(n)["tasks"][0]["worker_id"] for n in files}
    victim = next((p for p in procs[1:] if p.id in owners), procs[0])
    survivors = [p for p in procs if p is not victim]
    time.sleep(1.5)  # offsets flushed
    os.kill(victim.proc.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    victim.proc.wait(10)
    for name, path in files.items():
        with path.open("a") as f:
            f.write("".join(f"{name}-{n}\n" for n in range(50, 80)))
    moved = wait_for(
        lambda: all((s := survivors[0].running(n)) and s["tasks"][0]["worker_id"] in {p.id for p in survivors} for n in files),
        90,
        "every task running on a surviving worker",
    )
    assert moved
    # noticed after session.timeout.ms (6 s), then held for scheduled.rebalance.max.delay.ms (3 s); only 6 s if
    # the killed worker was the leader after all (the new leader does not know what was lost)
    took = time.monotonic() - killed_at
    print(f"tasks of the killed worker running again after {took:.1f} s")
    assert 4 <= took < 30
    for name in files:
        values = topic_values(strom_broker.bootstrap, f"{group}-{name}", 80)
        assert set(values) == {f"{name}-{n}" for n in range(80)}  # at least once: nothing lost


def test_one_group_of_a_java_leader_and_a_strom_worker(strom_broker: BrokerProcess, tmp_path: Path, procs: list[WorkerProcess]) -> None:
    """Kafka 3.9's worker leads (it joined first), a Strom worker follows: the leader's sessioned assignments,
    the config offsets and the members' metadata are the same bytes on both sides, so work spreads over both,
    and a write sent to the Strom worker is forwarded to the Java leader."""
    group = f"mix-{uuid.uuid4().hex[:6]}"
    procs.append(
        WorkerProcess(
            tmp_path, worker_props(strom_broker.bootstrap, group, free_port(), **{"plugin.path": str(connect_file_plugin_dir())}), java=True
        )
    )
    time.sleep(3)  # the Java worker is the group's first member, hence its leader
    procs.append(WorkerProcess(tmp_path, worker_props(strom_broker.bootstrap, group, free_port())))
    java, strom = procs
    for i in range(4):
        (tmp_path / f"in{i}.txt").write_text(f"x{i}\n")
        config = {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": str(tmp_path / f"in{i}.txt"),
            "topic": f"{group}-{i}",
        }
        assert strom.http.put(f"/connectors/c{i}/config", json=config).status_code == 201
    for i in range(4):
        wait_for(lambda i=i: java.running(f"c{i}") and strom.running(f"c{i}"), 90, f"c{i} RUNNING in both workers' views")
    owners = [java.status(f"c{i}")["tasks"][0]["worker_id"] for i in range(4)]
    assert {owners.count(java.id), owners.count(strom.id)} == {2}
    for i in range(4):
        assert topic_values(strom_broker.bootstrap, f"{group}-{i}", 1) == [f"x{i}"]


def test_one_group_of_a_strom_leader_and_a_java_worker(strom_broker: BrokerProcess, tmp_path: Path, procs: list[WorkerProcess]) -> None:
    """A Strom worker leads (it joined first), Kafka 3.9's worker follows: the leader writes the session key
    (KIP-507), the Java worker sends the task configs of the connectors it runs to the leader's internal
    endpoint (POST /connectors/{name}/tasks, signed), and the writes it receives are forwarded to the leader."""
    group = f"mix-{uuid.uuid4().hex[:6]}"
    procs.append(WorkerProcess(tmp_path, worker_props(strom_broker.bootstrap, group, free_port())))
    time.sleep(3)  # the Strom worker is the group's first member, hence its leader
    procs.append(
        WorkerProcess(
            tmp_path, worker_props(strom_broker.bootstrap, group, free_port(), **{"plugin.path": str(connect_file_plugin_dir())}), java=True
        )
    )
    strom, java = procs
    for i in range(4):
        (tmp_path / f"in{i}.txt").write_text(f"y{i}\n")
        config = {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": str(tmp_path / f"in{i}.txt"),
            "topic": f"{group}-{i}",
        }
        assert java.http.put(f"/connectors/c{i}/config", json=config).status_code == 201
    for i in range(4):
        wait_for(lambda i=i: java.running(f"c{i}") and strom.running(f"c{i}"), 90, f"c{i} RUNNING in both workers' views")
    connectors = [java.status(f"c{i}")["connector"]["worker_id"] for i in range(4)]
    assert {connectors.count(java.id), connectors.count(strom.id)} == {2}  # the Java worker sent its task configs
    for i in range(4):
        assert topic_values(strom_broker.bootstrap, f"{group}-{i}", 1) == [f"y{i}"]
    # the internal endpoint refuses what is not signed with the session key
    r = strom.http.post(
        "/connectors/c0/tasks",
        json=[{"task.class": "x"}],
        headers={"X-Connect-Authorization": "AAAA", "X-Connect-Request-Signature-Algorithm": "HmacSHA256"},
    )
    assert (r.status_code, r.json()["message"]) == (403, "Internal request contained invalid signature.")
    assert strom.http.post("/connectors/c0/tasks", json=[{"task.class": "x"}]).status_code == 400


def fencing_records(bootstrap: str, group: str) -> list[tuple[str, str]]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"cfg-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    try:
        c.subscribe([f"{group}-configs"])
        out: list[tuple[str, str]] = []
        idle = time.monotonic() + 5
        while time.monotonic() < idle:
            m = c.poll(0.3)
            if m is not None and m.error() is None:
                idle = time.monotonic() + 1.5
                if m.key().decode().startswith("tasks-fencing-"):
                    out.append((m.key().decode(), m.value().decode()))
        return out
    finally:
        c.close()


@pytest.mark.parametrize("java_leads", [False, True], ids=["strom-leader", "java-leader"])
def test_exactly_once_sources_in_a_mixed_group(
    strom_broker: BrokerProcess, tmp_path: Path, procs: list[WorkerProcess], java_leads: bool
) -> None:
    """KIP-618 across implementations: with exactly.once.source.support=enabled on a Java and a Strom worker, each
    worker's exactly-once tasks ask the other implementation's leader for their round of fencing
    (PUT /connectors/{name}/fence, signed with the session key) and the leader writes the tasks-fencing records in
    Kafka's format; a reconfigured connector's new generation gets a new record before it produces."""
    group = f"eos-{uuid.uuid4().hex[:6]}"
    extra = {"exactly.once.source.support": "enabled"}
    java_props = worker_props(strom_broker.bootstrap, group, free_port(), **extra, **{"plugin.path": str(connect_file_plugin_dir())})
    strom_props = worker_props(strom_broker.bootstrap, group, free_port(), **extra)
    first, second = ((java_props, True), (strom_props, False)) if java_leads else ((strom_props, False), (java_props, True))
    procs.append(WorkerProcess(tmp_path, first[0], java=first[1]))
    time.sleep(3)  # the first member leads
    procs.append(WorkerProcess(tmp_path, second[0], java=second[1]))
    java, strom = (procs[0], procs[1]) if java_leads else (procs[1], procs[0])
    for i in range(4):
        (tmp_path / f"in{i}.txt").write_text(f"z{i}\n")
        config = {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": str(tmp_path / f"in{i}.txt"),
            "topic": f"{group}-{i}",
        }
        assert strom.http.put(f"/connectors/c{i}/config", json=config).status_code == 201
    for i in range(4):
        wait_for(lambda i=i: java.running(f"c{i}") and strom.running(f"c{i}"), 120, f"c{i} RUNNING in both workers' views")
    owners = [java.status(f"c{i}")["tasks"][0]["worker_id"] for i in range(4)]
    assert {owners.count(java.id), owners.count(strom.id)} == {2}  # both workers' tasks asked the leader
    for i in range(4):
        assert topic_values(strom_broker.bootstrap, f"{group}-{i}", 1) == [f"z{i}"]
    records = fencing_records(strom_broker.bootstrap, group)
    assert sorted(records) == [(f"tasks-fencing-c{i}", '{"task-count":1}') for i in range(4)]
    # new task configs for a connector whose task runs on the follower: a new generation, a new record first
    follower = java if not java_leads else strom
    moved = next(i for i in range(4) if java.status(f"c{i}")["tasks"][0]["worker_id"] == follower.id)
    (tmp_path / "again.txt").write_text("again\n")
    config = {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "file": str(tmp_path / "again.txt"),
              "topic": f"{group}-{moved}"}  # fmt: skip
    assert follower.http.put(f"/connectors/c{moved}/config", json=config).status_code == 200
    wait_for(lambda: "again" in topic_values(strom_broker.bootstrap, f"{group}-{moved}", 2, 5), 120, "the new generation's record")
    again = [r for r in fencing_records(strom_broker.bootstrap, group) if r[0] == f"tasks-fencing-c{moved}"]
    assert again == [(f"tasks-fencing-c{moved}", '{"task-count":1}')] * 2


def basic_auth_extension_dir() -> Path:
    """Kafka's connect-basic-auth-extension jar (in the distribution's libs, not in the jars strom.testing fetches),
    fetched with Maven once."""
    home = CACHE / f"connect-basic-auth-extension-{KAFKA_VERSION}"
    if not any(home.glob("connect-basic-auth-extension-*.jar")):
        home.mkdir(parents=True, exist_ok=True)
        artifact = f"-Dartifact=org.apache.kafka:connect-basic-auth-extension:{KAFKA_VERSION}"
        subprocess.run(["mvn", "-q", "-B", "dependency:copy", artifact, f"-DoutputDirectory={home}"], cwd=home, check=True, timeout=900)
    return home


@pytest.mark.parametrize("java_leads", [True, False], ids=["java-leader", "strom-leader"])
def test_https_and_basic_auth_in_a_mixed_group(
    strom_broker: BrokerProcess, tmp_path: Path, procs: list[WorkerProcess], java_leads: bool
) -> None:
    """A Java 3.9 worker and a Strom worker, both on https listeners (PKCS12 keystore and truststore under
    listeners.https.) with Kafka's BasicAuthSecurityRestExtension and one JAAS file: each answers 401 without
    credentials, and writes sent to either reach the leader over https with the caller's credentials."""
    import ssl

    from strom.testing.certs import TestCertificates

    pki = TestCertificates(tmp_path / "pki")
    (tmp_path / "users.properties").write_text("alice: alice-secret\n")
    jaas = tmp_path / "connect.jaas"
    jaas.write_text(
        "KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n"
        f'  file="{tmp_path / "users.properties"}";\n}};\n'
    )
    group = f"https-{uuid.uuid4().hex[:6]}"

    def props(port: int, java: bool) -> dict[str, str]:
        p = worker_props(strom_broker.bootstrap, group, port)
        p.update(
            {
                "listeners": f"https://127.0.0.1:{port}",
                "rest.extension.classes": "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
                "listeners.https.ssl.keystore.type": "PKCS12",
                "listeners.https.ssl.keystore.location": str(pki.server.p12),
                "listeners.https.ssl.keystore.password": pki.password,
                "listeners.https.ssl.truststore.type": "PKCS12",  # Jetty's key stores: no PEM for the REST server
                "listeners.https.ssl.truststore.location": str(pki.truststore_p12()),
                "listeners.https.ssl.truststore.password": pki.password,
            }
        )
        if java:
            p["plugin.path"] = str(connect_file_plugin_dir())
        return p

    trust = ssl.create_default_context(cafile=str(pki.ca_pem))
    workers: list[tuple[subprocess.Popen[bytes], httpx.Client, str]] = []
    try:
        for java in (java_leads, not java_leads):  # the first to join leads
            port = free_port()
            path = tmp_path / f"worker-{port}.properties"
            path.write_text("".join(f"{k}={v}\n" for k, v in props(port, java).items()))
            jaas_arg = f"-Djava.security.auth.login.config={jaas}"
            if java:
                cmd = java_command("org.apache.kafka.connect.cli.ConnectDistributed", [str(path)])
                cmd.insert(1, jaas_arg)
                # on the class path, as in Kafka's distribution (JAAS loads the login module from there)
                classpath = cmd.index("-cp") + 1
                cmd[classpath] += f":{basic_auth_extension_dir()}/*"
            else:
                cmd = [sys.executable, "-m", "strom.cli.connect_distributed", str(path)]
            env = {**os.environ, "KAFKA_OPTS": jaas_arg}
            with (tmp_path / f"worker-{port}.log").open("w") as out:
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
            http = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust, auth=("alice", "alice-secret"), timeout=60)
            workers.append((proc, http, f"127.0.0.1:{port}"))
            wait_for(lambda http=http: http.get("/connectors").status_code == 200, 120, f"worker {port} up over https")
            if len(workers) == 1:
                time.sleep(3)
        if not java_leads:
            workers.reverse()
        (_, java_http, java_id), (_, strom_http, strom_id) = workers
        for http in (java_http, strom_http):
            url = str(http.base_url).rstrip("/") + "/connectors"
            r = httpx.get(url, verify=trust)
            assert (r.status_code, r.text) == (401, "User cannot access the resource.")
            assert httpx.get(url, verify=trust, auth=("alice", "nope")).status_code == 401
        for i, http in enumerate((strom_http, java_http, strom_http, java_http)):
            (tmp_path / f"in{i}.txt").write_text(f"s{i}\n")
            config = {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "file": str(tmp_path / f"in{i}.txt"),
                      "topic": f"{group}-{i}"}  # fmt: skip
            r = http.put(f"/connectors/c{i}/config", json=config)  # the follower forwards to the leader
            assert r.status_code == 201, r.text

        def running(http: httpx.Client, name: str) -> bool:
            s = http.get(f"/connectors/{name}/status").json()
            return s.get("connector", {}).get("state") == "RUNNING" and [t["state"] for t in s.get("tasks", [])] == ["RUNNING"]

        for i in range(4):
            wait_for(lambda i=i: running(java_http, f"c{i}") and running(strom_http, f"c{i}"), 120, f"c{i} RUNNING")
        owners = [java_http.get(f"/connectors/c{i}/status").json()["tasks"][0]["worker_id"] for i in range(4)]
        assert {owners.count(java_id), owners.count(strom_id)} == {2}  # the follower's task configs reached the leader
        for i in range(4):
            assert topic_values(strom_broker.bootstrap, f"{group}-{i}", 1) == [f"s{i}"]
    finally:
        for proc, http, _ in workers:
            http.close()
            proc.kill()
            proc.wait(30)
