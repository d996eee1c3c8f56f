"""The JDBC source and sink tasks against real databases: SQLite files and a PostgreSQL server.

The tasks run as the worker runs them (initialize, start, poll/put, stop) with the smallest contexts the API
asks for: an offset reader over a dict (what the worker's offset store answers) and a sink context that records
the retry back-off."""

from __future__ import annotations

import datetime
import decimal
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import psycopg
import pytest

from strom.connect.api import (
    ErrantRecordReporter,
    OffsetStorageReader,
    SinkRecord,
    SinkTaskContext,
    SourceConnectorContext,
    SourceRecord,
    SourceTaskContext,
    TopicPartition,
)
from strom.connect.config import ConfigException
from strom.connect.connectors.jdbc import JdbcSinkConnector, JdbcSinkTask, JdbcSourceConnector, JdbcSourceTask
from strom.connect.connectors.jdbc.dialect import dialect_for
from strom.connect.data import Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp
from strom.connect.errors import ConnectException, RetriableException
from strom.testing.mariadb import MariaDbServer, mariadb  # noqa: F401 - fixture
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

UTC = datetime.UTC


# -- contexts -------------------------------------------------------------------------------------------------------
class DictOffsetReader(OffsetStorageReader):
    def __init__(self, offsets: dict[str, dict[str, Any]] | None = None) -> None:
        self.stored = offsets or {}

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.stored.get(repr(sorted(partition.items())))

    def commit(self, records: list[SourceRecord]) -> None:
        for r in records:
            assert r.source_partition is not None and r.source_offset is not None
            self.stored[repr(sorted(r.source_partition.items()))] = r.source_offset


class SourceContext(SourceTaskContext):
    def __init__(self, props: dict[str, str], reader: DictOffsetReader) -> None:
        self.props = props
        self.reader = reader

    def configs(self) -> dict[str, str]:
        return self.props

    def offset_storage_reader(self) -> OffsetStorageReader:
        return self.reader


class ListReporter(ErrantRecordReporter):
    """What the worker's reporter does with a record (dead letter queue, log), kept in a list."""

    def __init__(self, refuse: bool = False) -> None:
        self.reported: list[tuple[SinkRecord, BaseException]] = []
        self.refuse = refuse

    def report(self, record: SinkRecord, error: BaseException) -> Future[None]:
        self.reported.append((record, error))
        done: Future[None] = Future()
        if self.refuse:
            done.set_exception(ConnectException("Tolerance exceeded in error handler"))
        else:
            done.set_result(None)
        return done


class SinkContext(SinkTaskContext):
    def __init__(self, props: dict[str, str], reporter: ErrantRecordReporter | None = None) -> None:
        self.props = props
        self.timeouts: list[int] = []
        self.reporter = reporter

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self.reporter

    def configs(self) -> dict[str, str]:
        return self.props

    def offset(self, offsets: Any, offset: int | None = None) -> None:
        raise AssertionError("the JDBC sink keeps its offsets in Kafka")

    def timeout(self, timeout_ms: int) -> None:
        self.timeouts.append(timeout_ms)

    def assignment(self) -> set[TopicPartition]:
        return set()

    def pause(self, *partitions: TopicPartition) -> None:
        pass

    def resume(self, *partitions: TopicPartition) -> None:
        pass

    def request_commit(self) -> None:
        pass


# -- databases --------------------------------------------------------------------------------------------------------
class Db:
    """One database of a test: its connection.url and a way to run SQL on it from the test."""

    def __init__(self, kind: str, url: str, connect: Any) -> None:
        self.kind = kind
        self.url = url
        self._connect = connect

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        conn = self._connect()
        try:
            conn.execute(sql.replace("?", "%s") if self.kind != "sqlite" else sql, params)
            conn.commit()
        finally:
            conn.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        conn = self._connect()
        try:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
        finally:
            conn.close()


_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql", pytest.param("mariadb", marks=pytest.mark.slow)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        yield Db("sqlite", f"jdbc:sqlite:{path}", lambda: sqlite3.connect(path))
    elif request.param == "mariadb":
        maria: MariaDbServer = request.getfixturevalue("mariadb")
        name = f"jdbc_{next(_counter)}"
        url = maria.create_database(name) + f"?user={maria.user}&password={maria.password}"
        yield Db("mariadb", url, lambda: _ansi_quotes(dialect_for(url).connect(None, None, autocommit=False)))
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = f"jdbc_{next(_counter)}"
        dsn = server.create_database(name)
        yield Db("postgresql", server.jdbc_url(name) + f"?user={server.user}", lambda: psycopg.connect(dsn))


