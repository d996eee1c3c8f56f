"""MySQL and MariaDB through PyMySQL, with Confluent's MySqlDatabaseDialect type mapping.

Connect -> column: INT8 TINYINT, INT16 SMALLINT, INT32 INT, INT64 BIGINT, FLOAT32 FLOAT, FLOAT64 DOUBLE, BOOLEAN
TINYINT, STRING TEXT (VARCHAR(255) in a primary key, which MySQL cannot index as TEXT), BYTES VARBINARY(1024),
Decimal DECIMAL(65,scale), Date DATE, Time TIME(3), Timestamp DATETIME(3).
Column -> Connect, as Connector/J reports the types: tinyint(1) and bit(1) BOOLEAN, tinyint INT8, smallint INT16,
mediumint and int INT32, bigint INT64 (unsigned types one size up; bigint unsigned as Decimal(0)), float FLOAT32,
double FLOAT64, decimal by numeric.mapping, char/varchar/text/enum/set/json STRING, binary/varbinary/blob and bit(n)
BYTES, date and year Date, time Time, datetime and timestamp Timestamp.
Identifiers are quoted with backticks, upserts are INSERT .. ON DUPLICATE KEY UPDATE, and the session's time zone
is UTC so TIMESTAMP columns read and compare as UTC, like DATETIME ones (db.timezone=UTC)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

import pymysql  # type: ignore[import-untyped]  # no stubs shipped
import pymysql.cursors  # type: ignore[import-untyped]
from pymysql.constants import FIELD_TYPE  # type: ignore[import-untyped]

from strom.connect.data import Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type

from . import debezium_types
from .dialect import QUOTE_NEVER, ColumnDefinition, DatabaseDialect, DbConnection, SinkRecordField, TableDefinition, TableId

_SQL_TYPES = {
    Type.INT8: "TINYINT",
    Type.INT16: "SMALLINT",
    Type.INT32: "INT",
    Type.INT64: "BIGINT",
    Type.FLOAT32: "FLOAT",
    Type.FLOAT64: "DOUBLE",
    Type.BOOLEAN: "TINYINT",
    Type.STRING: "TEXT",
    Type.BYTES: "VARBINARY(1024)",
}
_LOGICAL_SQL_TYPES = {
    Date.LOGICAL_NAME: "DATE",
    Time.LOGICAL_NAME: "TIME(3)",
    Timestamp.LOGICAL_NAME: "DATETIME(3)",
}
_DEBEZIUM_SQL_TYPES = {
    debezium_types.KIND_DECIMAL: "DECIMAL(65,30)",
    debezium_types.KIND_DATE: "DATE",
    debezium_types.KIND_TIME: "TIME(6)",
    debezium_types.KIND_TIMESTAMP: "DATETIME(6)",
    debezium_types.KIND_TIMESTAMPTZ: "DATETIME(6)",
}
# The key a string primary key column gets: TEXT has no length MySQL can index (255 utf8mb4 characters fit).
_KEY_STRING_TYPE = "VARCHAR(255)"

# column_type's base name -> (signed, unsigned) Connect type
_INTEGERS = {
    "tinyint": (Type.INT8, Type.INT16),
    "smallint": (Type.INT16, Type.INT32),
    "mediumint": (Type.INT32, Type.INT32),
    "int": (Type.INT32, Type.INT64),
    "integer": (Type.INT32, Type.INT64),
    "bigint": (Type.INT64, None),
}
_BINARY = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})
_TYPE_RE = re.compile(r"^\s*([a-z]+)\s*(?:\(([^)]*)\))?")

_DESCRIBE = """
SELECT column_name, column_type, is_nullable, numeric_precision, numeric_scale, column_key
FROM information_schema.columns
WHERE table_schema = COALESCE(%s, DATABASE()) AND table_name = %s
ORDER BY ordinal_position
"""


class MySqlConnection(pymysql.connections.Connection):  # type: ignore[misc]
    """PyMySQL's connection with the execute() shortcut sqlite3 and psycopg have, which the sink's writer uses."""

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        cur = self.cursor()
        cur.execute(sql, tuple(params) if params else None)
        return cur

    @property
    def closed(self) -> bool:
        return not self.open

    def close(self) -> None:
        # A streaming result still open (a source query stopped mid-way) has nothing left to read once the
        # connection is gone: without this its cursor's close() and __del__ would read from the closed socket.
        result = getattr(self, "_result", None)
        if result is not None:
            result.unbuffered_active = False
        super().close()


class MySqlDatabaseDialect(DatabaseDialect):
    name = "MySqlDatabaseDialect"
    placeholder = "%s"
    # PyMySQL's executemany already sends a batch of INSERT .. VALUES (..) [ON DUPLICATE KEY UPDATE ..] as
    # multi-row statements (up to its max_stmt_length), so the writer's own multi-row path is not needed.
    multi_row_writes = False
    has_schemas = False  # databases are catalogs: schema.pattern selects nothing, as with Connector/J

    def connect(self, user: str | None, password: str | None, *, autocommit: bool) -> DbConnection:
        params = dict(self.url.params)
        kwargs: dict[str, Any] = {
            "host": params["host"],
            "port": int(params.get("port", "3306")),
            "user": user or params.get("user"),
            "password": password if password is not None else params.get("password", ""),
            "charset": "utf8mb4",
            "autocommit": autocommit,
            # db.timezone=UTC: TIMESTAMP columns are read, written and compared as UTC.
            "init_command": "SET time_zone = '+00:00'",
        }
        if "database" in params:
            kwargs["database"] = params["database"]
        if "connect_timeout" in params:
            kwargs["connect_timeout"] = int(params["connect_timeout"])
        if "ssl" in params:  # encrypted; the certificate is verified only when the server's CA is configured
            kwargs["ssl"] = {"check_hostname": False}
        return MySqlConnection(**kwargs)

    def quote(self, identifier: str) -> str:
        if self.quote_identifiers == QUOTE_NEVER:
            return identifier
        return "`" + identifier.replace("`", "``") + "`"

    def list_tables(self, conn: DbConnection, table_types: Sequence[str]) -> list[TableId]:
        """The connection's database's tables, named as Connector/J names them (catalog = database)."""
        kinds = [{"TABLE": "BASE TABLE", "VIEW": "VIEW"}.get(t.upper(), t.upper()) for t in table_types] or ["BASE TABLE"]
        marks = ", ".join(["%s"] * len(kinds))
        rows = conn.execute(
            f"SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
            f"AND table_type IN ({marks}) ORDER BY table_name",
            kinds,
        ).fetchall()
        return [TableId(r[0], None, r[1]) for r in rows]

    def describe_table(self, conn: DbConnection, table_id: TableId) -> TableDefinition | None:
        database = table_id.catalog or table_id.schema
        rows = conn.execute(_DESCRIBE, (database, table_id.table)).fetchall()
        if not rows:
            return None
        columns = {
            name: ColumnDefinition(name, str(ctype).lower(), nullable == "YES", key == "PRI", precision, scale)
            for name, ctype, nullable, precision, scale, key in rows
        }
        return TableDefinition(table_id, columns)

    def current_timestamp(self, conn: DbConnection) -> datetime.datetime:
        (now,) = conn.execute("SELECT UTC_TIMESTAMP(6)").fetchone()
        assert isinstance(now, datetime.datetime)
        return now

    # -- types --------------------------------------------------------------------------------------------------
    debezium_sql_types = _DEBEZIUM_SQL_TYPES
    logical_sql_types = _LOGICAL_SQL_TYPES
    plain_sql_types = _SQL_TYPES

    def special_sql_type(self, schema: Schema) -> str | None:
        if schema.name == Decimal.LOGICAL_NAME:  # 65: MySQL's largest precision
            return f"DECIMAL(65,{int((schema.parameters or {}).get(Decimal.SCALE_FIELD, '0'))})"
        return None

    def _column_spec(self, field: SinkRecordField) -> str:
        if field.is_primary_key and field.schema.type == Type.STRING and field.schema.name is None:
            return f"{self.quote(field.name)} {_KEY_STRING_TYPE} NOT NULL"
        return super()._column_spec(field)

    def column_schema(self, column: ColumnDefinition) -> Schema:
        builder = self._type_schema(column.type_name, column.precision, column.scale)
        if column.nullable:
            builder = builder.optional()
        return builder.build()

    def _type_schema(self, column_type: str, precision: int | None, scale: int | None) -> SchemaBuilder:
        m = _TYPE_RE.match(column_type)
        base, args = (m.group(1), m.group(2) or "") if m else (column_type, "")
        unsigned = "unsigned" in column_type
        if base == "tinyint" and args.strip() == "1" and not unsigned:
            return SchemaBuilder.bool()  # Connector/J's tinyInt1isBit
        if base in _INTEGERS:
            signed_type, unsigned_type = _INTEGERS[base]
            if unsigned and unsigned_type is None:  # bigint unsigned: up to 2^64-1
                return self.numeric_schema(20, 0)
            return SchemaBuilder(unsigned_type if unsigned and unsigned_type else signed_type)
        if base == "bit":
            return SchemaBuilder.bool() if args.strip() in ("", "1") else SchemaBuilder.bytes()
        if base == "float":
            return SchemaBuilder.float32()
        if base in ("double", "real"):
            return SchemaBuilder.float64()
        if base in ("decimal", "numeric", "dec", "fixed"):
            return self.numeric_schema(precision, scale)
        if base in ("date", "year"):
            return Date.builder()
        if base == "time":
            return Time.builder()
        if base in ("datetime", "timestamp"):
            return Timestamp.builder()
        if base in _BINARY:
            return SchemaBuilder.bytes()
        return SchemaBuilder.string()  # char, varchar, *text, enum, set, json, uuid, inet4/6

    # -- values -------------------------------------------------------------------------------------------------
    def bind_value(self, schema: Schema, value: Any) -> Any:
        if value is None:
            return None
        if schema.type == Type.BOOLEAN:
            return 1 if value else 0
        return super().bind_value(schema, value)

    def bind_debezium(self, kind: str, value: Any) -> Any:
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            return value.astimezone(datetime.UTC).replace(tzinfo=None)
        if isinstance(value, datetime.time) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        return value

    def read_value(self, schema: Schema, value: Any) -> Any:
        if value is None:
            return None
        name = schema.name
        if name == Time.LOGICAL_NAME and isinstance(value, datetime.timedelta):
            # PyMySQL returns TIME as a duration (MySQL's TIME spans -838:59:59..838:59:59): the time of day.
            micros = (value.days * 86_400 + value.seconds) % 86_400 * 1_000_000 + value.microseconds
            return datetime.time(micros // 3_600_000_000, micros // 60_000_000 % 60, micros // 1_000_000 % 60, micros % 1_000_000)
        if name == Date.LOGICAL_NAME and isinstance(value, int):  # YEAR
            return datetime.date(value, 1, 1)
        if name in (Date.LOGICAL_NAME, Timestamp.LOGICAL_NAME) and isinstance(value, str):
            return None  # a zero date ('0000-00-00'): Connector/J's zeroDateTimeBehavior=convertToNull
        if schema.type == Type.BOOLEAN:
            if isinstance(value, bytes):  # BIT(1)
                return any(value)
            return bool(value)
        if schema.type == Type.STRING and not isinstance(value, str):
            if isinstance(value, bytes):
                return value.decode()
            if isinstance(value, set):  # SET columns, when the driver parses them
                return ",".join(sorted(value))
            return value.isoformat() if isinstance(value, (datetime.date, datetime.time)) else str(value)
        return super().read_value(schema, value)

    def format_literal(self, schema: Schema, value: Any) -> str:
        if schema.type == Type.BOOLEAN:
            return "1" if value else "0"
        if isinstance(value, str):  # backslashes escape in MySQL's string literals
            return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
        return super().format_literal(schema, value)

    # -- statements ---------------------------------------------------------------------------------------------
    def upsert_statement(self, table: TableId, key_columns: Sequence[str], non_key_columns: Sequence[str]) -> str:
        """INSERT .. ON DUPLICATE KEY UPDATE c=VALUES(c): Confluent's MySQL upsert (the key columns when there is
        nothing else to update)."""
        insert = self.insert_statement(table, key_columns, non_key_columns)
        updates = ", ".join(f"{self.quote(n)}=VALUES({self.quote(n)})" for n in (non_key_columns or key_columns))
        return f"{insert} ON DUPLICATE KEY UPDATE {updates}"

    def literal_sql(self, text: str) -> str:
        return text.replace("%", "%%")

    def open_cursor(self, conn: DbConnection, sql: str, params: Sequence[Any], fetch_size: int = 100) -> Any:
        """An unbuffered cursor (PyMySQL's SSCursor): rows stream from the server as fetchmany asks for them, so a
        table of any size is never held in memory (Connector/J's streaming result set, for the same reason). The
        connection runs nothing else until the query's rows are read or the cursor is closed."""
        cur = conn.cursor(pymysql.cursors.SSCursor)
        try:
            cur.execute(sql, tuple(params) if params else None)  # without parameters PyMySQL leaves '%' alone
        except BaseException:
            cur.close()
            raise
        return cur

    def result_schemas(self, cursor: Any, rows: Sequence[Sequence[Any]]) -> dict[str, Schema]:
        """Column types from the result's field types (query mode); every column optional (nullability unknown)."""
        schemas: dict[str, Schema] = {}
        for i, desc in enumerate(cursor.description):
            name, code, _display, _internal, precision, scale = desc[:6]
            builder = self._field_type_schema(code, precision, scale, [r[i] for r in rows])
            schemas[name] = builder.optional().build()
        return schemas

    def _field_type_schema(self, code: int, precision: int | None, scale: int | None, values: list[Any]) -> SchemaBuilder:
        simple = {
            FIELD_TYPE.TINY: Type.INT8,
            FIELD_TYPE.SHORT: Type.INT16,
            FIELD_TYPE.INT24: Type.INT32,
            FIELD_TYPE.LONG: Type.INT32,
            FIELD_TYPE.LONGLONG: Type.INT64,
            FIELD_TYPE.FLOAT: Type.FLOAT32,
            FIELD_TYPE.DOUBLE: Type.FLOAT64,
        }
        if code in simple:
            return SchemaBuilder(simple[code])
        if code in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
            return self.numeric_schema(precision, scale)
        if code in (FIELD_TYPE.DATE, FIELD_TYPE.NEWDATE, FIELD_TYPE.YEAR):
            return Date.builder()
        if code == FIELD_TYPE.TIME:
            return Time.builder()
        if code in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
            return Timestamp.builder()
        sample = next((v for v in values if v is not None), None)
        return SchemaBuilder.bytes() if isinstance(sample, bytes) else SchemaBuilder.string()
