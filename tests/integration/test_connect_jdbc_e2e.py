"""JDBC end to end through a Strom broker and a standalone worker, configured over the REST API as users do:
a SQLite table -> JdbcSourceConnector (timestamp+incrementing, ValueToKey) -> topic (JsonConverter envelope) ->
JdbcSinkConnector (upsert, record_key, delete.enabled) -> a PostgreSQL table and a SQLite table, which end equal to
the source, deletes included (tombstones produced to the topic with the converter's key envelope)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from strom import Producer
from strom.testing.broker import BrokerProcess
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

from .test_connect_standalone import Worker, wait_for


@pytest.fixture(scope="module")
def worker(strom_broker: BrokerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    w = Worker(strom_broker, tmp_path_factory.mktemp("connect-jdbc"))
    yield w
    w.close()


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    except sqlite3.OperationalError:  # the sink has not created the table yet
        return []
    finally:
        conn.close()


def pg_rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        try:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
        except psycopg.errors.UndefinedTable:
            return []


def test_sqlite_table_to_postgresql_and_sqlite_through_strom(worker: Worker, postgres: PostgresServer, tmp_path: Path) -> None:  # noqa: F811
    source_db, replica_db = tmp_path / "shop.db", tmp_path / "replica.db"
    src = sqlite3.connect(source_db, isolation_level=None)
    src.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    src.executemany(
        "INSERT INTO customers (id, name, updated) VALUES (?, ?, ?)", [(i, f"c{i}", "2024-01-01 00:00:00") for i in range(1, 6)]
    )
    dsn = postgres.create_database("jdbc_e2e")
    source = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "connection.url": f"jdbc:sqlite:{source_db}",
        "mode": "timestamp+incrementing",
        "incrementing.column.name": "id",
        "timestamp.column.name": "updated",
        "table.whitelist": "customers",
        "topic.prefix": "shop-",
        "poll.interval.ms": "200",
        "transforms": "key",
        "transforms.key.type": "org.apache.kafka.connect.transforms.ValueToKey",
        "transforms.key.fields": "id",
    }
    sink = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": "shop-customers",
        "table.name.format": "customers",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "delete.enabled": "true",
        "auto.create": "true",
    }
    for name, config in (
        ("shop-source", source),
        ("pg-sink", {**sink, "connection.url": postgres.jdbc_url("jdbc_e2e"), "connection.user": postgres.user}),
        ("sqlite-sink", {**sink, "connection.url": f"jdbc:sqlite:{replica_db}"}),
    ):
        r = worker.http.post("/connectors", json={"name": name, "config": config})
        assert r.status_code == 201, r.text

    def expected() -> list[tuple[Any, ...]]:
        return [tuple(r) for r in src.execute("SELECT id, name FROM customers ORDER BY id")]

    def replicated() -> bool:
        want = expected()
        return (
            pg_rows(dsn, 'SELECT "id", "name" FROM "customers" ORDER BY "id"') == want
            and sqlite_rows(replica_db, 'SELECT "id", "name" FROM "customers" ORDER BY "id"') == want
        )

    wait_for(replicated, 60, "the first rows in both replicas")
    src.execute("UPDATE customers SET name = 'c2 renamed', updated = '2024-01-02 00:00:00' WHERE id = 2")
    src.execute("INSERT INTO customers (id, name, updated) VALUES (6, 'c6', '2024-01-02 00:00:00')")
    wait_for(replicated, 60, "the update and the insert in both replicas")

    # a delete, as a CDC source writes it: a tombstone with the row's key
    src.execute("DELETE FROM customers WHERE id = 3")
    key = {
        "schema": {"type": "struct", "fields": [{"type": "int64", "optional": False, "field": "id"}], "optional": False},
        "payload": {"id": 3},
    }
    producer = Producer({"bootstrap.servers": worker.props["bootstrap.servers"]})
    producer.produce("shop-customers", key=json.dumps(key).encode(), value=None)
    producer.flush(30)
    wait_for(replicated, 60, "the delete in both replicas")
    assert pg_rows(dsn, 'SELECT "updated" FROM "customers" WHERE "id" = 6')[0][0].isoformat() == "2024-01-02T00:00:00"

    # Confluent's source partition and offset, committed every offset.flush.interval.ms
    committed = [
        {
            "partition": {"protocol": "1", "table": "customers"},
            "offset": {"incrementing": 6, "timestamp": 1704153600000, "timestamp_nanos": 0},
        }
    ]
    wait_for(lambda: worker.http.get("/connectors/shop-source/offsets").json()["offsets"] == committed, 30, "source offsets")
    for name in ("shop-source", "pg-sink", "sqlite-sink"):
        assert worker.http.delete(f"/connectors/{name}").status_code == 204
    src.close()