def _ansi_quotes(conn: Any) -> Any:
    """The tests' own SQL quotes identifiers with double quotes, which MySQL reads so in ANSI_QUOTES mode."""
    conn.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')")
    return conn


# -- sink -------------------------------------------------------------------------------------------------------------
VALUE_SCHEMA = (
    SchemaBuilder.struct()
    .name("person")
    .field("id", Schema.INT64_SCHEMA)
    .field("name", Schema.STRING_SCHEMA)
    .field("age", Schema.OPTIONAL_INT32_SCHEMA)
    .build()
)
KEY_SCHEMA = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build()


def person(id: int, name: str, age: int | None = None, schema: Schema = VALUE_SCHEMA) -> Struct:
    s = Struct(schema).put("id", id).put("name", name)
    if schema.field("age") is not None:
        s.put("age", age)
    return s


def sink_record(value: Struct | None, offset: int, key: Any = None, topic: str = "people") -> SinkRecord:
    key_struct = Struct(KEY_SCHEMA).put("id", key) if key is not None else None
    return SinkRecord(
        topic,
        0,
        KEY_SCHEMA if key is not None else None,
        key_struct,
        value.schema if value is not None else None,
        value,
        offset,
        timestamp=1_700_000_000_000,
    )


def start_sink(db: Db, reporter: ErrantRecordReporter | None = None, **props: str) -> tuple[JdbcSinkTask, SinkContext]:
    config = {"name": "jdbc-sink", "connection.url": db.url, "topics": "people", **props}
    task = JdbcSinkTask()
    context = SinkContext(config, reporter)
    task.initialize(context)
    task.start(config)
    return task, context


def test_sink_auto_create_insert(db: Db) -> None:
    task, _ = start_sink(db, **{"auto.create": "true"})
    task.put([sink_record(person(1, "ada", 36), 0), sink_record(person(2, "bob"), 1)])
    task.stop()
    assert db.rows('SELECT "id", "name", "age" FROM "people" ORDER BY "id"') == [(1, "ada", 36), (2, "bob", None)]


def test_sink_upsert_record_value_and_update_mode(db: Db) -> None:
    task, _ = start_sink(db, **{"auto.create": "true", "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id"})
    task.put([sink_record(person(1, "ada", 36), 0), sink_record(person(2, "bob", 20), 1)])
    task.put([sink_record(person(1, "ada lovelace", 37), 2), sink_record(person(1, "ada l.", None), 3)])
    task.stop()
    assert db.rows('SELECT * FROM "people" ORDER BY "id"') == [(1, "ada l.", None), (2, "bob", 20)]
    task, _ = start_sink(db, **{"insert.mode": "update", "pk.mode": "record_value", "pk.fields": "id"})
    task.put([sink_record(person(2, "bobby", 21), 4), sink_record(person(9, "nobody", 1), 5)])
    task.stop()
    assert db.rows('SELECT * FROM "people" ORDER BY "id"') == [(1, "ada l.", None), (2, "bobby", 21)]


def test_sink_record_key_upsert_and_tombstone_deletes(db: Db) -> None:
    task, _ = start_sink(db, **{"auto.create": "true", "insert.mode": "upsert", "pk.mode": "record_key", "delete.enabled": "true"})
    value_schema = SchemaBuilder.struct().field("name", Schema.STRING_SCHEMA).build()
    named = lambda n: Struct(value_schema).put("name", n)  # noqa: E731
    task.put(
        [
            sink_record(named("a"), 0, key=1),
            sink_record(named("b"), 1, key=2),
            sink_record(None, 2, key=1),  # delete after the insert of the same batch
            sink_record(named("c"), 3, key=3),
            sink_record(named("b2"), 4, key=2),
        ]
    )
    assert db.rows('SELECT * FROM "people" ORDER BY "id"') == [(2, "b2"), (3, "c")]
    task.put([sink_record(None, 5, key=3), sink_record(named("a again"), 6, key=1)])
    task.stop()
    assert db.rows('SELECT * FROM "people" ORDER BY "id"') == [(1, "a again"), (2, "b2")]


