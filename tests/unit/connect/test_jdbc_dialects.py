"""The JDBC connectors' SQL: statements, type mapping and connection.url parsing, per dialect (no database)."""

from __future__ import annotations

import datetime
import decimal

import pytest

from strom.connect.api import SinkRecord
from strom.connect.connectors.jdbc import debezium_types
from strom.connect.connectors.jdbc.dialect import SinkRecordField, TableId, dialect_for
from strom.connect.connectors.jdbc.querier import MODE_INCREMENTING, MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING, Offset, TableQuerier
from strom.connect.connectors.jdbc.source_connector import _group_partitions
from strom.connect.connectors.jdbc.url import parse_jdbc_url
from strom.connect.connectors.jdbc.writer import JdbcDbWriter, WriterConfig, _chunk_sizes, _numbered_placeholders
from strom.connect.data import Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp

PG = dialect_for("jdbc:postgresql://db:5433/shop")
LITE = dialect_for("jdbc:sqlite:/tmp/x.db")
T = TableId(None, None, "orders")


def test_connection_urls() -> None:
    assert parse_jdbc_url("jdbc:sqlite:/var/db/a.db").path == "/var/db/a.db"
    assert parse_jdbc_url("jdbc:sqlite::memory:").path == ":memory:"
    url = parse_jdbc_url("jdbc:postgresql://h1:5433,h2/shop?user=u&password=p%40ss&sslmode=require&currentSchema=s")
    assert url.params == {
        "host": "h1,h2",
        "port": "5433,5432",
        "dbname": "shop",
        "user": "u",
        "password": "p@ss",
        "sslmode": "require",
        "options": "-c search_path=s",
    }
    assert parse_jdbc_url("jdbc:postgresql:shop").params == {"host": "localhost", "port": "5432", "dbname": "shop"}
    for bad in ("postgresql://h/db", "jdbc:oracle:thin:@h:1521/db", "jdbc:postgresql://h/db?frobnicate=1"):
        with pytest.raises(ValueError):
            parse_jdbc_url(bad)


def test_write_statements() -> None:
    assert PG.insert_statement(T, ["id"], ["a", "b"]) == 'INSERT INTO "orders" ("id", "a", "b") VALUES (%s, %s, %s)'
    assert PG.upsert_statement(T, ["id"], ["a"]) == (
        'INSERT INTO "orders" ("id", "a") VALUES (%s, %s) ON CONFLICT ("id") DO UPDATE SET "a" = EXCLUDED."a"'
    )
    assert LITE.upsert_statement(T, ["k1", "k2"], []) == (
        'INSERT INTO "orders" ("k1", "k2") VALUES (?, ?) ON CONFLICT ("k1", "k2") DO NOTHING'
    )
    assert LITE.update_statement(T, ["k1", "k2"], ["a"]) == 'UPDATE "orders" SET "a" = ? WHERE "k1" = ? AND "k2" = ?'
    assert PG.delete_statement(TableId(None, "s", "t"), ["id"]) == 'DELETE FROM "s"."t" WHERE "id" = %s'
    never = dialect_for("jdbc:sqlite:/x", "never")
    assert never.insert_statement(T, ["id"], []) == "INSERT INTO orders (id) VALUES (?)"
    assert PG.quote('we"ird') == '"we""ird"'


def test_create_and_alter_from_connect_schemas() -> None:
    fields = [
        SinkRecordField("id", Schema.INT64_SCHEMA, True),
        SinkRecordField("name", Schema.OPTIONAL_STRING_SCHEMA, False),
        SinkRecordField("qty", SchemaBuilder.int32().default_value(1).build(), False),
        SinkRecordField("price", Decimal.schema(2), False),
    ]
    assert PG.create_table_statement(T, fields) == (
        'CREATE TABLE "orders" (\n"id" BIGINT NOT NULL,\n"name" TEXT NULL,\n"qty" INT DEFAULT 1 NOT NULL,\n'
        '"price" DECIMAL NOT NULL,\nPRIMARY KEY("id"))'
    )
    assert LITE.create_table_statement(T, fields[:2]) == (
        'CREATE TABLE "orders" (\n"id" INTEGER NOT NULL,\n"name" TEXT NULL,\nPRIMARY KEY("id"))'
    )
    assert PG.alter_table_statements(T, fields[1:3]) == ['ALTER TABLE "orders" ADD "name" TEXT NULL, ADD "qty" INT DEFAULT 1 NOT NULL']
    assert LITE.alter_table_statements(T, fields[1:3]) == [
        'ALTER TABLE "orders" ADD "name" TEXT NULL',
        'ALTER TABLE "orders" ADD "qty" INTEGER DEFAULT 1 NOT NULL',
    ]


