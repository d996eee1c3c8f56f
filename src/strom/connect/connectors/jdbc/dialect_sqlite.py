"""SQLite through the standard library's sqlite3.

SQLite stores dynamically typed values; a column's declared type only gives it an affinity. The source maps
declared types to Connect schemas by SQLite's affinity rules (integers are 64-bit: INT64), keeping the names
that say more (BOOLEAN, DATE, TIME, TIMESTAMP/DATETIME, DECIMAL(p,s)). Timestamps are stored as ISO-8601 text
in UTC (what CURRENT_TIMESTAMP and the sink write) and compared through strftime, at millisecond precision."""

from __future__ import annotations

import datetime
import decimal
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from strom.connect.data import Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type

from . import debezium_types
from .dialect import ColumnDefinition, DatabaseDialect, DbConnection, SinkRecordField, TableDefinition, TableId

_TS_FORMAT = "%Y-%m-%d %H:%M:%f"
_DECIMAL_RE = re.compile(r"(?:decimal|numeric)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")

_SQL_TYPES = {
    Type.INT8: "INTEGER",
    Type.INT16: "INTEGER",
    Type.INT32: "INTEGER",
    Type.INT64: "INTEGER",
    Type.FLOAT32: "REAL",
    Type.FLOAT64: "REAL",
    Type.BOOLEAN: "BOOLEAN",
    Type.STRING: "TEXT",
    Type.BYTES: "BLOB",
}
_LOGICAL_SQL_TYPES = {
    Decimal.LOGICAL_NAME: "NUMERIC",
    Date.LOGICAL_NAME: "DATE",
    Time.LOGICAL_NAME: "TIME",
    Timestamp.LOGICAL_NAME: "TIMESTAMP",
}
_DEBEZIUM_SQL_TYPES = {
    debezium_types.KIND_DECIMAL: "NUMERIC",
    debezium_types.KIND_DATE: "DATE",
    debezium_types.KIND_TIME: "TIME",
    debezium_types.KIND_TIMESTAMP: "TIMESTAMP",
    debezium_types.KIND_TIMESTAMPTZ: "TIMESTAMP",
}