def test_sink_auto_evolve_adds_optional_columns_only(db: Db) -> None:
    task, _ = start_sink(db, **{"auto.create": "true", "auto.evolve": "true"})
    task.put([sink_record(person(1, "ada", 36), 0)])
    wider = (
        SchemaBuilder.struct()
        .field("id", Schema.INT64_SCHEMA)
        .field("name", Schema.STRING_SCHEMA)
        .field("age", Schema.OPTIONAL_INT32_SCHEMA)
        .field("email", Schema.OPTIONAL_STRING_SCHEMA)
        .field("score", SchemaBuilder.float64().default_value(1.5).build())
        .build()
    )
    task.put([sink_record(person(2, "bob", 20, wider).put("email", "b@x").put("score", 2.5), 1)])
    assert db.rows('SELECT "id", "email", "score" FROM "people" ORDER BY "id"') == [(1, None, 1.5), (2, "b@x", 2.5)]
    required = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("must", Schema.STRING_SCHEMA).build()
    with pytest.raises(ConnectException, match="is not optional and does not have a default value"):
        task.put([sink_record(Struct(required).put("id", 3).put("must", "x"), 2)])
    task.stop()


def test_sink_refusals_name_the_cause(db: Db) -> None:
    task, _ = start_sink(db)
    quoted = "`people`" if db.kind == "mariadb" else '"people"'
    with pytest.raises(ConnectException, match=f"Table {quoted} is missing and auto-creation is disabled"):
        task.put([sink_record(person(1, "ada"), 0)])
    task.stop()
    task, _ = start_sink(db, **{"auto.create": "true"})
    with pytest.raises(
        ConnectException,
        match=r"Sink connector 'jdbc-sink' is configured with 'delete.enabled=false' and 'pk.mode=none' and "
        r"therefore requires records with a non-null Struct value and non-null Struct schema, but found record at "
        r"\(topic='people',partition=0,offset=7,timestamp=1700000000000\) with a null value and null value schema",
    ):
        task.put([sink_record(None, 7, key=1)])
    task.stop()
    with pytest.raises(ConfigException, match="pk.mode=record_key"):
        start_sink(db, **{"delete.enabled": "true"})


def test_sink_database_error_is_retried_then_fails(db: Db) -> None:
    task, context = start_sink(
        db, **{"auto.create": "true", "pk.mode": "record_value", "pk.fields": "id", "max.retries": "1", "retry.backoff.ms": "25"}
    )
    task.put([sink_record(person(1, "ada"), 0)])
    duplicate = [sink_record(person(2, "bob"), 1), sink_record(person(1, "ada"), 2)]  # insert mode: a PK clash
    with pytest.raises(RetriableException):
        task.put(duplicate)
    assert context.timeouts == [25]
    with pytest.raises(ConnectException) as failed:
        task.put(duplicate)
    assert not isinstance(failed.value, RetriableException)
    task.stop()
    # the failed batches were rolled back as a whole
    assert db.rows('SELECT "id" FROM "people"') == [(1,)]

    # with an errant record reporter (errors.tolerance=all): the batch is written record by record, the bad one reported
    reporter = ListReporter()
    task, context = start_sink(db, reporter, **{"pk.mode": "record_value", "pk.fields": "id", "max.retries": "0"})
    task.put(duplicate)
    task.put([sink_record(person(3, "cy"), 3)])
    task.stop()
    assert [r.kafka_offset for r, _ in reporter.reported] == [2]
    error = str(reporter.reported[0][1]).lower()  # the database's own error
    assert ("duplicate entry" if db.kind == "mariadb" else "unique") in error
    assert context.timeouts == []
    assert db.rows('SELECT "id" FROM "people" ORDER BY "id"') == [(1,), (2,), (3,)]

    # a reporter that cannot take the record (errors.tolerance=none with a DLQ) fails the task: no silent drop
    refusing = ListReporter(refuse=True)
    task, _ = start_sink(db, refusing, **{"pk.mode": "record_value", "pk.fields": "id", "max.retries": "0"})
    with pytest.raises(ConnectException, match="Tolerance exceeded"):
        task.put([sink_record(person(1, "ada"), 4)])
    task.stop()


