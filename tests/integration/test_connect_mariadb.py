"""Confluent's JDBC connectors on a real MariaDB (strom.testing.mariadb) through Strom's standalone worker and a
Strom broker, configured over REST as users do: the source in each mode (bulk, incrementing, timestamp,
timestamp+incrementing) reading in batches into topics, and the sink in each insert.mode and in pk.mode kafka,
record_key and record_value, with auto.create, auto.evolve and delete.enabled, into MariaDB tables; and (slow)
PostgreSQL CDC replicated into MariaDB."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from strom import Consumer, Producer
from strom.testing.broker import BrokerProcess
from strom.testing.mariadb import MariaDbServer, mariadb  # noqa: F401 - fixture
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

from .test_connect_standalone import Worker, running, wait_for

SOURCE = "io.confluent.connect.jdbc.JdbcSourceConnector"
SINK = "io.confluent.connect.jdbc.JdbcSinkConnector"


@pytest.fixture(scope="module")
def worker(strom_broker: BrokerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    w = Worker(strom_broker, tmp_path_factory.mktemp("connect-mariadb"))
    yield w
    w.close()


def rows(server: MariaDbServer, database: str, sql: str) -> list[tuple[Any, ...]]:
    conn = pymysql.connect(host=server.host, port=server.port, user=server.user, password=server.password, database=database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
    except pymysql.err.ProgrammingError:  # the sink has not created the table yet
        return []
    except pymysql.err.OperationalError as exc:
        if exc.args[0] == 1054:  # an unknown column: the sink has not added it yet (auto.evolve)
            return []
        raise
    finally:
        conn.close()


def create(worker: Worker, name: str, config: dict[str, str]) -> None:
    r = worker.http.post("/connectors", json={"name": name, "config": config})
    assert r.status_code == 201, r.text
    wait_for(lambda: running(worker, name), 60, f"{name} running")


class Reader:
    """Every record of some topics, as (topic, JSON payload)."""

    def __init__(self, bootstrap: str, topics: list[str], group: str) -> None:
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"})
        self.consumer.subscribe(topics)
        self.seen: dict[str, list[dict[str, Any]]] = {t: [] for t in topics}

    def until(self, done: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.seen):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {self.seen}")
            msg = self.consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                self.seen[msg.topic()].append(json.loads(msg.value()))

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self.consumer.poll(0.1)
            if msg is not None and msg.error() is None:
                self.seen[msg.topic()].append(json.loads(msg.value()))

    def close(self) -> None:
        self.consumer.close()


def test_source_modes_read_rows_in_batches(worker: Worker, mariadb: MariaDbServer) -> None:  # noqa: F811
    url = mariadb.create_database("src")
    mariadb.sql(
        "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(10,2), "
        "ok TINYINT(1), big BIGINT UNSIGNED, ratio DOUBLE, data BLOB, day DATE, at TIME(3), "
        "updated DATETIME(3) NOT NULL, note TEXT);"
        "INSERT INTO items (name, price, ok, big, ratio, data, day, at, updated, note) VALUES "
        "('a', 1.50, 1, 18446744073709551615, 0.5, x'00ff', '2024-02-03', '12:34:56.789', '2024-01-01 00:00:00.001', 'x%y'),"
        "('b', NULL, 0, 0, NULL, NULL, NULL, NULL, '2024-01-01 00:00:00.002', NULL),"
        "('c', 3.00, NULL, 1, 2.0, x'', '1999-12-31', '00:00:00', '2024-01-01 00:00:00.003', 'z')",
        "src",
    )
    common = {
        "connector.class": SOURCE,
        "connection.url": url,
        "connection.user": mariadb.user,
        "connection.password": mariadb.password,
        "table.whitelist": "items",
        "poll.interval.ms": "200",
        "batch.max.rows": "2",
    }
    modes = {
        "bulk": {"mode": "bulk"},
        # schema.pattern as a MySQL config copied from Confluent's may have it: no schemas, nothing filtered
        "incrementing": {"mode": "incrementing", "incrementing.column.name": "id", "schema.pattern": "public"},
        "timestamp": {"mode": "timestamp", "timestamp.column.name": "updated"},
        "timestamp+incrementing": {"mode": "timestamp+incrementing", "incrementing.column.name": "id", "timestamp.column.name": "updated"},
    }
    prefixes = {mode: f"mdb-{mode.replace('+', '-')}-" for mode in modes}
    topics = {mode: prefixes[mode] + "items" for mode in modes}
    reader = Reader(worker.props["bootstrap.servers"], list(topics.values()), "mdb-source-check")
    try:
        for mode, extra in modes.items():
            create(worker, f"mdb-src-{mode.replace('+', '-')}", {**common, **extra, "topic.prefix": prefixes[mode]})
        reader.until(lambda seen: all(len(seen[t]) >= 3 for t in topics.values()), 60, "the first three rows in each topic")

        first = reader.seen[topics["incrementing"]][0]
        fields = {f["field"]: f for f in first["schema"]["fields"]}
        assert first["schema"]["name"] == "items"
        assert fields["id"]["type"] == "int32" and not fields["id"]["optional"]
        assert fields["price"]["name"] == "org.apache.kafka.connect.data.Decimal" and fields["price"]["parameters"]["scale"] == "2"
        assert fields["ok"]["type"] == "boolean" and fields["ratio"]["type"] == "double" and fields["data"]["type"] == "bytes"
        assert fields["big"]["name"] == "org.apache.kafka.connect.data.Decimal"
        assert fields["day"]["name"] == "org.apache.kafka.connect.data.Date"
        assert fields["at"]["name"] == "org.apache.kafka.connect.data.Time"
        assert fields["updated"]["name"] == "org.apache.kafka.connect.data.Timestamp" and not fields["updated"]["optional"]
        a = first["payload"]
        assert a["name"] == "a" and a["ok"] is True and a["ratio"] == 0.5 and a["note"] == "x%y"
        assert decimal.Decimal(int.from_bytes(base64.b64decode(a["price"]), "big", signed=True)).scaleb(-2) == decimal.Decimal("1.50")
        assert int.from_bytes(base64.b64decode(a["big"]), "big", signed=True) == 2**64 - 1
        assert base64.b64decode(a["data"]) == b"\x00\xff"
        assert a["day"] == (datetime.date(2024, 2, 3) - datetime.date(1970, 1, 1)).days
        assert a["at"] == ((12 * 60 + 34) * 60 + 56) * 1000 + 789
        assert a["updated"] == int(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC).timestamp() * 1000) + 1
        b = reader.seen[topics["incrementing"]][1]["payload"]
        assert b["price"] is None and b["ok"] is False and b["data"] is None
        for mode, topic in topics.items():  # bulk goes on copying the whole table every poll.interval.ms
            assert [r["payload"]["name"] for r in reader.seen[topic]][:3] == ["a", "b", "c"], mode

        # a new row, and an update that moves a row's timestamp
        mariadb.sql(
            "INSERT INTO items (name, updated) VALUES ('d', '2024-01-02 00:00:00.000');"
            "UPDATE items SET name = 'b2', updated = '2024-01-03 00:00:00.000' WHERE id = 2",
            "src",
        )
        reader.until(
            lambda seen: (
                len(seen[topics["incrementing"]]) >= 4
                and len(seen[topics["timestamp"]]) >= 5
                and len(seen[topics["timestamp+incrementing"]]) >= 5
                and _has_run([r["payload"]["name"] for r in seen[topics["bulk"]]], ["a", "b2", "c", "d"])
            ),
            60,
            "the new and the updated rows",
        )
        reader.drain(1.0)  # nothing more may come from the incremental modes
        names = {mode: [r["payload"]["name"] for r in reader.seen[t]] for mode, t in topics.items()}
        assert names["incrementing"] == ["a", "b", "c", "d"]
        assert names["timestamp"] == ["a", "b", "c", "d", "b2"]
        assert names["timestamp+incrementing"] == ["a", "b", "c", "d", "b2"]
    finally:
        reader.close()
        for mode in modes:
            worker.http.delete(f"/connectors/mdb-src-{mode.replace('+', '-')}")


def _has_run(names: list[str], run: list[str]) -> bool:
    return any(names[i : i + len(run)] == run for i in range(len(names)))


def _decimal(value: str, scale: int) -> str:
    unscaled = int(decimal.Decimal(value).scaleb(scale))
    return base64.b64encode(unscaled.to_bytes((unscaled.bit_length() + 8) // 8, "big", signed=True)).decode()


KEY_SCHEMA = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int32", "optional": False}]}
FIELDS = [
    {"field": "id", "type": "int32", "optional": False},
    {"field": "name", "type": "string", "optional": False},
    {"field": "price", "type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "parameters": {"scale": "2"}},
    {"field": "ok", "type": "boolean", "optional": True},
    {"field": "at", "type": "int64", "optional": True, "name": "org.apache.kafka.connect.data.Timestamp"},
    {"field": "day", "type": "int32", "optional": True, "name": "org.apache.kafka.connect.data.Date"},
    {"field": "data", "type": "bytes", "optional": True},
]
EVOLVED = [*FIELDS, {"field": "extra", "type": "string", "optional": True}]


def _value(fields: list[dict[str, Any]], payload: dict[str, Any]) -> bytes:
    return json.dumps({"schema": {"type": "struct", "name": "item", "optional": False, "fields": fields}, "payload": payload}).encode()


def _key(id_: int) -> bytes:
    return json.dumps({"schema": KEY_SCHEMA, "payload": {"id": id_}}).encode()


def test_sink_modes_auto_create_evolve_and_delete(worker: Worker, mariadb: MariaDbServer) -> None:  # noqa: F811
    url = mariadb.create_database("sink")
    mariadb.sql("CREATE TABLE updated (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO updated VALUES (1, 'old'), (2, 'old')", "sink")
    at = int(datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.UTC).timestamp() * 1000)
    day = (datetime.date(2024, 5, 6) - datetime.date(1970, 1, 1)).days
    base = {"price": _decimal("12.34", 2), "ok": True, "at": at, "day": day, "data": base64.b64encode(b"\x01\x02").decode()}
    producer = Producer({"bootstrap.servers": worker.props["bootstrap.servers"]})
    producer.produce("mdb-items", key=_key(1), value=_value(FIELDS, {"id": 1, "name": "one", **base}))
    producer.produce("mdb-items", key=_key(2), value=_value(FIELDS, {"id": 2, "name": "two", **base, "price": None, "ok": False}))
    producer.produce("mdb-items", key=_key(1), value=_value(EVOLVED, {"id": 1, "name": "one again", **base, "extra": "x\\y'z"}))
    producer.flush(30)
    producer.produce("mdb-changes", key=_key(1), value=_value(FIELDS, {"id": 1, "name": "one", **base}))
    producer.produce("mdb-changes", key=_key(2), value=_value(FIELDS, {"id": 2, "name": "two", **base}))
    producer.produce("mdb-changes", key=_key(3), value=_value(FIELDS, {"id": 3, "name": "three", **base}))
    producer.produce("mdb-changes", key=_key(1), value=_value(EVOLVED, {"id": 1, "name": "uno", **base, "extra": "e"}))
    producer.produce("mdb-changes", key=_key(2), value=None)
    producer.flush(30)
    common = {
        "connector.class": SINK,
        "connection.url": url,
        "connection.user": mariadb.user,
        "connection.password": mariadb.password,
        "auto.create": "true",
        "auto.evolve": "true",
    }
    sinks = {
        # upsert by the record key; tombstones delete
        "mdb-upsert": {
            "topics": "mdb-changes",
            "table.name.format": "upserted",
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "delete.enabled": "true",
        },
        # insert keyed by the Kafka coordinates (a string key column)
        "mdb-insert-kafka": {"topics": "mdb-items", "table.name.format": "by_offset", "insert.mode": "insert", "pk.mode": "kafka"},
        # update an existing table by a value field
        "mdb-update": {
            "topics": "mdb-items",
            "table.name.format": "updated",
            "insert.mode": "update",
            "pk.mode": "record_value",
            "pk.fields": "id",
            "fields.whitelist": "id,name",
            "auto.evolve": "false",
        },
    }
    try:
        for name, extra in sinks.items():
            create(worker, name, {**common, **extra})
        wait_for(
            lambda: rows(mariadb, "sink", "SELECT id, name, extra FROM upserted ORDER BY id") == [(1, "uno", "e"), (3, "three", None)],
            60,
            "upserts, the evolved column and the delete",
        )
        wait_for(lambda: len(rows(mariadb, "sink", "SELECT * FROM by_offset")) == 3, 60, "the Kafka-keyed inserts")
        wait_for(
            lambda: rows(mariadb, "sink", "SELECT id, name FROM updated ORDER BY id") == [(1, "one again"), (2, "two")], 60, "the updates"
        )
        plain = rows(mariadb, "sink", "SELECT id, name, price, ok, at, day, data, extra FROM by_offset ORDER BY __connect_offset")
        assert plain[0] == (
            1,
            "one",
            decimal.Decimal("12.34"),
            1,
            datetime.datetime(2024, 5, 6, 7, 8, 9, 123000),
            datetime.date(2024, 5, 6),
            b"\x01\x02",
            None,
        )
        assert plain[1][1:4] == ("two", None, 0)
        assert plain[2][:2] == (1, "one again") and plain[2][7] == "x\\y'z"
        offsets = rows(mariadb, "sink", "SELECT __connect_topic, __connect_partition, __connect_offset, name FROM by_offset ORDER BY 3")
        assert offsets == [("mdb-items", 0, 0, "one"), ("mdb-items", 0, 1, "two"), ("mdb-items", 0, 2, "one again")]
        types = dict(
            rows(
                mariadb,
                "sink",
                "SELECT column_name, column_type FROM information_schema.columns WHERE table_schema = 'sink' "
                "AND table_name = 'by_offset' AND column_name NOT LIKE '\\_\\_%'",
            )
        )
        assert types == {
            "id": "int(11)",
            "name": "text",
            "price": "decimal(65,2)",
            "ok": "tinyint(4)",
            "at": "datetime(3)",
            "day": "date",
            "data": "varbinary(1024)",
            "extra": "text",
        }
        key_type = rows(
            mariadb,
            "sink",
            "SELECT column_type FROM information_schema.columns WHERE table_schema = 'sink' AND column_name = '__connect_topic'",
        )
        assert key_type == [("varchar(255)",)]
    finally:
        producer.flush(10)
        for name in sinks:
            worker.http.delete(f"/connectors/{name}")


def test_jdbc_urls_of_both_drivers_and_their_properties(mariadb: MariaDbServer, tmp_path: Path) -> None:  # noqa: F811
    from strom.connect.connectors.jdbc.dialect import dialect_for
    from strom.connect.connectors.jdbc.dialect_mysql import MySqlDatabaseDialect

    mariadb.create_database("urls")
    for url in (
        f"jdbc:mysql://{mariadb.host}:{mariadb.port}/urls?user={mariadb.user}&password={mariadb.password}&useSSL=false&serverTimezone=UTC",
        f"jdbc:mariadb://{mariadb.user}:{mariadb.password}@{mariadb.host}:{mariadb.port}/urls?connectTimeout=5000",
    ):
        dialect = dialect_for(url)
        assert isinstance(dialect, MySqlDatabaseDialect)
        conn = dialect.connect(None, None, autocommit=True)
        try:
            assert conn.execute("SELECT DATABASE(), @@session.time_zone").fetchone() == ("urls", "+00:00")
        finally:
            conn.close()
    with pytest.raises(ValueError, match="Unsupported MySQL/MariaDB JDBC property 'bogus'"):
        dialect_for(f"jdbc:mysql://{mariadb.host}:{mariadb.port}/urls?bogus=1")


@pytest.mark.slow
def test_postgresql_cdc_to_a_mariadb_replica(worker: Worker, mariadb: MariaDbServer, postgres: PostgresServer) -> None:  # noqa: F811
    """A PostgreSQL table -> PostgresConnector (Debezium's envelope and semantic types) -> topic ->
    ExtractNewRecordState + JdbcSinkConnector (upsert, deletes, auto.create) -> a MariaDB table equal to the source,
    Debezium's microsecond timestamps and times and variable-scale decimals included."""
    postgres.create_database("mdb_cdc_src")
    url = mariadb.create_database("cdc_replica")
    columns = "id, name, price, amount, created, day, at, active, note"
    postgres.psql(
        "CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, amount numeric, "
        "created timestamp NOT NULL, day date, at time, active boolean NOT NULL, note text); "
        f"INSERT INTO products ({columns[4:]}) VALUES "
        "('a', 1.50, 7.125, '2024-01-02 03:04:05.678901', '2024-01-02', '03:04:05.5', true, NULL), "
        "('b', 2.00, 1, '2024-01-03 00:00:00', NULL, NULL, false, 'x')",
        "mdb_cdc_src",
    )
    connectors = {
        "mdb-cdc-source": {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": postgres.host,
            "database.port": str(postgres.port),
            "database.user": postgres.user,
            "database.dbname": "mdb_cdc_src",
            "topic.prefix": "mdbcdc",
            "table.include.list": "public.products",
            "slot.name": "mdb_cdc",
            "poll.interval.ms": "100",
        },
        "mdb-cdc-sink": {
            "connector.class": SINK,
            "topics": "mdbcdc.public.products",
            "connection.url": url,
            "connection.user": mariadb.user,
            "connection.password": mariadb.password,
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
        },
    }
    query = f"SELECT {columns} FROM products ORDER BY id"
    try:
        for name, config in connectors.items():
            create(worker, name, config)
        wait_for(lambda: len(rows(mariadb, "cdc_replica", query)) == 2, 60, "the snapshot in the replica")
        postgres.psql(
            f"INSERT INTO products ({columns[4:]}) VALUES ('c', 3.25, NULL, '2024-02-01 12:00:00', '2024-02-01', NULL, true, 'new'); "
            "UPDATE products SET price = 9.99, note = 'changed', created = '2024-03-01 00:00:00.5' WHERE id = 1; "
            "DELETE FROM products WHERE id = 2",
            "mdb_cdc_src",
        )
        expected = [
            (
                1,
                "a",
                decimal.Decimal("9.99"),
                decimal.Decimal("7.125"),
                datetime.datetime(2024, 3, 1, 0, 0, 0, 500000),
                datetime.date(2024, 1, 2),
                datetime.timedelta(hours=3, minutes=4, seconds=5, microseconds=500000),
                1,
                "changed",
            ),
            (3, "c", decimal.Decimal("3.25"), None, datetime.datetime(2024, 2, 1, 12), datetime.date(2024, 2, 1), None, 1, "new"),
        ]

        def replicated() -> list[tuple[Any, ...]]:
            got = rows(mariadb, "cdc_replica", query)
            # DECIMAL(65,30) keeps a variable-scale decimal exactly, with trailing zeros
            return [(r[0], r[1], r[2], r[3].normalize() if r[3] is not None else None, *r[4:]) for r in got]

        wait_for(lambda: replicated() == expected, 60, f"the changes in the replica: {expected}")
    finally:
        for name in connectors:
            worker.http.delete(f"/connectors/{name}")
        wait_for(lambda: not postgres.psql("SELECT 1 FROM pg_stat_replication", "mdb_cdc_src"), 30, "the replication connection closed")
        postgres.psql("SELECT pg_drop_replication_slot('mdb_cdc')", "mdb_cdc_src")
