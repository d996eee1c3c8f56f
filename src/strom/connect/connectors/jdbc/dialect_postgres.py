"""PostgreSQL through psycopg 3, with Confluent's PostgreSqlDatabaseDialect type mapping.

Connect -> column: INT8/INT16 SMALLINT, INT32 INT, INT64 BIGINT, FLOAT32 REAL, FLOAT64 DOUBLE PRECISION,
BOOLEAN, STRING TEXT, BYTES BYTEA, Decimal DECIMAL, Date DATE, Time TIME, Timestamp TIMESTAMP (UTC).
Column -> Connect: the reverse, with numeric(p,s) as Decimal(s), varchar/char/uuid/json/jsonb/... as STRING."""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Sequence
from typing import Any

from strom.connect.data import Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type

from . import debezium_types
from .dialect import QUOTE_NEVER, ColumnDefinition, DatabaseDialect, DbConnection, TableDefinition, TableId

_SQL_TYPES = {
    Type.INT8: "SMALLINT",
    Type.INT16: "SMALLINT",
    Type.INT32: "INT",
    Type.INT64: "BIGINT",
    Type.FLOAT32: "REAL",
    Type.FLOAT64: "DOUBLE PRECISION",
    Type.BOOLEAN: "BOOLEAN",
    Type.STRING: "TEXT",
    Type.BYTES: "BYTEA",
}
_LOGICAL_SQL_TYPES = {
    Decimal.LOGICAL_NAME: "DECIMAL",
    Date.LOGICAL_NAME: "DATE",
    Time.LOGICAL_NAME: "TIME",
    Timestamp.LOGICAL_NAME: "TIMESTAMP",
}
_DEBEZIUM_SQL_TYPES = {
    debezium_types.KIND_DECIMAL: "DECIMAL",
    debezium_types.KIND_DATE: "DATE",
    debezium_types.KIND_TIME: "TIME",
    debezium_types.KIND_TIMESTAMP: "TIMESTAMP",
    debezium_types.KIND_TIMESTAMPTZ: "TIMESTAMPTZ",
}
# udt_name (information_schema) / pg_type.typname -> Connect primitive type
_PRIMITIVES = {
    "int2": Type.INT16,
    "int4": Type.INT32,
    "int8": Type.INT64,
    "oid": Type.INT64,
    "float4": Type.FLOAT32,
    "float8": Type.FLOAT64,
    "bool": Type.BOOLEAN,
    "bytea": Type.BYTES,
}

_DESCRIBE = """
SELECT c.column_name, c.udt_name, c.is_nullable, c.numeric_precision, c.numeric_scale,
       EXISTS (SELECT 1 FROM information_schema.table_constraints tc
               JOIN information_schema.key_column_usage k
                 ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
                AND k.table_name = tc.table_name
               WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
                 AND tc.table_name = c.table_name AND k.column_name = c.column_name)
FROM information_schema.columns c
WHERE c.table_schema = COALESCE(%s, current_schema()) AND c.table_name = %s
ORDER BY c.ordinal_position
"""


