"""What differs between databases, behind one interface: Confluent's DatabaseDialect in Python.

A dialect connects (a DB-API connection), quotes identifiers, reads table metadata, maps Connect schemas to
column types (sink) and column types to Connect schemas (source), converts values both ways, and writes the
statements the JDBC connectors run: insert, upsert, update, delete, create table, alter table, and the
incrementing / timestamp queries of the source."""

from __future__ import annotations

import datetime
import decimal
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strom.connect.data import Decimal, Schema, SchemaBuilder, Timestamp, Type
from strom.connect.errors import ConnectException

from . import debezium_types
from .url import JdbcUrl, parse_jdbc_url

# A DB-API 2.0 connection (sqlite3, psycopg or PyMySQL): typed loosely, they share no base class.
DbConnection = Any

_INTEGERS = frozenset({Type.INT8, Type.INT16, Type.INT32, Type.INT64})
# Connect types whose Python values every driver binds unchanged.
_AS_IS = frozenset({Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.STRING})

# numeric.mapping: how the source maps NUMERIC/DECIMAL columns (Confluent's NumericMapping).
NUMERIC_NONE = "none"
NUMERIC_PRECISION_ONLY = "precision_only"
NUMERIC_BEST_FIT = "best_fit"
NUMERIC_BEST_FIT_EAGER_DOUBLE = "best_fit_eager_double"
NUMERIC_MAPPINGS = (NUMERIC_NONE, NUMERIC_PRECISION_ONLY, NUMERIC_BEST_FIT, NUMERIC_BEST_FIT_EAGER_DOUBLE)

QUOTE_ALWAYS = "always"
QUOTE_NEVER = "never"


@dataclass(frozen=True)
class TableId:
    """A table's (catalog, schema, name): the name alone is what topics are named after."""

    catalog: str | None
    schema: str | None
    table: str

    def fqn(self) -> str:
        """The unquoted qualified name, as Confluent writes it in the source partition ("schema.table")."""
        return ".".join(p for p in (self.catalog, self.schema, self.table) if p)


@dataclass(frozen=True)
class ColumnDefinition:
    """One column as the database describes it."""

    name: str
    type_name: str  # lower-case: SQLite's declared type, PostgreSQL's udt_name
    nullable: bool
    primary_key: bool = False
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True)
class TableDefinition:
    table_id: TableId
    columns: dict[str, ColumnDefinition]  # by name, in table order

    def primary_key_columns(self) -> list[str]:
        return [c.name for c in self.columns.values() if c.primary_key]


@dataclass(frozen=True)
class SinkRecordField:
    """A column the sink writes: its name, the Connect schema of its values, whether it is in the primary key."""

    name: str
    schema: Schema
    is_primary_key: bool