@pytest.mark.parametrize(
    ("schema", "postgres", "sqlite"),
    [
        (Schema.INT8_SCHEMA, "SMALLINT", "INTEGER"),
        (Schema.INT16_SCHEMA, "SMALLINT", "INTEGER"),
        (Schema.INT32_SCHEMA, "INT", "INTEGER"),
        (Schema.INT64_SCHEMA, "BIGINT", "INTEGER"),
        (Schema.FLOAT32_SCHEMA, "REAL", "REAL"),
        (Schema.FLOAT64_SCHEMA, "DOUBLE PRECISION", "REAL"),
        (Schema.BOOLEAN_SCHEMA, "BOOLEAN", "BOOLEAN"),
        (Schema.STRING_SCHEMA, "TEXT", "TEXT"),
        (Schema.BYTES_SCHEMA, "BYTEA", "BLOB"),
        (Decimal.schema(3), "DECIMAL", "NUMERIC"),
        (Date.SCHEMA, "DATE", "DATE"),
        (Time.SCHEMA, "TIME", "TIME"),
        (Timestamp.SCHEMA, "TIMESTAMP", "TIMESTAMP"),
    ],
)
def test_column_types(schema: Schema, postgres: str, sqlite: str) -> None:
    assert PG.sql_type(schema) == postgres
    assert LITE.sql_type(schema) == sqlite


def test_sqlite_values_and_literals() -> None:
    ts = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    assert LITE.bind_value(Timestamp.SCHEMA, ts) == "2024-01-02 03:04:05.678"
    assert LITE.read_value(Timestamp.SCHEMA, "2024-01-02 03:04:05.678") == ts.replace(microsecond=678000)
    assert LITE.read_value(Timestamp.SCHEMA, 1704164645678) == ts.replace(microsecond=678000)
    assert LITE.bind_value(Decimal.schema(2), decimal.Decimal("1.50")) == "1.50"
    assert LITE.read_value(Decimal.schema(2), 1.5) == decimal.Decimal("1.50")
    assert LITE.format_literal(Schema.BOOLEAN_SCHEMA, True) == "1"
    assert PG.format_literal(Schema.STRING_SCHEMA, "it's") == "'it''s'"


def querier(mode: str, **kw: object) -> TableQuerier:
    return TableQuerier(PG, mode, "t", {"table": "t"}, table=T, **kw)  # type: ignore[arg-type]


def test_incremental_queries() -> None:
    end = datetime.datetime(2024, 1, 1)
    q = querier(MODE_INCREMENTING, incrementing_column="id", offset=Offset(None, 41))
    assert q.statement(None) == ('SELECT * FROM "orders" WHERE "id" > %s ORDER BY "id" ASC', [41])
    q = querier(MODE_TIMESTAMP, timestamp_columns=("modified", "created"))
    sql, params = q.statement(end)
    ts = 'COALESCE("modified", "created")'
    assert sql == f'SELECT * FROM "orders" WHERE {ts} > %s AND {ts} < %s ORDER BY {ts} ASC'
    assert params == [datetime.datetime(1970, 1, 1), end]
    begin = datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    q = querier(MODE_TIMESTAMP_INCREMENTING, incrementing_column="id", timestamp_columns=("m",), offset=Offset(begin, 7))
    sql, params = q.statement(end)
    assert sql == ('SELECT * FROM "orders" WHERE "m" < %s AND (("m" = %s AND "id" > %s) OR "m" > %s) ORDER BY "m", "id" ASC')
    assert params == [end, begin.replace(tzinfo=None), 7, begin.replace(tzinfo=None)]
    q = TableQuerier(
        LITE, MODE_TIMESTAMP, "t", {"query": "query"}, query="SELECT a FROM b", timestamp_columns=("m",), query_suffix="LIMIT 5"
    )
    sql, _ = q.statement(end)
    assert sql == (
        "SELECT a FROM b WHERE strftime('%Y-%m-%d %H:%M:%f', \"m\") > ? AND strftime('%Y-%m-%d %H:%M:%f', \"m\") < ? "
        "ORDER BY strftime('%Y-%m-%d %H:%M:%f', \"m\") ASC LIMIT 5"
    )


def test_offsets_as_confluent_writes_them() -> None:
    ts = datetime.datetime(2024, 1, 1, 0, 0, 1, 250_500, tzinfo=datetime.UTC)
    stored = Offset(ts, 9).to_map()
    assert stored == {"incrementing": 9, "timestamp": 1704067201250, "timestamp_nanos": 250_500_000}
    assert Offset.from_map(stored) == Offset(ts, 9)
    assert Offset.from_map({"timestamp": 1704067201250}) == Offset(ts.replace(microsecond=250_000), None)
    assert Offset.from_map(None) == Offset()


def test_tables_grouped_over_tasks_as_kafka_does() -> None:
    assert _group_partitions(["a", "b", "c", "d", "e"], 3) == [["a", "b"], ["c", "d"], ["e"]]
    assert _group_partitions(["a"], 1) == [["a"]]