def test_sink_kafka_coordinates_and_logical_types(db: Db) -> None:
    schema = (
        SchemaBuilder.struct()
        .field("price", Decimal.schema(2))
        .field("day", Date.SCHEMA)
        .field("at", Time.SCHEMA)
        .field("ts", Timestamp.SCHEMA)
        .field("ok", Schema.BOOLEAN_SCHEMA)
        .field("ratio", Schema.FLOAT64_SCHEMA)
        .field("raw", Schema.OPTIONAL_BYTES_SCHEMA)
        .build()
    )
    ts = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    value = (
        Struct(schema)
        .put("price", decimal.Decimal("12.34"))
        .put("day", datetime.date(2024, 5, 6))
        .put("at", datetime.time(7, 8, 9))
        .put("ts", ts)
        .put("ok", True)
        .put("ratio", 0.25)
        .put("raw", b"\x00\xff")
    )
    task, _ = start_sink(db, **{"auto.create": "true", "pk.mode": "kafka", "table.name.format": "t_${topic}"})
    task.put([sink_record(value, 42, topic="orders")])
    task.stop()
    [row] = db.rows('SELECT * FROM "t_orders"')
    assert row[:3] == ("orders", 0, 42)
    if db.kind == "postgresql":
        assert row[3:] == (
            decimal.Decimal("12.34"),
            datetime.date(2024, 5, 6),
            datetime.time(7, 8, 9),
            ts.replace(tzinfo=None),
            True,
            0.25,
            b"\x00\xff",
        )
    elif db.kind == "mariadb":  # TIME and the Timestamp at Confluent's millisecond precision, booleans as TINYINT
        assert row[3:] == (
            decimal.Decimal("12.34"),
            datetime.date(2024, 5, 6),
            datetime.timedelta(hours=7, minutes=8, seconds=9),
            ts.replace(tzinfo=None),
            1,
            0.25,
            b"\x00\xff",
        )
    else:
        assert row[3:] == (12.34, "2024-05-06", "07:08:09", "2024-05-06 07:08:09.123", 1, 0.25, b"\x00\xff")


# -- source -----------------------------------------------------------------------------------------------------------
def start_source(db: Db, reader: DictOffsetReader | None = None, **props: str) -> JdbcSourceTask:
    config = {"name": "jdbc-source", "connection.url": db.url, "topic.prefix": "db-", "poll.interval.ms": "50", **props}
    connector = JdbcSourceConnector()
    connector.start(config)
    task_configs = connector.task_configs(1)
    connector.stop()
    assert len(task_configs) == 1
    task = JdbcSourceTask()
    task.initialize(SourceContext(task_configs[0], reader or DictOffsetReader()))
    task.start(task_configs[0])
    return task


def poll_all(task: JdbcSourceTask) -> list[SourceRecord]:
    """Polls until a poll finds nothing new (poll.interval.ms = 50 ms between queries of a table)."""
    out: list[SourceRecord] = []
    for _ in range(100):
        records = task.poll()
        if not records:
            return out
        out += records
    raise AssertionError(f"still polling records after 100 polls: {values(out[-3:], 'id')}")


def _qualified(db: Db, table: str) -> str:
    """A listed table's name in the source partition: PostgreSQL's schema.table, MySQL's database.table."""
    if db.kind == "sqlite":
        return table
    return f"{db.url.rsplit('/', 1)[1].split('?')[0]}.{table}" if db.kind == "mariadb" else f"public.{table}"


def values(records: list[SourceRecord], *fields: str) -> list[tuple[Any, ...]]:
    return [tuple(r.value.get(f) for f in fields) for r in records]


def create_items(db: Db) -> None:
    ts = "DATETIME(6)" if db.kind == "mariadb" else "TIMESTAMP"  # MariaDB's TIMESTAMP keeps whole seconds
    db.execute(
        f"CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, updated {ts} NOT NULL, price NUMERIC(8,2), note TEXT)"
    )


def test_source_incrementing_resumes_from_committed_offset(db: Db) -> None:
    create_items(db)
    for i in range(1, 4):
        db.execute("INSERT INTO items VALUES (?, ?, ?, ?, NULL)", (i, f"n{i}", "2024-01-01 00:00:00", "1.50"))
    reader = DictOffsetReader()
    task = start_source(db, reader, mode="incrementing", **{"incrementing.column.name": "id", "batch.max.rows": "2"})
    first = task.poll() or []
    assert values(first, "id", "name") == [(1, "n1"), (2, "n2")]
    record = first[0]
    assert record.topic == "db-items"
    assert record.source_partition == {"table": _qualified(db, "items"), "protocol": "1"}
    assert record.source_offset == {"incrementing": 1}
    assert record.key is None
    assert record.value_schema is not None and record.value_schema.name == "items"
    assert record.value.get("price") == decimal.Decimal("1.50")
    assert record.value_schema.field("price").schema.name == Decimal.LOGICAL_NAME
    assert record.value_schema.field("note").schema.optional
    assert not record.value_schema.field("name").schema.optional
    reader.commit(first)
    task.stop()

    db.execute("INSERT INTO items VALUES (4, 'n4', '2024-01-01 00:00:00', NULL, 'x')")
    task = start_source(db, reader, mode="incrementing", **{"incrementing.column.name": "id"})
    assert values(poll_all(task), "id") == [(3,), (4,)]
    task.stop()


