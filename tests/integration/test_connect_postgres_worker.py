"""PostgresConnector on Strom's standalone worker (REST, file offset store, producer) and a Strom broker: created by
its Java class name over REST, snapshot and changes land in the topic, the worker's offset commits move the slot's
confirmed flush LSN, and a new worker on the same offsets file resumes without repeating a record."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom import Consumer
from strom.connect.connectors.postgres.pgoutput import parse_lsn
from strom.testing.broker import BrokerProcess
from strom.testing.broker_fixtures import strom_broker  # noqa: F401 - fixture
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

from .test_connect_standalone import Worker, running, wait_for

DB = "cdcworker"


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[PostgresServer]:  # noqa: F811
    postgres.create_database(DB)
    postgres.psql("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one')", DB)
    yield postgres
    postgres.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{DB}' AND NOT active")


def test_worker_streams_commits_and_resumes(database: PostgresServer, strom_broker: BrokerProcess, tmp_path: Path) -> None:  # noqa: F811
    config = {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": database.host,
        "database.port": str(database.port),
        "database.user": database.user,
        "database.dbname": DB,
        "topic.prefix": "wk",
        "poll.interval.ms": "100",
    }
    consumer = Consumer({"bootstrap.servers": strom_broker.bootstrap, "group.id": "cdc-worker-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["wk.public.items"])
    seen: list[tuple[str, int]] = []

    def read(n: int, timeout: float = 60.0) -> list[tuple[str, int]]:
        deadline = time.monotonic() + timeout
        while len(seen) < n and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None and msg.value() is not None:
                payload = json.loads(msg.value())["payload"]
                seen.append((payload["op"], payload["after"]["id"]))
        return seen

    def flushed() -> int:
        return parse_lsn(database.psql(f"SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE database = '{DB}'"))

    worker = Worker(strom_broker, tmp_path)
    try:
        r = worker.http.post("/connectors", json={"name": "pg", "config": config})
        assert r.status_code == 201, r.text
        wait_for(lambda: running(worker, "pg"), 60, "connector running")
        assert read(1) == [("r", 1)]
        before = flushed()
        database.psql("INSERT INTO items VALUES (2, 'two'); INSERT INTO items VALUES (3, 'three')", DB)
        assert read(3) == [("r", 1), ("c", 2), ("c", 3)]
        wait_for(lambda: flushed() > before, 30, "the slot's confirmed flush LSN to move after an offset commit")
    finally:
        worker.close()

    database.psql("INSERT INTO items VALUES (4, 'four')", DB)
    worker = Worker(strom_broker, tmp_path)  # same offsets file
    try:
        r = worker.http.post("/connectors", json={"name": "pg", "config": config})
        assert r.status_code == 201, r.text
        assert read(4) == [("r", 1), ("c", 2), ("c", 3), ("c", 4)]
        assert read(5, timeout=1.0) == [("r", 1), ("c", 2), ("c", 3), ("c", 4)]  # nothing repeated
    finally:
        worker.close()
        consumer.close()