class SqliteDatabaseDialect(DatabaseDialect):
    name = "SqliteDatabaseDialect"
    placeholder = "?"

    def connect(self, user: str | None, password: str | None, *, autocommit: bool) -> DbConnection:
        # isolation_level=None: no implicit BEGIN; the sink opens its own transaction per put().
        conn = sqlite3.connect(self.url.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        if not autocommit:
            conn.isolation_level = "DEFERRED"
        return conn

    def list_tables(self, conn: DbConnection, table_types: Sequence[str]) -> list[TableId]:
        kinds = [t.lower() for t in table_types if t.upper() in ("TABLE", "VIEW")] or ["table"]
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ({}) AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name".format(
                ", ".join("?" * len(kinds))
            ),
            kinds,
        ).fetchall()
        return [TableId(None, None, r[0]) for r in rows]

    def describe_table(self, conn: DbConnection, table_id: TableId) -> TableDefinition | None:
        pragma = f"PRAGMA table_info({self.quote(table_id.table)})"
        if table_id.schema:
            pragma = f"PRAGMA {self.quote(table_id.schema)}.table_info({self.quote(table_id.table)})"
        rows = conn.execute(pragma).fetchall()
        if not rows:
            return None
        columns: dict[str, ColumnDefinition] = {}
        for _cid, name, decl, notnull, _default, pk in rows:
            decl = (decl or "").lower()
            precision = scale = None
            m = _DECIMAL_RE.search(decl)
            if m:
                precision, scale = int(m.group(1)), int(m.group(2) or 0)
            # INTEGER PRIMARY KEY is the rowid: never NULL although the pragma says nullable.
            nullable = not notnull and not (pk and decl == "integer")
            columns[name] = ColumnDefinition(name, decl, nullable, bool(pk), precision, scale)
        return TableDefinition(table_id, columns)

    def current_timestamp(self, conn: DbConnection) -> datetime.datetime:
        (text,) = conn.execute("SELECT strftime(?, 'now')", (_TS_FORMAT,)).fetchone()
        return datetime.datetime.fromisoformat(text)

    debezium_sql_types = _DEBEZIUM_SQL_TYPES
    logical_sql_types = _LOGICAL_SQL_TYPES
    plain_sql_types = _SQL_TYPES

    def column_schema(self, column: ColumnDefinition) -> Schema:
        decl = column.type_name
        builder: SchemaBuilder
        if "bool" in decl:
            builder = SchemaBuilder.bool()
        elif "int" in decl:
            builder = SchemaBuilder.int64()
        elif "char" in decl or "clob" in decl or "text" in decl:
            builder = SchemaBuilder.string()
        elif "blob" in decl or not decl:
            builder = SchemaBuilder.bytes()
        elif "real" in decl or "floa" in decl or "doub" in decl:
            builder = SchemaBuilder.float64()
        elif "timestamp" in decl or "datetime" in decl:
            builder = Timestamp.builder()
        elif "date" in decl:
            builder = Date.builder()
        elif "time" in decl:
            builder = Time.builder()
        elif column.scale is not None:
            builder = self.numeric_schema(column.precision, column.scale)
        else:  # NUMERIC affinity without a scale: integers and reals alike
            builder = SchemaBuilder.float64()
        if column.nullable:
            builder = builder.optional()
        return builder.build()

    def bind_value(self, schema: Schema, value: Any) -> Any:
        if value is None:
            return None
        name = schema.name
        if name == Timestamp.LOGICAL_NAME and isinstance(value, datetime.datetime):
            return _ts_text(super().bind_value(schema, value))
        if name in (Date.LOGICAL_NAME, Time.LOGICAL_NAME) and isinstance(value, (datetime.date, datetime.time)):
            return value.isoformat()
        if name == Decimal.LOGICAL_NAME and isinstance(value, decimal.Decimal):
            return str(value)
        if schema.type == Type.BOOLEAN:
            return 1 if value else 0
        return super().bind_value(schema, value)

    def bind_debezium(self, kind: str, value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return _ts_text(value)
        if isinstance(value, (datetime.date, datetime.time, decimal.Decimal)):
            return value.isoformat() if not isinstance(value, decimal.Decimal) else str(value)
        return value

    def read_value(self, schema: Schema, value: Any) -> Any:
        if value is None:
            return None
        name = schema.name
        if name == Timestamp.LOGICAL_NAME:
            if isinstance(value, (int, float)):  # epoch milliseconds, as sqlite-jdbc stores them
                return datetime.datetime.fromtimestamp(value / 1000, datetime.UTC)
            return datetime.datetime.fromisoformat(str(value)).replace(tzinfo=datetime.UTC)
        if name == Date.LOGICAL_NAME and isinstance(value, str):
            return datetime.date.fromisoformat(value[:10])
        if name == Time.LOGICAL_NAME and isinstance(value, str):
            return datetime.time.fromisoformat(value)
        if schema.type == Type.BOOLEAN:
            return bool(value)
        if schema.type == Type.FLOAT64 and isinstance(value, int):
            return float(value)
        if schema.type == Type.STRING and not isinstance(value, str):
            return value.decode() if isinstance(value, bytes) else str(value)
        if schema.type == Type.BYTES and isinstance(value, str):
            return value.encode()
        return super().read_value(schema, value)

    def alter_table_statements(self, table: TableId, fields: Sequence[SinkRecordField]) -> list[str]:
        # SQLite's ALTER TABLE adds one column per statement.
        return [f"ALTER TABLE {self.table_sql(table)} ADD {self._column_spec(f)}" for f in fields]

    def format_literal(self, schema: Schema, value: Any) -> str:
        if schema.type == Type.BOOLEAN:
            return "1" if value else "0"
        if isinstance(value, datetime.datetime):
            return "'" + _ts_text(value) + "'"
        return super().format_literal(schema, value)

    def timestamp_expression(self, quoted_column: str) -> str:
        return f"strftime('{_TS_FORMAT}', {quoted_column})"

    def bind_timestamp(self, value: datetime.datetime) -> Any:
        return _ts_text(super().bind_timestamp(value))

    def open_cursor(self, conn: DbConnection, sql: str, params: Sequence[Any], fetch_size: int = 100) -> Any:
        """In WAL mode (readers never block writers) the rows are read fetch_size at a time. Otherwise they are read
        at once: an open SQLite statement holds a read lock, which in rollback-journal mode would hold up the
        application's committing writers while the worker sends the rows batch by batch."""
        cur = conn.execute(sql, tuple(params))
        if _journal_mode(conn) == "wal":
            return cur
        try:
            return _ReadCursor(cur.description, cur.fetchall())
        finally:
            cur.close()

    def result_schemas(self, cursor: Any, rows: Sequence[Sequence[Any]]) -> dict[str, Schema]:
        """sqlite3 reports no column types for a query: each column's type is that of its first non-NULL value."""
        schemas: dict[str, Schema] = {}
        for i, desc in enumerate(cursor.description):
            sample = next((r[i] for r in rows if r[i] is not None), None)
            if isinstance(sample, bool) or isinstance(sample, int):
                builder = SchemaBuilder.int64()
            elif isinstance(sample, float):
                builder = SchemaBuilder.float64()
            elif isinstance(sample, bytes):
                builder = SchemaBuilder.bytes()
            else:
                builder = SchemaBuilder.string()
            schemas[desc[0]] = builder.optional().build()
        return schemas


def _journal_mode(conn: DbConnection) -> str:
    row = conn.execute("PRAGMA journal_mode").fetchone()
    return str(row[0]).lower() if row else ""


class _ReadCursor:
    """The DB-API cursor surface the source reads (description, fetchmany, close) over rows already fetched."""

    def __init__(self, description: Any, rows: list[Any]) -> None:
        self.description = description
        self._rows = rows
        self._next = 0

    def fetchmany(self, size: int) -> list[Any]:
        batch = self._rows[self._next : self._next + size]
        self._next += len(batch)
        return batch

    def close(self) -> None:
        self._rows = []


def _ts_text(value: datetime.datetime) -> str:
    """UTC as 'YYYY-MM-DD HH:MM:SS.mmm': the text strftime(_TS_FORMAT) gives, so stored and bound values compare."""
    value = value if value.tzinfo is None else value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