def test_source_incrementing_column_autodetected_from_primary_key(db: Db) -> None:
    create_items(db)
    db.execute("INSERT INTO items VALUES (5, 'n5', '2024-01-01 00:00:00', NULL, NULL)")
    task = start_source(db, mode="incrementing")
    [record] = poll_all(task)
    assert record.source_offset == {"incrementing": 5}
    task.stop()


def test_source_timestamp_incrementing_sees_updates(db: Db) -> None:
    create_items(db)
    db.execute("INSERT INTO items VALUES (1, 'a', '2024-01-01 00:00:01', NULL, NULL)")
    db.execute("INSERT INTO items VALUES (2, 'b', '2024-01-01 00:00:01', NULL, NULL)")
    reader = DictOffsetReader()
    props = {"mode": "timestamp+incrementing", "incrementing.column.name": "id", "timestamp.column.name": "updated"}
    task = start_source(db, reader, **props)
    records = poll_all(task)
    assert values(records, "id", "name") == [(1, "a"), (2, "b")]
    assert records[-1].source_offset == {"incrementing": 2, "timestamp": 1704067201000, "timestamp_nanos": 0}
    assert records[-1].value.get("updated") == datetime.datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)
    reader.commit(records)
    db.execute("UPDATE items SET name = 'a2', updated = '2024-01-01 00:00:02.5' WHERE id = 1")
    db.execute("INSERT INTO items VALUES (3, 'c', '2024-01-01 00:00:01', NULL, NULL)")  # old timestamp, new id
    records = poll_all(task)
    assert values(records, "id", "name") == [(3, "c"), (1, "a2")]
    assert records[-1].source_offset == {"incrementing": 1, "timestamp": 1704067202500, "timestamp_nanos": 500_000_000}
    task.stop()
    reader.commit(records)
    task = start_source(db, reader, **props)
    assert poll_all(task) == []
    task.stop()


def test_source_timestamp_mode_and_bulk_and_query(db: Db) -> None:
    create_items(db)
    db.execute("INSERT INTO items VALUES (1, 'a', '2024-01-01 00:00:01', NULL, NULL)")
    db.execute("INSERT INTO items VALUES (2, 'b', '2024-01-01 00:00:03', NULL, NULL)")
    task = start_source(db, mode="timestamp", **{"timestamp.column.name": "updated", "timestamp.initial": str(1704067202000)})
    assert values(poll_all(task), "id") == [(2,)]
    task.stop()

    task = start_source(db, mode="bulk")
    assert values(task.poll() or [], "id") == [(1,), (2,)]
    assert values(task.poll() or [], "id") == [(1,), (2,)]  # every poll copies the whole table again
    task.stop()

    # a query's own '%' (LIKE patterns) reach the database as written, with and without parameters
    task = start_source(db, mode="bulk", query="SELECT id, name FROM items WHERE name LIKE 'b%'", **{"topic.prefix": "b-items"})
    assert values(task.poll() or [], "id", "name") == [(2, "b")]
    task.stop()

    query = "SELECT * FROM (SELECT id, name FROM items WHERE name NOT LIKE '%z%') AS q"  # the WHERE is the connector's
    task = start_source(db, mode="incrementing", query=query, **{"incrementing.column.name": "id", "topic.prefix": "all-items"})
    records = poll_all(task)
    assert values(records, "id", "name") == [(1, "a"), (2, "b")]
    assert records[0].topic == "all-items"
    assert records[0].source_partition == {"query": "query"}
    task.stop()