class PostgreSqlDatabaseDialect(DatabaseDialect):
    name = "PostgreSqlDatabaseDialect"
    placeholder = "%s"
    # One statement per batch instead of one per row: ~3x the rows/s of executemany (PostgreSQL allows 65535
    # parameters per statement).
    multi_row_writes = True

    def connect(self, user: str | None, password: str | None, *, autocommit: bool) -> DbConnection:
        import psycopg

        params = dict(self.url.params)
        if user:
            params["user"] = user
        if password:
            params["password"] = password
        conninfo = psycopg.conninfo.make_conninfo("", **params)
        conn = psycopg.connect(conninfo, autocommit=autocommit)
        # db.timezone=UTC: naive timestamps are read, written and compared as UTC, whatever the server's TimeZone.
        conn.execute("SET TIME ZONE 'UTC'")
        if not autocommit:
            conn.commit()
        return conn

    def list_tables(self, conn: DbConnection, table_types: Sequence[str]) -> list[TableId]:
        kinds = [{"TABLE": "BASE TABLE", "VIEW": "VIEW"}.get(t.upper(), t.upper()) for t in table_types]
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = ANY(%s) "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_schema, table_name",
            (kinds or ["BASE TABLE"],),
        ).fetchall()
        return [TableId(None, r[0], r[1]) for r in rows]

    def describe_table(self, conn: DbConnection, table_id: TableId) -> TableDefinition | None:
        schema, table = table_id.schema, table_id.table
        if self.quote_identifiers == QUOTE_NEVER:  # unquoted names fold to lower case in PostgreSQL
            schema, table = schema.lower() if schema else schema, table.lower()
        rows = conn.execute(_DESCRIBE, (schema, table)).fetchall()
        if not rows:
            return None
        columns = {
            name: ColumnDefinition(name, udt, nullable == "YES", bool(pk), precision, scale)
            for name, udt, nullable, precision, scale, pk in rows
        }
        return TableDefinition(table_id, columns)

    def current_timestamp(self, conn: DbConnection) -> datetime.datetime:
        (now,) = conn.execute("SELECT CURRENT_TIMESTAMP").fetchone()
        assert isinstance(now, datetime.datetime)
        return now.astimezone(datetime.UTC).replace(tzinfo=None)

    debezium_sql_types = _DEBEZIUM_SQL_TYPES
    logical_sql_types = _LOGICAL_SQL_TYPES
    plain_sql_types = _SQL_TYPES

    def special_sql_type(self, schema: Schema) -> str | None:
        if schema.type == Type.ARRAY and schema.value_schema is not None:
            return self.sql_type(schema.value_schema) + "[]"
        return None

    def column_schema(self, column: ColumnDefinition) -> Schema:
        udt = column.type_name
        builder: SchemaBuilder
        if udt in _PRIMITIVES:
            builder = SchemaBuilder(_PRIMITIVES[udt])
        elif udt == "numeric":
            builder = self.numeric_schema(column.precision, column.scale)
        elif udt == "date":
            builder = Date.builder()
        elif udt in ("time", "timetz"):
            builder = Time.builder()
        elif udt in ("timestamp", "timestamptz"):
            builder = Timestamp.builder()
        else:
            builder = SchemaBuilder.string()
        if column.nullable:
            builder = builder.optional()
        return builder.build()

    def read_value(self, schema: Schema, value: Any) -> Any:
        if value is None:
            return None
        if schema.type == Type.STRING and not isinstance(value, str):
            if isinstance(value, (dict, list)):
                return json.dumps(value)
            return value.isoformat() if isinstance(value, (datetime.date, datetime.time)) else str(value)
        if schema.name == Time.LOGICAL_NAME and isinstance(value, datetime.time) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        return super().read_value(schema, value)

    def open_cursor(self, conn: DbConnection, sql: str, params: Sequence[Any], fetch_size: int = 100) -> Any:
        """A server-side cursor in its own transaction: the rows come fetch_size at a time, so a table of any size
        is never held in memory (Confluent's connector sets the JDBC fetch size to batch.max.rows for the same)."""
        return _ServerCursor(conn, sql, params, fetch_size)

    def literal_sql(self, text: str) -> str:
        return text.replace("%", "%%")

    def result_schemas(self, cursor: Any, rows: Sequence[Sequence[Any]]) -> dict[str, Schema]:
        """Column types from the result's type OIDs (query mode); every column optional (nullability unknown)."""
        from psycopg.postgres import types

        schemas: dict[str, Schema] = {}
        for desc in cursor.description:
            info = types.get(desc.type_code)
            udt = info.name if info is not None else "text"
            precision = desc.precision if udt == "numeric" else None
            scale = desc.scale if udt == "numeric" else None
            schemas[desc.name] = self.column_schema(ColumnDefinition(desc.name, udt, True, precision=precision, scale=scale))
        return schemas


_cursor_names = itertools.count()


class _ServerCursor:
    """DECLARE ... CURSOR in a transaction opened for it, FETCH per batch, CLOSE and end of the transaction when
    the query is done: the snapshot is held only while the query's rows are being read, as Confluent's is."""

    def __init__(self, conn: Any, sql: str, params: Sequence[Any], fetch_size: int) -> None:
        self._conn = conn
        conn.execute("BEGIN READ ONLY")  # the source's connection is in autocommit: a cursor needs a transaction
        try:
            self._cursor = conn.cursor(name=f"strom_jdbc_source_{next(_cursor_names)}")
            self._cursor.itersize = max(1, fetch_size)
            self._cursor.execute(sql, tuple(params) if params else None)  # without parameters psycopg leaves '%' alone
        except BaseException:
            self._end()
            raise

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchmany(self, size: int) -> list[Any]:
        return list(self._cursor.fetchmany(size))

    def close(self) -> None:
        try:
            self._cursor.close()
        finally:
            self._end()

    def _end(self) -> None:
        from psycopg import pq

        if not self._conn.closed and self._conn.info.transaction_status != pq.TransactionStatus.IDLE:
            self._conn.execute("ROLLBACK")  # read only: nothing to keep
