"""JDBC end to end through a Strom broker and a standalone worker, configured over the REST API as users do:
a SQLite table -> JdbcSourceConnector (timestamp+incrementing, ValueToKey) -> topic (JsonConverter envelope) ->
JdbcSinkConnector (upsert, record_key, delete.enabled) -> a PostgreSQL table and a SQLite table, which end equal to
the source, deletes included (tombstones produced to the topic with the converter's key envelope)."""

from __future__ import annotations

import datetime
import decimal
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from strom import Consumer, Producer
from strom.testing.broker import BrokerProcess
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

from .test_connect_standalone import Worker, poll_one, wait_for


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


def test_postgresql_cdc_to_postgresql_and_sqlite_replicas(worker: Worker, postgres: PostgresServer, tmp_path: Path) -> None:  # noqa: F811
    """The issue's data synchronization path: a PostgreSQL table -> PostgresConnector (Debezium's envelope) ->
    topic -> ExtractNewRecordState + JdbcSinkConnector -> another PostgreSQL database and a SQLite file, with
    Debezium's temporal and decimal types written as the source's column types."""
    src_dsn = postgres.create_database("cdc_src")
    dst_dsn = postgres.create_database("cdc_dst")
    replica_db = tmp_path / "cdc_replica.db"
    columns = "id, name, price, amount, created, day, at, active, note"
    postgres.psql(
        "CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, amount numeric, "
        "created timestamp NOT NULL, day date, at time, active boolean NOT NULL, note text); "
        f"INSERT INTO products ({columns[4:]}) VALUES "
        "('a', 1.50, 7.125, '2024-01-02 03:04:05.678901', '2024-01-02', '03:04:05.5', true, NULL), "
        "('b', 2.00, 1, '2024-01-03 00:00:00', NULL, NULL, false, 'x')",
        "cdc_src",
    )
    cdc = {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": postgres.host,
        "database.port": str(postgres.port),
        "database.user": postgres.user,
        "database.dbname": "cdc_src",
        "topic.prefix": "cdc",
        "table.include.list": "public.products",
        "slot.name": "jdbc_e2e",
        "poll.interval.ms": "100",
    }
    sink = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": "cdc.public.products",
        "transforms": "unwrap,route",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": ".*\\.([^.]+)",
        "transforms.route.replacement": "$1",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "delete.enabled": "true",
        "auto.create": "true",
        "auto.evolve": "true",
    }
    connectors = {
        "cdc-source": cdc,
        "cdc-pg-sink": {**sink, "connection.url": postgres.jdbc_url("cdc_dst"), "connection.user": postgres.user},
        "cdc-sqlite-sink": {**sink, "connection.url": f"jdbc:sqlite:{replica_db}"},
    }
    for name, config in connectors.items():
        r = worker.http.post("/connectors", json={"name": name, "config": config})
        assert r.status_code == 201, r.text
    query = f"SELECT {columns} FROM products ORDER BY id"

    def in_sync() -> bool:
        for name in connectors:
            tasks = worker.http.get(f"/connectors/{name}/status").json()["tasks"]
            failed = [t["trace"] for t in tasks if t["state"] == "FAILED"]
            assert not failed, f"{name}: {failed[0]}"
        want = pg_rows(src_dsn, query)
        return pg_rows(dst_dsn, query) == want and len(sqlite_rows(replica_db, query)) == len(want)

    try:
        wait_for(in_sync, 60, "the snapshot in both replicas")
        postgres.psql(
            f"INSERT INTO products ({columns[4:]}) VALUES ('c', 3.25, NULL, '2024-02-01 12:00:00', '2024-02-01', NULL, true, 'new'); "
            "UPDATE products SET price = 9.99, note = 'changed', created = '2024-03-01 00:00:00.5' WHERE id = 1; "
            "DELETE FROM products WHERE id = 2",
            "cdc_src",
        )
        wait_for(in_sync, 60, "the changes in both replicas")
        expected = [
            (
                1,
                "a",
                decimal.Decimal("9.99"),
                decimal.Decimal("7.125"),
                datetime.datetime(2024, 3, 1, 0, 0, 0, 500000),
                datetime.date(2024, 1, 2),
                datetime.time(3, 4, 5, 500000),
                True,
                "changed",
            ),
            (3, "c", decimal.Decimal("3.25"), None, datetime.datetime(2024, 2, 1, 12), datetime.date(2024, 2, 1), None, True, "new"),
        ]
        assert pg_rows(dst_dsn, query) == expected
        assert sqlite_rows(replica_db, query) == [
            (1, "a", 9.99, 7.125, "2024-03-01 00:00:00.500", "2024-01-02", "03:04:05.500000", 1, "changed"),
            (3, "c", 3.25, None, "2024-02-01 12:00:00.000", "2024-02-01", None, 1, "new"),
        ]
    finally:
        for name in connectors:
            worker.http.delete(f"/connectors/{name}")
        wait_for(lambda: not pg_rows(src_dsn, "SELECT 1 FROM pg_stat_replication"), 30, "the replication connection closed")
        postgres.psql("SELECT pg_drop_replication_slot('jdbc_e2e')", "cdc_src")


def test_sink_record_it_cannot_write_goes_to_the_dead_letter_queue(worker: Worker, tmp_path: Path) -> None:
    """errors.tolerance=all with a dead letter queue: a record the sink cannot write (a string value where a Struct
    is needed) lands in the DLQ with Kafka's error headers, the records around it in the table."""
    replica_db = tmp_path / "dlq.db"
    config = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": "dlq-source",
        "connection.url": f"jdbc:sqlite:{replica_db}",
        "auto.create": "true",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": "dlq-jdbc",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }
    schema = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}
    producer = Producer({"bootstrap.servers": worker.props["bootstrap.servers"]})
    for value in (
        {"schema": schema, "payload": {"id": 1}},
        {"schema": {"type": "string", "optional": False}, "payload": "oops"},
        {"schema": schema, "payload": {"id": 2}},
    ):
        producer.produce("dlq-source", value=json.dumps(value).encode())
    producer.flush(30)
    r = worker.http.post("/connectors", json={"name": "dlq-sink", "config": config})
    assert r.status_code == 201, r.text
    wait_for(lambda: sqlite_rows(replica_db, 'SELECT "id" FROM "dlq-source" ORDER BY "id"') == [(1,), (2,)], 60, "the good records")
    consumer = Consumer({"bootstrap.servers": worker.props["bootstrap.servers"], "group.id": "dlq-check", "auto.offset.reset": "earliest"})
    consumer.subscribe(["dlq-jdbc"])
    msg = wait_for(lambda: poll_one(consumer), 30, "the dead letter")
    consumer.close()
    assert json.loads(msg.value())["payload"] == "oops"
    headers = dict(msg.headers())
    assert headers["__connect.errors.stage"] == b"TASK_PUT"
    assert b"non-null Struct value" in headers["__connect.errors.exception.message"]
    assert worker.http.get("/connectors/dlq-sink/status").json()["tasks"][0]["state"] == "RUNNING"
    assert worker.http.delete("/connectors/dlq-sink").status_code == 204