def test_source_connector_spreads_tables_and_validates(db: Db) -> None:
    for t in ("a", "b", "c"):
        db.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY)")
    connector = JdbcSourceConnector()
    props = {"connection.url": db.url, "mode": "bulk", "topic.prefix": "p-", "table.whitelist": "a,c,b"}
    connector.start(props)
    configs = connector.task_configs(2)
    connector.stop()
    prefix = _qualified(db, "")
    assert [c["tables"] for c in configs] == [f"{prefix}a,{prefix}b", f"{prefix}c"]
    connector.start({**props, "table.whitelist": "", "table.blacklist": "b"})
    assert [c["tables"] for c in connector.task_configs(5)] == [f"{prefix}a", f"{prefix}c"]
    connector.stop()

    errors = {
        cv.name: cv.error_messages
        for cv in connector.validate({"connection.url": "jdbc:oracle:thin:@x", "mode": "sometimes"}).config_values
        if cv.error_messages
    }
    assert "topic.prefix" in errors
    assert any("jdbc:oracle" in e for e in errors["connection.url"])
    assert errors["mode"] == [
        "Invalid value sometimes for configuration mode: String must be one of: , bulk, timestamp, incrementing, timestamp+incrementing"
    ]
    nullable = {"connection.url": db.url, "topic.prefix": "p-", "mode": "timestamp", "table.whitelist": "a"}
    assert connector.validate(nullable).config_values  # parses
    assert any("timestamp.column.name" in e for cv in connector.validate(nullable).config_values for e in cv.error_messages)
    with pytest.raises(ConnectException, match="nullable"):
        create_items(db)
        db.execute("CREATE TABLE loose (id INTEGER, ts TIMESTAMP)")
        start_source(db, mode="timestamp", **{"timestamp.column.name": "ts", "table.whitelist": "loose"})
    sink_errors = {
        cv.name: cv.error_messages
        for cv in JdbcSinkConnector().validate({"connection.url": db.url, "delete.enabled": "true"}).config_values
        if cv.error_messages
    }
    assert sink_errors == {
        "delete.enabled": ["Invalid value true for configuration delete.enabled: Delete support only works with pk.mode=record_key"]
    }


def test_database_restart_fails_then_recovers(postgres: PostgresServer) -> None:  # noqa: F811
    """The database going away: the sink's put() is retried (RetriableException), the source's poll() fails the
    task (ConnectException); once the database is back both reconnect on their own."""
    dsn = postgres.create_database("jdbc_restart")
    db = Db("postgresql", postgres.jdbc_url("jdbc_restart") + f"?user={postgres.user}", lambda: psycopg.connect(dsn))
    _restart_fails_then_recovers(db, postgres.stop, postgres.start)


@pytest.mark.slow
def test_mariadb_restart_fails_then_recovers(mariadb: MariaDbServer) -> None:  # noqa: F811
    url = mariadb.create_database("jdbc_restart") + f"?user={mariadb.user}&password={mariadb.password}"
    db = Db("mariadb", url, lambda: _ansi_quotes(dialect_for(url).connect(None, None, autocommit=False)))
    _restart_fails_then_recovers(db, mariadb.stop, mariadb.start)


def _restart_fails_then_recovers(db: Db, stop: Any, start: Any) -> None:
    create_items(db)
    db.execute("INSERT INTO items VALUES (1, 'a', '2024-01-01 00:00:00', NULL, NULL)")
    sink, context = start_sink(db, **{"auto.create": "true", "max.retries": "3", "retry.backoff.ms": "10", "connection.backoff.ms": "100"})
    source = start_source(db, mode="incrementing", **{"connection.backoff.ms": "100"})
    sink.put([sink_record(person(1, "ada"), 0)])
    assert values(poll_all(source), "id") == [(1,)]
    stop()
    try:
        with pytest.raises(RetriableException):
            sink.put([sink_record(person(2, "bob"), 1)])
        with pytest.raises(RetriableException, match="Unable to connect to the database after 3 attempts"):
            sink.put([sink_record(person(2, "bob"), 1)])  # still away: reconnecting fails, retried again
        with pytest.raises(ConnectException, match="Unable to connect|terminat|closed|connection"):
            source.poll()
    finally:
        start()
    db.execute("INSERT INTO items VALUES (2, 'b', '2024-01-01 00:00:00', NULL, NULL)")
    sink.put([sink_record(person(2, "bob"), 1)])  # the worker redelivers the batch after the back-off
    assert values(poll_all(source), "id") == [(2,)]
    sink.stop()
    source.stop()
    assert context.timeouts == [10, 10]
    assert db.rows('SELECT "id" FROM "people" ORDER BY "id"') == [(1,), (2,)]