class DatabaseDialect(ABC):
    """The base dialect: ANSI SQL where the databases agree, abstract where they do not."""

    name: str = ""
    placeholder: str = "?"
    # Whether the sink writes a batch as multi-row INSERT statements of at most max_parameters parameters.
    multi_row_writes: bool = False
    # Whether tables live in schemas that schema.pattern selects (MySQL has none: Connector/J ignores the pattern).
    has_schemas: bool = True
    max_parameters: int = 32_000

    def __init__(self, url: JdbcUrl, quote_identifiers: str = QUOTE_ALWAYS, numeric_mapping: str = NUMERIC_NONE) -> None:
        self.url = url
        self.quote_identifiers = quote_identifiers
        self.numeric_mapping = numeric_mapping

    def numeric_schema(self, precision: int | None, scale: int | None) -> SchemaBuilder:
        """A NUMERIC(precision, scale) column's schema under numeric.mapping: Decimal (none), an integer type for
        scale 0 and precision up to 18 (precision_only, best_fit), FLOAT64 for a fraction of precision up to 18
        (best_fit) or any (best_fit_eager_double). Without a declared scale: FLOAT64."""
        if scale is None:
            return SchemaBuilder.float64()
        mapping = self.numeric_mapping
        small = precision is not None and 0 < precision < 19
        if mapping != NUMERIC_NONE and scale <= 0 and small:
            assert precision is not None
            if precision > 9:
                return SchemaBuilder.int64()
            if precision > 4:
                return SchemaBuilder.int32()
            return SchemaBuilder.int16() if precision > 2 else SchemaBuilder.int8()
        if scale > 0 and ((mapping == NUMERIC_BEST_FIT and small) or mapping == NUMERIC_BEST_FIT_EAGER_DOUBLE):
            return SchemaBuilder.float64()
        return Decimal.builder(scale)

    # -- connections and metadata ---------------------------------------------------------------------------
    @abstractmethod
    def connect(self, user: str | None, password: str | None, *, autocommit: bool) -> DbConnection:
        """A new connection; autocommit for the source (each query sees the latest rows), not for the sink."""

    @abstractmethod
    def list_tables(self, conn: DbConnection, table_types: Sequence[str]) -> list[TableId]:
        """The tables (and views, when table.types asks) a source may copy, in name order."""

    @abstractmethod
    def describe_table(self, conn: DbConnection, table_id: TableId) -> TableDefinition | None:
        """The table's columns, or None when it does not exist."""

    @abstractmethod
    def current_timestamp(self, conn: DbConnection) -> datetime.datetime:
        """The database's clock (UTC, naive): the end of a timestamp query's window, as Confluent asks the database."""

    def parse_table_id(self, name: str) -> TableId:
        """`table`, `schema.table` or `catalog.schema.table`, unquoted."""
        parts = name.split(".")
        if len(parts) == 1:
            return TableId(None, None, parts[0])
        if len(parts) == 2:
            return TableId(None, parts[0], parts[1])
        return TableId(parts[0], parts[1], ".".join(parts[2:]))

    # -- identifiers ------------------------------------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        if self.quote_identifiers == QUOTE_NEVER:
            return identifier
        return '"' + identifier.replace('"', '""') + '"'

    def table_sql(self, table_id: TableId) -> str:
        return ".".join(self.quote(p) for p in (table_id.catalog, table_id.schema, table_id.table) if p)

    # -- type mapping ------------------------------------------------------------------------------------------
    # Each dialect's column types for auto.create / auto.evolve: Debezium's semantic types, Connect's logical
    # types (by schema name) and the plain schema types, looked up in that order.
    debezium_sql_types: Mapping[str, str] = {}
    logical_sql_types: Mapping[str, str] = {}
    plain_sql_types: Mapping[Type, str] = {}

    def sql_type(self, schema: Schema) -> str:
        """The column type auto.create / auto.evolve declares for a Connect schema."""
        kind = debezium_types.kind(schema)
        if kind is not None:
            return self.debezium_sql_types[kind]
        special = self.special_sql_type(schema)
        if special is not None:
            return special
        if schema.name is not None and schema.name in self.logical_sql_types:
            return self.logical_sql_types[schema.name]
        try:
            return self.plain_sql_types[schema.type]
        except KeyError:
            raise ConnectException(f"{self.name} has no column type for Connect schema type {schema.type.name}") from None

    def special_sql_type(self, schema: Schema) -> str | None:
        """A dialect's own column type for a schema its tables cannot express (a parameterized type), else None."""
        return None

    @abstractmethod
    def column_schema(self, column: ColumnDefinition) -> Schema:
        """The Connect schema the source gives a column (optional when the column is nullable)."""

    def binder(self, schema: Schema) -> Callable[[Any], Any] | None:
        """bind_value for one column, or None when the driver takes the Connect value as it is (the fast path of
        the sink's batches)."""
        if schema.name is None and schema.type in _AS_IS:
            return None
        return lambda value: self.bind_value(schema, value)

    def bind_value(self, schema: Schema, value: Any) -> Any:
        """A Connect value as the driver binds it into a statement."""
        if value is None:
            return None
        kind = debezium_types.kind(schema)
        if kind is not None:
            return self.bind_debezium(kind, debezium_types.to_python(schema, value))
        if schema.name == Timestamp.LOGICAL_NAME and isinstance(value, datetime.datetime):
            return _naive_utc(value)
        if schema.type == Type.BYTES and isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        return value

    def bind_debezium(self, kind: str, value: Any) -> Any:
        """A Debezium semantic value (as debezium_types.to_python gives it) as the driver binds it."""
        return value

    def read_value(self, schema: Schema, value: Any) -> Any:
        """A value the driver returned, as the Connect value of the column's schema."""
        if value is None:
            return None
        name = schema.name
        if name == Timestamp.LOGICAL_NAME:
            if isinstance(value, datetime.datetime):
                return _aware_utc(value)
        elif name == Decimal.LOGICAL_NAME:
            scale = int((schema.parameters or {}).get(Decimal.SCALE_FIELD, "0"))
            return decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-scale))
        elif schema.type == Type.BYTES and isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        elif isinstance(value, decimal.Decimal) and schema.type in _INTEGERS:
            return int(value)
        elif isinstance(value, (decimal.Decimal, int)) and schema.type in (Type.FLOAT32, Type.FLOAT64):
            return float(value)
        return value

    # -- sink statements --------------------------------------------------------------------------------------
    def _columns(self, names: Sequence[str]) -> str:
        return ", ".join(self.quote(n) for n in names)

    def _params(self, count: int) -> str:
        return ", ".join([self.placeholder] * count)

    def _assignments(self, names: Sequence[str]) -> str:
        return ", ".join(f"{self.quote(n)} = {self.placeholder}" for n in names)

    def _where(self, key_columns: Sequence[str]) -> str:
        return " AND ".join(f"{self.quote(n)} = {self.placeholder}" for n in key_columns)

    def insert_statement(self, table: TableId, key_columns: Sequence[str], non_key_columns: Sequence[str]) -> str:
        """Binds key columns, then non-key columns (Confluent's order)."""
        columns = [*key_columns, *non_key_columns]
        return f"INSERT INTO {self.table_sql(table)} ({self._columns(columns)}) VALUES ({self._params(len(columns))})"

    def upsert_statement(self, table: TableId, key_columns: Sequence[str], non_key_columns: Sequence[str]) -> str:
        """INSERT .. ON CONFLICT (key) DO UPDATE SET ..: PostgreSQL's form, which SQLite (3.24+) shares."""
        insert = self.insert_statement(table, key_columns, non_key_columns)
        if not non_key_columns:
            return f"{insert} ON CONFLICT ({self._columns(key_columns)}) DO NOTHING"
        updates = ", ".join(f"{self.quote(n)} = EXCLUDED.{self.quote(n)}" for n in non_key_columns)
        return f"{insert} ON CONFLICT ({self._columns(key_columns)}) DO UPDATE SET {updates}"

    def multi_row_statement(
        self, upsert: bool, table: TableId, key_columns: Sequence[str], non_key_columns: Sequence[str], rows: int
    ) -> str:
        """INSERT (or upsert) of `rows` rows in one statement, bound row after row."""
        columns = [*key_columns, *non_key_columns]
        row = f"({self._params(len(columns))})"
        sql = f"INSERT INTO {self.table_sql(table)} ({self._columns(columns)}) VALUES " + ", ".join([row] * rows)
        if not upsert:
            return sql
        if not non_key_columns:
            return f"{sql} ON CONFLICT ({self._columns(key_columns)}) DO NOTHING"
        updates = ", ".join(f"{self.quote(n)} = EXCLUDED.{self.quote(n)}" for n in non_key_columns)
        return f"{sql} ON CONFLICT ({self._columns(key_columns)}) DO UPDATE SET {updates}"

    def update_statement(self, table: TableId, key_columns: Sequence[str], non_key_columns: Sequence[str]) -> str:
        """Binds non-key columns (SET), then key columns (WHERE)."""
        return f"UPDATE {self.table_sql(table)} SET {self._assignments(non_key_columns)} WHERE {self._where(key_columns)}"

    def delete_statement(self, table: TableId, key_columns: Sequence[str]) -> str:
        return f"DELETE FROM {self.table_sql(table)} WHERE {self._where(key_columns)}"

    def _column_spec(self, field: SinkRecordField) -> str:
        spec = f"{self.quote(field.name)} {self.sql_type(field.schema)}"
        if field.schema.default is not None:
            spec += f" DEFAULT {self.format_literal(field.schema, field.schema.default)}"
        return spec + (" NULL" if field.schema.optional and not field.is_primary_key else " NOT NULL")

    def create_table_statement(self, table: TableId, fields: Sequence[SinkRecordField]) -> str:
        specs = [self._column_spec(f) for f in fields]
        pk = [f.name for f in fields if f.is_primary_key]
        if pk:
            specs.append(f"PRIMARY KEY({self._columns(pk)})")
        return f"CREATE TABLE {self.table_sql(table)} (\n" + ",\n".join(specs) + ")"

    def alter_table_statements(self, table: TableId, fields: Sequence[SinkRecordField]) -> list[str]:
        """ADD the missing columns; one statement (PostgreSQL) or one per column (SQLite)."""
        adds = ", ".join(f"ADD {self._column_spec(f)}" for f in fields)
        return [f"ALTER TABLE {self.table_sql(table)} {adds}"]

    def format_literal(self, schema: Schema, value: Any) -> str:
        """A column DEFAULT in SQL."""
        if schema.type == Type.BOOLEAN:
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, (bytes, bytearray)):
            return "X'" + bytes(value).hex() + "'"
        if isinstance(value, datetime.datetime):
            value = _naive_utc(value).isoformat(sep=" ")
        elif isinstance(value, (datetime.date, datetime.time)):
            value = value.isoformat()
        return "'" + str(value).replace("'", "''") + "'"

    # -- source queries ---------------------------------------------------------------------------------------
    def timestamp_expression(self, quoted_column: str) -> str:
        """A timestamp column as the incremental query compares it."""
        return quoted_column

    def bind_timestamp(self, value: datetime.datetime) -> Any:
        """A timestamp offset as the incremental query binds it (UTC)."""
        return _naive_utc(value)

    def literal_sql(self, text: str) -> str:
        """SQL text (a user's query) made safe to send with parameters: drivers with `%s` placeholders need `%%`."""
        return text

    def build_select(self, table: TableId) -> str:
        return f"SELECT * FROM {self.table_sql(table)}"

    def open_cursor(self, conn: DbConnection, sql: str, params: Sequence[Any], fetch_size: int = 100) -> Any:
        """A cursor over the query's rows, read a batch at a time with fetchmany (fetch_size: batch.max.rows)."""
        cur = conn.cursor()
        cur.execute(sql, tuple(params))
        return cur

    def result_schemas(self, cursor: Any, rows: Sequence[Sequence[Any]]) -> dict[str, Schema]:
        """Column schemas of a query's result (query mode), when no table describes them."""
        raise NotImplementedError


def _naive_utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _aware_utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def dialect_for(url: str, quote_identifiers: str = QUOTE_ALWAYS, numeric_mapping: str = NUMERIC_NONE) -> DatabaseDialect:
    """The dialect of a connection.url (Confluent picks it by the JDBC subprotocol too)."""
    parsed = parse_jdbc_url(url)
    if parsed.subprotocol == "sqlite":
        from .dialect_sqlite import SqliteDatabaseDialect

        return SqliteDatabaseDialect(parsed, quote_identifiers, numeric_mapping)
    if parsed.subprotocol in ("mysql", "mariadb"):
        from .dialect_mysql import MySqlDatabaseDialect

        return MySqlDatabaseDialect(parsed, quote_identifiers, numeric_mapping)
    from .dialect_postgres import PostgreSqlDatabaseDialect

    return PostgreSqlDatabaseDialect(parsed, quote_identifiers, numeric_mapping)
