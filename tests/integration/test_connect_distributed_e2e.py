"""The issue's end-to-end check (slow): a PostgreSQL table -> PostgresConnector (CDC) -> Strom -> JdbcSinkConnector
-> another PostgreSQL database and a SQLite file, run by three distributed Strom workers (processes) while a
stream of inserts, updates and deletes goes on; the worker running the CDC task is killed -9 mid-stream. At the end
both target tables equal the source table."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from strom.testing.broker import BrokerProcess, free_port
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

from .test_connect_distributed_interop import WorkerProcess, procs, wait_for, worker_props  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def pg_rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        try:
            return [tuple(r) for r in conn.execute('SELECT "id", "name", "qty" FROM "customers" ORDER BY "id"').fetchall()]
        except psycopg.errors.UndefinedTable:
            return []


def sqlite_rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute('SELECT "id", "name", "qty" FROM "customers" ORDER BY "id"').fetchall()]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_cdc_to_postgresql_and_sqlite_with_a_worker_killed(
    strom_broker: BrokerProcess,
    postgres: PostgresServer,  # noqa: F811
    tmp_path: Path,
    procs: list[WorkerProcess],  # noqa: F811
) -> None:
    run = uuid.uuid4().hex[:6]
    source_db, target_db = f"shop{run}", f"replica{run}"
    source_dsn, target_dsn = postgres.create_database(source_db), postgres.create_database(target_db)
    replica = tmp_path / "replica.db"
    with psycopg.connect(source_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, qty integer NOT NULL)")
        conn.execute("INSERT INTO customers SELECT i, 'c' || i, i FROM generate_series(1, 50) AS i")

    group = f"e2e-{run}"
    json = {
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "scheduled.rebalance.max.delay.ms": "2000",
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "1000",
    }
    for _ in range(3):
        procs.append(WorkerProcess(tmp_path, worker_props(strom_broker.bootstrap, group, free_port(), **json)))
    topic_prefix = f"shop{run}"
    cdc = {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "plugin.name": "pgoutput",
        "database.hostname": postgres.host,
        "database.port": str(postgres.port),
        "database.user": postgres.user,
        "database.dbname": source_db,
        "topic.prefix": topic_prefix,
        "table.include.list": "public.customers",
        "slot.name": f"slot_{run}",
        "publication.name": f"pub_{run}",
        "snapshot.mode": "initial",
    }
    sink = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": f"{topic_prefix}.public.customers",
        "table.name.format": "customers",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "delete.enabled": "true",
        "auto.create": "true",
        "transforms": "unwrap",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.unwrap.delete.handling.mode": "none",
    }
    for i, (name, config) in enumerate(
        (
            ("cdc", cdc),
            ("pg-sink", {**sink, "connection.url": postgres.jdbc_url(target_db), "connection.user": postgres.user}),
            ("sqlite-sink", {**sink, "connection.url": f"jdbc:sqlite:{replica}"}),
        )
    ):
        r = procs[i].http.put(f"/connectors/{name}/config", json=config)
        assert r.status_code == 201, r.text
    for name in ("cdc", "pg-sink", "sqlite-sink"):
        wait_for(lambda name=name: procs[0].running(name), 90, f"{name} RUNNING")

    stop = threading.Event()
    done: list[int] = []

    def changes() -> None:
        rng = random.Random(7)
        next_id = 51
        with psycopg.connect(source_dsn, autocommit=True) as conn:
            while not stop.is_set():
                op = rng.random()
                if op < 0.5:
                    conn.execute("INSERT INTO customers VALUES (%s, %s, %s)", (next_id, f"c{next_id}", next_id))
                    next_id += 1
                elif op < 0.8:
                    conn.execute("UPDATE customers SET qty = qty + 1, name = name || '+' WHERE id = %s", (rng.randrange(1, next_id),))
                else:
                    conn.execute("DELETE FROM customers WHERE id = %s", (rng.randrange(1, next_id),))
                done.append(1)
                time.sleep(0.01)

    writer = threading.Thread(target=changes, daemon=True)
    writer.start()
    try:
        time.sleep(3)
        owner = procs[0].status("cdc")["tasks"][0]["worker_id"]
        victim = next(p for p in procs if p.id == owner)
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(10)
        survivors = [p for p in procs if p is not victim]
        wait_for(
            lambda: (s := survivors[0].running("cdc")) and s["tasks"][0]["worker_id"] in {p.id for p in survivors},
            90,
            "the CDC task running on another worker",
        )
        time.sleep(3)
    finally:
        stop.set()
        writer.join(30)
    assert len(done) > 100

    def source() -> list[tuple[Any, ...]]:
        with psycopg.connect(source_dsn) as conn:
            return [tuple(r) for r in conn.execute("SELECT id, name, qty FROM customers ORDER BY id").fetchall()]

    want = source()
    wait_for(lambda: pg_rows(target_dsn) == want and sqlite_rows(replica) == want, 120, "both targets equal to the source")
    for name in ("cdc", "pg-sink", "sqlite-sink"):
        assert survivors[0].http.delete(f"/connectors/{name}").status_code == 204
    postgres.psql(f"SELECT pg_drop_replication_slot('slot_{run}')", source_db)