def test_postgresql_session_time_zone_is_utc(postgres: PostgresServer) -> None:  # noqa: F811
    """db.timezone=UTC whatever the database's TimeZone: timestamptz rows are read and compared as UTC instants."""
    dsn = postgres.create_database("jdbc_tz")
    postgres.psql("ALTER DATABASE jdbc_tz SET timezone TO 'Asia/Tokyo'")
    db = Db("postgresql", postgres.jdbc_url("jdbc_tz") + f"?user={postgres.user}", lambda: psycopg.connect(dsn))
    db.execute("CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL)")
    db.execute("INSERT INTO events VALUES (1, '2024-01-01 00:00:01+00')")
    task = start_source(db, mode="timestamp", **{"timestamp.column.name": "at"})
    [record] = poll_all(task)
    assert record.value.get("at") == datetime.datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert record.source_offset == {"timestamp": 1704067201000, "timestamp_nanos": 0}
    db.execute("INSERT INTO events VALUES (2, '2024-01-01 09:00:02+09')")  # one second later
    assert values(poll_all(task), "id") == [(2,)]
    task.stop()


class ConnectorContext(SourceConnectorContext):
    def __init__(self) -> None:
        self.reconfigurations = threading.Event()

    def request_task_reconfiguration(self) -> None:
        self.reconfigurations.set()

    def raise_error(self, e: Exception) -> None:
        raise AssertionError(e)

    def offset_storage_reader(self) -> OffsetStorageReader:
        return DictOffsetReader()


def test_source_connector_watches_for_new_tables(tmp_path: Path) -> None:
    """table.poll.interval.ms: a table created after the start reconfigures the tasks to copy it too."""
    path = tmp_path / "watched.db"
    db = Db("sqlite", f"jdbc:sqlite:{path}", lambda: sqlite3.connect(path))
    db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY)")
    connector = JdbcSourceConnector()
    context = ConnectorContext()
    connector.initialize(context)
    connector.start({"connection.url": db.url, "mode": "bulk", "topic.prefix": "p-", "table.poll.interval.ms": "50"})
    try:
        assert [c["tables"] for c in connector.task_configs(4)] == ["a"]
        db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY)")
        assert context.reconfigurations.wait(10)
        assert [c["tables"] for c in connector.task_configs(4)] == ["a", "b"]
    finally:
        connector.stop()


@pytest.mark.parametrize(
    ("mapping", "types", "row"),
    [
        ("none", ["Decimal", "Decimal", "Decimal"], (decimal.Decimal(42), decimal.Decimal(12345678901), decimal.Decimal("1.25"))),
        ("precision_only", ["INT32", "INT64", "Decimal"], (42, 12345678901, decimal.Decimal("1.25"))),
        ("best_fit", ["INT32", "INT64", "FLOAT64"], (42, 12345678901, 1.25)),
    ],
)
def test_source_numeric_mapping(db: Db, mapping: str, types: list[str], row: tuple[Any, ...]) -> None:
    db.execute("CREATE TABLE amounts (id INTEGER PRIMARY KEY, small NUMERIC(5,0), big NUMERIC(12,0), price NUMERIC(8,2))")
    db.execute("INSERT INTO amounts VALUES (1, 42, 12345678901, 1.25)")
    task = start_source(db, mode="bulk", **{"numeric.mapping": mapping})
    [record] = task.poll() or []
    task.stop()
    schema = record.value_schema
    assert schema is not None
    names = [schema.field(f).schema for f in ("small", "big", "price")]
    assert ["Decimal" if s.name == Decimal.LOGICAL_NAME else s.type.name for s in names] == types
    assert values([record], "small", "big", "price") == [row]


def test_sqlite_source_does_not_hold_up_writers_between_batches(tmp_path: Path) -> None:
    """A query read batch by batch over several polls keeps no read lock on the SQLite file in between: the
    application's writers commit at once (rollback-journal mode, where a reader blocks a committing writer)."""
    path = tmp_path / "app.db"
    db = Db("sqlite", f"jdbc:sqlite:{path}", lambda: sqlite3.connect(path))
    create_items(db)
    for i in range(1, 4):
        db.execute("INSERT INTO items VALUES (?, 'n', '2024-01-01 00:00:00', NULL, NULL)", (i,))
    task = start_source(db, mode="incrementing", **{"batch.max.rows": "1"})
    assert values(task.poll() or [], "id") == [(1,)]  # two rows still to come from this query
    writer = sqlite3.connect(path, timeout=0.2)
    writer.execute("INSERT INTO items VALUES (4, 'n', '2024-01-01 00:00:00', NULL, NULL)")
    writer.commit()  # 'database is locked' after 0.2 s if the source held its read
    writer.close()
    assert values(poll_all(task) + poll_all(task), "id") == [(2,), (3,), (4,)]
    task.stop()


