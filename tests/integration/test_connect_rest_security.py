"""The REST API over https (`listeners=https://...` with `listeners.https.ssl.*` or `ssl.*`) and with Kafka's
BasicAuthSecurityRestExtension (a KafkaConnect JAAS section with PropertyFileLoginModule): 401 without valid
credentials, internal requests left to their signatures; distributed workers forward writes to the leader over
https with the caller's credentials, and exactly-once tasks ask the leader for their fencing round over https."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from strom.cli.connect_distributed import run_distributed
from strom.cli.connect_standalone import run_standalone
from strom.testing.broker import BrokerProcess, free_port
from strom.testing.certs import TestCertificates


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.TransportError:
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class InProcessWorker:
    """A worker (standalone or distributed) on its own event loop thread, reached over https."""

    def __init__(self, run: Callable[[asyncio.Event], Coroutine[Any, Any, int]], port: int, ca: Path, auth: tuple[str, str]) -> None:
        self.url = f"https://127.0.0.1:{port}"
        self.id = f"127.0.0.1:{port}"
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.result: list[int] = []

        def main() -> None:
            async def go() -> int:
                self.stop_event = asyncio.Event()
                return await run(self.stop_event)

            self.result.append(self.loop.run_until_complete(go()))

        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()
        self.http = httpx.Client(base_url=self.url, timeout=60, verify=ssl.create_default_context(cafile=str(ca)), auth=auth)
        wait_for(lambda: self.http.get("/connectors").status_code == 200, 60, "REST API up over https")

    def close(self) -> None:
        self.http.close()
        if self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(60)
        if not self.thread.is_alive():
            self.loop.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return TestCertificates(tmp_path_factory.mktemp("rest-pki"))


@pytest.fixture(scope="module")
def jaas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """KAFKA_OPTS naming a JAAS file whose KafkaConnect section lets alice in, as a Java worker is set up."""
    import os

    d = tmp_path_factory.mktemp("rest-jaas")
    (d / "users.properties").write_text("alice: alice-secret\n")
    (d / "connect.jaas").write_text(
        "KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n"
        f'  file="{d / "users.properties"}";\n}};\n'
    )
    before = os.environ.get("KAFKA_OPTS")
    os.environ["KAFKA_OPTS"] = f"-Djava.security.auth.login.config={d / 'connect.jaas'}"
    yield
    if before is None:
        del os.environ["KAFKA_OPTS"]
    else:
        os.environ["KAFKA_OPTS"] = before


def https_props(pki: TestCertificates, port: int, prefixed: bool) -> dict[str, str]:
    """The listener's keystore (PKCS12) and truststore (the CA), under listeners.https. or as plain ssl.* keys."""
    prefix = "listeners.https." if prefixed else ""
    return {
        "listeners": f"https://127.0.0.1:{port}",
        "rest.extension.classes": "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
        f"{prefix}ssl.keystore.type": "PKCS12",
        f"{prefix}ssl.keystore.location": str(pki.server.p12),
        f"{prefix}ssl.keystore.password": pki.password,
        f"{prefix}ssl.truststore.type": "PEM",
        f"{prefix}ssl.truststore.location": str(pki.ca_pem),
    }


ALICE = ("alice", "alice-secret")


def trusting(pki: TestCertificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca_pem))


def test_standalone_worker_over_https_with_basic_auth(
    strom_broker: BrokerProcess, pki: TestCertificates, jaas: None, tmp_path: Path
) -> None:
    port = free_port()
    props = {
        "bootstrap.servers": strom_broker.bootstrap,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
        **https_props(pki, port, prefixed=True),
    }
    w = InProcessWorker(lambda stop: run_standalone(props, [], stop), port, pki.ca_pem, ALICE)
    try:
        assert w.http.get("/").json()["kafka_cluster_id"]
        with httpx.Client(base_url=w.url, verify=trusting(pki), timeout=30) as anonymous:
            r = anonymous.get("/connectors")
            assert (r.status_code, r.text) == (401, "User cannot access the resource.")
            assert anonymous.get("/connectors", auth=("alice", "wrong")).status_code == 401
            assert anonymous.get("/connectors", auth=("mallory", "alice-secret")).status_code == 401
            # internal requests between workers are not checked here (they carry the session key's signature)
            r = anonymous.post("/connectors/x/tasks", json=[])
            assert r.status_code == 500 and "standalone" in r.json()["message"]
        with httpx.Client(verify=True, timeout=30) as untrusting, pytest.raises(httpx.ConnectError, match="(?i)certificate"):
            untrusting.get(w.url + "/", auth=ALICE)
        with httpx.Client(timeout=30) as plain, pytest.raises(httpx.HTTPError):
            plain.get(f"http://127.0.0.1:{port}/", auth=ALICE)
    finally:
        w.close()


@pytest.mark.slow
def test_distributed_workers_forward_over_https_with_credentials(
    strom_broker: BrokerProcess, pki: TestCertificates, jaas: None, tmp_path: Path
) -> None:
    """Two workers with https listeners (one with listeners.https.ssl.*, the other with ssl.* keys, which its Kafka
    clients ignore on a PLAINTEXT broker) and basic auth: a write sent to the follower is forwarded to the leader
    over https with the caller's Authorization; exactly-once tasks on both ask the leader to fence over https."""
    group = f"https-{uuid.uuid4().hex[:6]}"
    workers: list[InProcessWorker] = []

    def props(port: int, prefixed: bool) -> dict[str, str]:
        return {
            "bootstrap.servers": strom_broker.bootstrap,
            "group.id": group,
            "config.storage.topic": f"{group}-configs",
            "offset.storage.topic": f"{group}-offsets",
            "status.storage.topic": f"{group}-status",
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "offset.storage.partitions": "2",
            "status.storage.partitions": "1",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "heartbeat.interval.ms": "300",
            "scheduled.rebalance.max.delay.ms": "1500",
            "exactly.once.source.support": "enabled",
            "security.protocol": "PLAINTEXT",
            **https_props(pki, port, prefixed),
        }

    try:
        for prefixed in (True, False):
            port = free_port()
            p = props(port, prefixed)
            workers.append(InProcessWorker(lambda stop, p=p: run_distributed(p, stop), port, pki.ca_pem, ALICE))
            time.sleep(2)  # the first worker leads
        leader, follower = workers
        for i in range(2):
            (tmp_path / f"in{i}.txt").write_text(f"line-{i}\n")
            config = {"connector.class": "FileStreamSource", "file": str(tmp_path / f"in{i}.txt"), "topic": f"{group}-{i}"}
            r = follower.http.put(f"/connectors/c{i}/config", json=config)  # forwarded to the leader over https
            assert r.status_code == 201, r.text
        r = httpx.put(follower.url + "/connectors/c9/config", json={"connector.class": "FileStreamSource"}, verify=trusting(pki))
        assert r.status_code == 401  # refused by the follower, never forwarded

        def all_running() -> bool:
            for i in range(2):
                s = leader.http.get(f"/connectors/c{i}/status").json()
                if s.get("connector", {}).get("state") != "RUNNING" or [t["state"] for t in s.get("tasks", [])] != ["RUNNING"]:
                    return False
            return True

        wait_for(all_running, 90, "both connectors' exactly-once tasks RUNNING")
        owners = {leader.http.get(f"/connectors/c{i}/status").json()["tasks"][0]["worker_id"] for i in range(2)}
        assert owners == {leader.id, follower.id}  # the follower's task asked the leader to fence over https
        assert leader.http.get("/connectors/c0/status").json()["connector"]["worker_id"] in (leader.id, follower.id)
    finally:
        for w in workers:
            w.close()