def test_debezium_semantic_types_keep_their_column_types() -> None:
    micro_ts = SchemaBuilder.int64().name(debezium_types.MICRO_TIMESTAMP).build()
    vsd = (
        SchemaBuilder.struct()
        .name(debezium_types.VARIABLE_SCALE_DECIMAL)
        .field("scale", Schema.INT32_SCHEMA)
        .field("value", Schema.BYTES_SCHEMA)
        .optional()
        .build()
    )
    zoned = SchemaBuilder.string().name(debezium_types.ZONED_TIMESTAMP).build()
    micro_time = SchemaBuilder.int64().name(debezium_types.MICRO_TIME).build()
    day = SchemaBuilder.int32().name(debezium_types.DATE).build()
    assert [PG.sql_type(s) for s in (micro_ts, vsd, zoned, micro_time, day)] == ["TIMESTAMP", "DECIMAL", "TIMESTAMPTZ", "TIME", "DATE"]
    assert [LITE.sql_type(s) for s in (micro_ts, vsd, zoned, micro_time, day)] == ["TIMESTAMP", "NUMERIC", "TIMESTAMP", "TIME", "DATE"]
    assert PG.bind_value(micro_ts, 1_704_164_645_678_901) == datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)
    assert LITE.bind_value(micro_ts, 1_704_164_645_678_901) == "2024-01-02 03:04:05.678"
    minus_7125 = Struct(vsd).put("scale", 3).put("value", (-7125).to_bytes(2, "big", signed=True))
    assert PG.bind_value(vsd, minus_7125) == decimal.Decimal("-7.125")
    assert PG.bind_value(zoned, "2024-01-02T03:04:05.5Z") == datetime.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=datetime.UTC)
    assert PG.bind_value(micro_time, 3_723_500_000) == datetime.time(1, 2, 3, 500000)
    assert LITE.bind_value(day, 19724) == "2024-01-02"


def test_multi_row_writes_chunk_and_keep_each_keys_last_write() -> None:
    """Writers with multi-row statements (PostgreSQL's) bind at most max_parameters per statement, and an upsert
    batch keeps the last write of each key (a multi-row ON CONFLICT may not touch a row twice)."""
    assert PG.multi_row_statement(True, T, ["id"], ["a"], 2) == (
        'INSERT INTO "orders" ("id", "a") VALUES (%s, %s), (%s, %s) ON CONFLICT ("id") DO UPDATE SET "a" = EXCLUDED."a"'
    )
    dialect = dialect_for("jdbc:sqlite::memory:")
    dialect.multi_row_writes = True
    dialect.max_parameters = 7  # three rows of two columns per statement
    conn = dialect.connect(None, None, autocommit=False)
    schema = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("a", Schema.STRING_SCHEMA).build()
    writer = JdbcDbWriter(
        WriterConfig("c", insert_mode="upsert", pk_mode="record_value", pk_fields=("id",), auto_create=True), dialect, conn
    )
    rows = [(1, "a"), (2, "b"), (1, "a2"), (3, "c"), (4, "d"), (5, "e"), (6, "f"), (2, "b2")]
    records = [SinkRecord("orders", 0, None, None, schema, Struct(schema).put("id", i).put("a", a), n) for n, (i, a) in enumerate(rows)]
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    writer.write(records)
    assert conn.execute('SELECT "id", "a" FROM "orders" ORDER BY "id"').fetchall() == [
        (1, "a2"),
        (2, "b2"),
        (3, "c"),
        (4, "d"),
        (5, "e"),
        (6, "f"),
    ]
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert [s.count("), (") + 1 for s in inserts] == [3, 3]
    conn.close()


def test_multi_row_statements_numbered_for_psycopgs_raw_cursor() -> None:
    """PostgreSQL's multi-row statements go to psycopg's RawCursor with $n placeholders (psycopg re-parses a %s
    statement this long on every execute); text with another `%` stays with psycopg's own parsing."""
    sql = PG.multi_row_statement(True, T, ["id"], ["a"], 2)
    assert _numbered_placeholders(sql) == (
        'INSERT INTO "orders" ("id", "a") VALUES ($1, $2), ($3, $4) ON CONFLICT ("id") DO UPDATE SET "a" = EXCLUDED."a"'
    )
    assert _numbered_placeholders("SELECT 1 WHERE a LIKE 'x%%' AND b = %s") is None
    assert _numbered_placeholders("SELECT '%%s', %s") is None


def test_multi_row_chunks_come_in_a_few_sizes() -> None:
    """Batches of any length reuse a few statement sizes (full chunks, powers of two, a rest under 64 rows), so
    their statements repeat and the writer's statement cache stays small."""
    assert _chunk_sizes(2795, 10922) == [2048, 512, 128, 64, 43]
    assert _chunk_sizes(25000, 10922) == [10922, 10922, 2048, 1024, 64, 20]
    assert _chunk_sizes(7, 3) == [3, 3, 1]
    sizes = {size for rows in range(1, 6000) for size in _chunk_sizes(rows, 10922)}
    assert len(sizes) < 80