def test_sink_primitive_record_key(db: Db) -> None:
    """pk.mode=record_key with a primitive key (a StringConverter key): pk.fields names its one column."""
    value_schema = SchemaBuilder.struct().field("city", Schema.STRING_SCHEMA).build()
    task, _ = start_sink(
        db, **{"auto.create": "true", "insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "code", "delete.enabled": "true"}
    )

    def record(code: str, city: str | None, offset: int) -> SinkRecord:
        value = Struct(value_schema).put("city", city) if city is not None else None
        return SinkRecord("people", 0, Schema.STRING_SCHEMA, code, value_schema if value else None, value, offset)

    task.put([record("BER", "Berlin", 0), record("OSL", "Oslo", 1), record("BER", "Berlin (DE)", 2), record("OSL", None, 3)])
    task.stop()
    assert db.rows('SELECT "code", "city" FROM "people"') == [("BER", "Berlin (DE)")]
    task, _ = start_sink(db, **{"pk.mode": "record_key"})
    with pytest.raises(ConnectException, match="Need exactly one PK column defined since the key schema for records is a primitive type"):
        task.put([record("X", "x", 4)])
    task.stop()


def test_sink_fields_whitelist_and_source_views(db: Db) -> None:
    """fields.whitelist limits the value fields written; table.types=VIEW lets the source copy views."""
    task, _ = start_sink(db, **{"auto.create": "true", "fields.whitelist": "id,name"})
    task.put([sink_record(person(1, "ada", 36), 0)])
    task.stop()
    assert db.rows('SELECT * FROM "people"') == [(1, "ada")]
    db.execute('CREATE VIEW adults AS SELECT "id", "name" FROM "people"')
    task = start_source(db, mode="bulk", **{"table.types": "VIEW"})
    [record] = task.poll() or []
    task.stop()
    assert record.topic == "db-adults"
    assert values([record], "id", "name") == [(1, "ada")]


def test_sink_unquoted_identifiers(db: Db) -> None:
    """quote.sql.identifiers=never: PostgreSQL folds the names to lower case, and the sink still finds its table."""
    mixed = SchemaBuilder.struct().field("Id", Schema.INT64_SCHEMA).field("Name", Schema.STRING_SCHEMA).build()
    for offset in (0, 1):
        task, _ = start_sink(db, **{"auto.create": "true", "quote.sql.identifiers": "never", "table.name.format": "People"})
        task.put([sink_record(Struct(mixed).put("Id", offset).put("Name", "x"), offset)])
        task.stop()
    table = "people" if db.kind == "postgresql" else "People"
    assert db.rows(f"SELECT * FROM {table} ORDER BY 1") == [(0, "x"), (1, "x")]


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


@pytest.mark.slow
def test_source_reads_a_large_table_in_bounded_memory(db: Db) -> None:
    """A bulk query of a 150 MB table is streamed batch.max.rows rows at a time (PostgreSQL: a server-side
    cursor; SQLite in WAL mode: the open statement): the worker's memory grows by a few batches, not the table,
    and the rows all come, in order."""
    rows, width = 150_000, 1000
    db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)")
    if db.kind == "postgresql":
        db.execute(f"INSERT INTO big SELECT g, repeat('x', {width}) FROM generate_series(1, {rows}) g")
    elif db.kind == "mariadb":  # MariaDB's sequence engine: seq_1_to_<n>
        db.execute(f"INSERT INTO big SELECT seq, REPEAT('x', {width}) FROM seq_1_to_{rows}")
    else:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {rows}) "
            f"INSERT INTO big SELECT n, printf('%.{width}c', 'x') FROM g"
        )
    task = start_source(db, mode="bulk", **{"batch.max.rows": "500", "poll.interval.ms": "60000"})
    try:
        before = _rss()
        seen = 0
        peak = before
        while seen < rows:
            batch = task.poll() or []
            assert batch, f"the query ended after {seen} rows"
            assert batch[0].value.get("id") == seen + 1 and len(batch[0].value.get("pad")) == width
            seen += len(batch)
            if seen % 25_000 == 0:
                peak = max(peak, _rss())
        assert seen == rows
        # the whole table is 150 MB; a few 500-row batches are about 1 MB
        assert peak - before < 40 * 2**20, f"RSS grew by {(peak - before) // 2**20} MiB while reading the table"
    finally:
        task.stop()
