"""The issue's end-to-end check of database synchronization, with real parts only: a PostgreSQL table is captured
(Debezium's PostgresConnector) into a Strom broker and written by the JDBC sink into another PostgreSQL database and
a SQLite file, by three distributed worker processes (bin/connect-distributed.sh's module), under a stream of
inserts, updates and deletes; one worker is killed -9 mid-stream. At the end both targets equal the source."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from strom.testing.broker import BrokerProcess, free_port
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

ROWS, CHANGES = 300, 1500  # rows before the connectors start; inserts/updates/deletes while they run


class WorkerProcess:
    """One distributed worker as an operator runs it: its own process, a properties file, a REST port."""

    def __init__(self, broker: BrokerProcess, group: str, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        props = {
            "bootstrap.servers": broker.bootstrap,
            "group.id": group,
            "config.storage.topic": f"{group}-configs",
            "offset.storage.topic": f"{group}-offsets",
            "status.storage.topic": f"{group}-status",
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "offset.flush.interval.ms": "500",
            "heartbeat.interval.ms": "500",
            "session.timeout.ms": "6000",
            "scheduled.rebalance.max.delay.ms": "2000",
            "listeners": self.url,
        }
        self.props_file = tmp / f"worker-{self.port}.properties"
        self.props_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        self.log = (tmp / f"worker-{self.port}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "strom.cli.connect_distributed", str(self.props_file)], stdout=self.log, stderr=subprocess.STDOUT
        )
        self.http = httpx.Client(base_url=self.url, timeout=30)
        wait_for(self._up, 90, f"worker {self.url} REST API")

    def _up(self) -> bool:
        try:
            return self.http.get("/connectors").status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def close(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.log.close()


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    b = BrokerProcess(port=free_port()).start()
    yield b
    b.close()


def rows_pg(dsn: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        try:
            return sorted(conn.execute(f"SELECT id, name, qty FROM {table}").fetchall())
        except psycopg.errors.UndefinedTable:
            return []


def rows_sqlite(path: Path, table: str) -> list[tuple[Any, ...]]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        try:
            return sorted(conn.execute(f"SELECT id, name, qty FROM {table}").fetchall())
        except sqlite3.OperationalError:
            return []


def change_stream(dsn: str, stop: threading.Event, done: list[int]) -> None:
    """Inserts, updates and deletes in small transactions, as an application would make them."""
    rng = random.Random(7)
    next_id = ROWS + 1
    live = list(range(1, ROWS + 1))
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(CHANGES):
            if stop.is_set():
                break
            action = rng.random()
            if action < 0.4 or not live:
                conn.execute("INSERT INTO customers (id, name, qty) VALUES (%s, %s, %s)", (next_id, f"c{next_id}", next_id % 17))
                live.append(next_id)
                next_id += 1
            elif action < 0.8:
                key = rng.choice(live)
                conn.execute("UPDATE customers SET qty = qty + 1, name = %s WHERE id = %s", (f"u{key}-{rng.randrange(1000)}", key))
            else:
                key = live.pop(rng.randrange(len(live)))
                conn.execute("DELETE FROM customers WHERE id = %s", (key,))
            done[0] += 1
            time.sleep(0.004)


def test_postgres_to_postgres_and_sqlite_through_strom_with_a_worker_killed(
    broker: BrokerProcess,
    postgres: PostgresServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    source_db, target_db = f"src_{suffix}", f"dst_{suffix}"
    source_dsn, target_dsn = postgres.create_database(source_db), postgres.create_database(target_db)
    replica = tmp_path / "replica.db"
    with psycopg.connect(source_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id INT PRIMARY KEY, name TEXT NOT NULL, qty INT NOT NULL)")
        conn.execute("INSERT INTO customers SELECT i, 'c' || i, i %% 17 FROM generate_series(1, %s) AS i", (ROWS,))

    group = f"sync-{suffix}"
    workers = [WorkerProcess(broker, group, tmp_path) for _ in range(3)]
    try:
        prefix = f"db{suffix}"
        topic = f"{prefix}.public.customers"
        source = {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": postgres.host,
            "database.port": str(postgres.port),
            "database.user": postgres.user,
            "database.dbname": source_db,
            "topic.prefix": prefix,
            "table.include.list": "public.customers",
            "slot.name": f"slot_{suffix}",
            "publication.name": f"pub_{suffix}",
        }
        sink = {
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": topic,
            "transforms": "unwrap,route",
            "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.unwrap.drop.tombstones": "false",
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": r".*\.([^.]+)",
            "transforms.route.replacement": "$1",
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "delete.enabled": "true",
            "auto.create": "true",
            "auto.evolve": "true",
        }
        configs = {
            "cdc": source,
            "pg-replica": {**sink, "connection.url": postgres.jdbc_url(target_db), "connection.user": postgres.user},
            "sqlite-replica": {**sink, "connection.url": f"jdbc:sqlite:{replica}"},
        }
        for name, config in configs.items():
            response = workers[0].http.post("/connectors", json={"name": name, "config": config})
            assert response.status_code == 201, response.text

        def all_running() -> bool:
            for name in configs:
                r = workers[1].http.get(f"/connectors/{name}/status")
                if r.status_code != 200:
                    return False
                body = r.json()
                if body["connector"]["state"] != "RUNNING" or not body["tasks"] or any(t["state"] != "RUNNING" for t in body["tasks"]):
                    return False
            return True

        wait_for(all_running, 120, "the three connectors running")
        wait_for(lambda: len(rows_pg(target_dsn, "customers")) == ROWS, 120, "the snapshot in PostgreSQL")

        stop, done = threading.Event(), [0]
        writer = threading.Thread(target=change_stream, args=(source_dsn, stop, done), daemon=True)
        writer.start()
        wait_for(lambda: done[0] > CHANGES // 3, 120, "a third of the changes")
        # kill -9 the worker running the CDC task (the one whose loss matters most)
        cdc_worker = workers[0].http.get("/connectors/cdc/status").json()["tasks"][0]["worker_id"]
        [victim] = [w for w in workers if w.url.endswith(":" + cdc_worker.rsplit(":", 1)[-1])]
        victim.kill()
        survivors = [w for w in workers if w is not victim]
        writer.join(300)
        assert not writer.is_alive()

        expected = rows_pg(source_dsn, "customers")
        assert len(expected) > ROWS // 2
        wait_for(lambda: rows_pg(target_dsn, "customers") == expected, 240, "the PostgreSQL replica to equal the source")
        wait_for(lambda: rows_sqlite(replica, "customers") == expected, 240, "the SQLite replica to equal the source")
        body = survivors[0].http.get("/connectors/cdc/status").json()
        assert body["tasks"][0]["state"] == "RUNNING" and body["tasks"][0]["worker_id"] != cdc_worker
    finally:
        for w in workers:
            w.close()
