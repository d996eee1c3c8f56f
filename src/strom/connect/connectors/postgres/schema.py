"""Debezium's change event layout for one PostgreSQL table: topic name, key and value schemas, the envelope and
its `source` block (io.debezium.connector.postgresql.Source), and the row -> Struct conversion.

Names follow Debezium 2.x with `topic.prefix`: topic `<prefix>.<schema>.<table>`, schemas
`<prefix>.<schema>.<table>.Key` / `.Value` / `.Envelope`. The key holds the primary key columns; a table without
one has no key (null), as Debezium without message.key.columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from strom.connect.connectors.postgres import values as pgtypes
from strom.connect.connectors.postgres.pgoutput import UNCHANGED_TOAST, ColumnValue
from strom.connect.connectors.postgres.values import (
    DATE_NAMES,
    SNAPSHOT_INFINITE_DAYS,
    UNAVAILABLE_VALUE_PLACEHOLDER,
    VARIABLE_SCALE_DECIMAL,
    ColumnType,
    PgType,
    resolved_type,
)
from strom.connect.data import Schema, SchemaBuilder, Struct, Type
from strom.connect.errors import DataException

CONNECTOR_NAME: Final = "postgresql"
# The Debezium release whose event layout this connector reproduces; it is the `source.version` field.
DEBEZIUM_VERSION: Final = "2.5.4.Final"

SNAPSHOT_ENUM: Final = (
    SchemaBuilder.string()
    .optional()
    .name("io.debezium.data.Enum")
    .version(1)
    .parameter("allowed", "true,last,false,incremental")
    .default_value("false")
    .build()
)

SOURCE_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Source")
    .field("version", Schema.STRING_SCHEMA)
    .field("connector", Schema.STRING_SCHEMA)
    .field("name", Schema.STRING_SCHEMA)
    .field("ts_ms", Schema.INT64_SCHEMA)
    .field("snapshot", SNAPSHOT_ENUM)
    .field("db", Schema.STRING_SCHEMA)
    .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
    .field("schema", Schema.STRING_SCHEMA)
    .field("table", Schema.STRING_SCHEMA)
    .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
    .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
    .field("xmin", Schema.OPTIONAL_INT64_SCHEMA)
    .build()
)

TRANSACTION_BLOCK_SCHEMA: Final = (
    SchemaBuilder.struct()
    .optional()
    .name("event.block")
    .version(1)
    .field("id", Schema.STRING_SCHEMA)
    .field("total_order", Schema.INT64_SCHEMA)
    .field("data_collection_order", Schema.INT64_SCHEMA)
    .build()
)

_VARIABLE_SCALE_DECIMAL_BASE = (
    SchemaBuilder.struct()
    .name(VARIABLE_SCALE_DECIMAL)
    .version(1)
    .doc("Variable scaled decimal")
    .field("scale", Schema.INT32_SCHEMA)
    .field("value", Schema.BYTES_SCHEMA)
)
VARIABLE_SCALE_DECIMAL_SCHEMA: Final = _VARIABLE_SCALE_DECIMAL_BASE.build()
OPTIONAL_VARIABLE_SCALE_DECIMAL_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name(VARIABLE_SCALE_DECIMAL)
    .version(1)
    .doc("Variable scaled decimal")
    .optional()
    .field("scale", Schema.INT32_SCHEMA)
    .field("value", Schema.BYTES_SCHEMA)
    .build()
)

_INVALID_TOPIC_CHARS = re.compile(r"[^a-zA-Z0-9._-]")


_LITERAL = re.compile(r"^'(.*?)'")  # Debezium reads up to the first quote: 'ab''c' gives "ab"
_NUMBER = re.compile(r"^\(?(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\)?(?:::[a-z ]+)?$")
# The value Debezium gives a column whose default is an expression it does not evaluate (now(), nextval(...)).
_EXPRESSION_DEFAULTS: dict[int, str] = {
    pgtypes.INT2: "0",
    pgtypes.INT4: "0",
    pgtypes.INT8: "0",
    pgtypes.FLOAT4: "0",
    pgtypes.FLOAT8: "0",
    pgtypes.TEXT: "",
    pgtypes.VARCHAR: "",
    pgtypes.BPCHAR: "",
    pgtypes.TIMESTAMPTZ: "1970-01-01 00:00:00+00",
    pgtypes.TIMESTAMP: "1970-01-01 00:00:00",
    pgtypes.DATE: "1970-01-01",
    pgtypes.UUID: "00000000-0000-0000-0000-000000000000",
}


def _point_schema(optional: bool) -> Schema:
    b = SchemaBuilder.struct().name(pgtypes.POINT_NAME).version(1).doc("Geometry (POINT)")
    if optional:
        b.optional()
    b.field("x", Schema.FLOAT64_SCHEMA).field("y", Schema.FLOAT64_SCHEMA)
    return b.field("wkb", Schema.OPTIONAL_BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).build()


POINT_SCHEMA: Final = _point_schema(False)
OPTIONAL_POINT_SCHEMA: Final = _point_schema(True)


def column_default(expression: str | None, ctype: ColumnType, type_oid: int) -> Any:
    """The schema default Debezium 2.5 derives from a column's DEFAULT: a literal converted like a value (`'x'::text`,
    `5`, `true`), an expression (a function call) as the type's zero value, none for NULL, for types it leaves
    without (bytea, unconstrained numeric) and for what does not convert."""
    if (
        expression is None
        or expression.upper().startswith("NULL")
        or ctype.connect_type in ("STRUCT", "ARRAY", "MAP")
        or type_oid == pgtypes.BYTEA
    ):
        return None
    text: str | None
    if (m := _LITERAL.match(expression)) is not None:
        text = m.group(1)
    elif (m := _NUMBER.match(expression)) is not None:
        text = m.group(1)
    elif expression in ("true", "false"):
        text = expression
    else:
        text = _EXPRESSION_DEFAULTS.get(type_oid)
    if text is None:
        return None
    try:
        return ctype.convert(text)
    except (ValueError, ArithmeticError):
        return None


def topic_name(prefix: str, schema: str, table: str) -> str:
    """Debezium's default topic naming: `<prefix>.<schema>.<table>`, characters Kafka refuses replaced by `_`."""
    return _INVALID_TOPIC_CHARS.sub("_", f"{prefix}.{schema}.{table}")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type_oid: int
    type_modifier: int
    optional: bool
    default_expression: str | None = None  # pg_get_expr(adbin): `'x'::text`, `5`, `now()` ...
    pg_type: PgType | None = None  # the catalog's view of type_oid (domain, enum, array); None: a base type


def _field_schema(ctype: ColumnType, optional: bool, default: Any = None) -> Schema:
    if ctype.connect_type == "ARRAY":
        assert ctype.element is not None
        # elements are optional, but an enum array's (as Debezium 2.5 builds them)
        array = SchemaBuilder.array(_field_schema(ctype.element, ctype.element.name != "io.debezium.data.Enum"))
        return (array.optional() if optional else array).build()
    if ctype.connect_type == "STRUCT" and ctype.name == pgtypes.POINT_NAME:
        return OPTIONAL_POINT_SCHEMA if optional else POINT_SCHEMA
    if ctype.connect_type == "STRUCT":
        return OPTIONAL_VARIABLE_SCALE_DECIMAL_SCHEMA if optional else VARIABLE_SCALE_DECIMAL_SCHEMA
    if ctype.connect_type == "MAP":  # hstore.handling.mode=map
        hstore = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA)
        return (hstore.optional() if optional else hstore).build()
    b = SchemaBuilder.type_of(Type[ctype.connect_type])
    if ctype.name:
        b.name(ctype.name)
    if ctype.version is not None:
        b.version(ctype.version)
    if ctype.parameters:
        b.parameters(ctype.parameters)
    if optional:
        b.optional()
    if default is not None:
        b.default_value(default)
    return b.build()


class TableSchema:
    """One table's Debezium schemas and converters, built from its columns (pgoutput's Relation plus the catalog's
    nullability) and its primary key."""

    def __init__(
        self,
        prefix: str,
        schema_name: str,
        table: str,
        columns: Sequence[ColumnInfo],
        key_columns: Sequence[str],
        decimal_handling_mode: str = "precise",
        time_precision_mode: str = "adaptive",
        value_column: Callable[[str], bool] | None = None,
        hstore_handling_mode: str = "json",
    ) -> None:
        """`value_column(name)` says whether a column is in before/after (column.include.list / exclude.list);
        key columns are in the key either way."""
        self.schema_name = schema_name
        self.table = table
        self.topic = topic_name(prefix, schema_name, table)
        self.columns = list(columns)
        names = {c.name for c in columns}
        self.key_columns = [c for c in key_columns if c in names]  # message.key.columns may name absent ones
        base = f"{prefix}.{schema_name}.{table}"
        self._types = [
            resolved_type(
                c.pg_type or PgType(c.type_oid), c.type_modifier, decimal_handling_mode, time_precision_mode, hstore_handling_mode
            )
            for c in self.columns
        ]
        self._defaults = [column_default(c.default_expression, t, c.type_oid) for c, t in zip(self.columns, self._types, strict=True)]
        # columns of types Debezium 2.5 does not know are left out, as its include.unknown.datatypes=false does
        self._value_index = [
            i
            for i, c in enumerate(self.columns)
            if (value_column is None or value_column(c.name)) and c.type_oid not in pgtypes.UNSUPPORTED_TYPES
        ]
        vb = SchemaBuilder.struct().name(f"{base}.Value").optional()
        for i in self._value_index:
            vb.field(self.columns[i].name, _field_schema(self._types[i], self.columns[i].optional, self._defaults[i]))
        self.value_schema = vb.build()
        if self.key_columns:
            kb = SchemaBuilder.struct().name(f"{base}.Key")
            index = {c.name: i for i, c in enumerate(self.columns)}
            self._key_index = [index[k] for k in self.key_columns]
            for i in self._key_index:
                # a primary key column is NOT NULL; a message.key.columns one keeps its nullability, as in Debezium
                kb.field(self.columns[i].name, _field_schema(self._types[i], self.columns[i].optional, self._defaults[i]))
            self.key_schema: Schema | None = kb.build()
        else:
            self._key_index = []
            self.key_schema = None
        self.envelope_schema = (
            SchemaBuilder.struct()
            .name(f"{base}.Envelope")
            .version(1)
            .field("before", self.value_schema)
            .field("after", self.value_schema)
            .field("source", SOURCE_SCHEMA)
            .field("op", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .field("transaction", TRANSACTION_BLOCK_SCHEMA)
            .build()
        )

    def _convert(self, i: int, raw: ColumnValue, snapshot: bool = False) -> Any:
        ctype = self._types[i]
        if raw is UNCHANGED_TOAST:
            # Debezium's unavailable.value.placeholder for a TOASTed value the change did not carry
            if ctype.connect_type == "STRING":
                return UNAVAILABLE_VALUE_PLACEHOLDER
            if ctype.connect_type == "BYTES" and ctype.name is None:
                return UNAVAILABLE_VALUE_PLACEHOLDER.encode()
            raw = None
        if raw is None:
            if self.columns[i].optional:
                return None
            value = self._defaults[i] if self._defaults[i] is not None else ctype.fallback
        else:
            assert isinstance(raw, bytes)
            text = raw.decode("utf-8")
            if snapshot and ctype.name in DATE_NAMES and text in SNAPSHOT_INFINITE_DAYS:
                return SNAPSHOT_INFINITE_DAYS[text]
            value = ctype.convert(text)
            if value is None:  # NaN in a numeric: no Connect value
                return None if self.columns[i].optional else ctype.fallback
        if ctype.connect_type == "STRUCT" and ctype.name == pgtypes.POINT_NAME:
            point = OPTIONAL_POINT_SCHEMA if self.columns[i].optional else POINT_SCHEMA
            return Struct(point).put("x", value["x"]).put("y", value["y"]).put("wkb", value["wkb"]).put("srid", value["srid"])
        if ctype.connect_type == "STRUCT":
            schema = OPTIONAL_VARIABLE_SCALE_DECIMAL_SCHEMA if self.columns[i].optional else VARIABLE_SCALE_DECIMAL_SCHEMA
            return Struct(schema).put("scale", value["scale"]).put("value", value["value"])
        return value

    def row(self, values: Sequence[ColumnValue], snapshot: bool = False) -> Struct:
        """The `before`/`after` Struct of a tuple (values in column order). The converters type each value for its
        field by construction, so the Struct is built without Struct.put's per-field validation (the hot path)."""
        if len(values) != len(self.columns):
            raise DataException(f"{self.schema_name}.{self.table}: {len(values)} values for {len(self.columns)} columns")
        return Struct._of(self.value_schema, [self._convert(i, values[i], snapshot) for i in self._value_index])

    def key(self, values: Sequence[ColumnValue], snapshot: bool = False) -> Struct | None:
        if self.key_schema is None:
            return None
        return Struct._of(self.key_schema, [self._convert(i, values[i], snapshot) for i in self._key_index])

    def key_changed(self, old: Sequence[ColumnValue], new: Sequence[ColumnValue]) -> bool:
        return any(old[i] != new[i] for i in self._key_index)


def source_struct(
    server_name: str,
    db: str,
    schema_name: str,
    table: str,
    ts_ms: int,
    snapshot: str,
    tx_id: int | None,
    lsn: int | None,
    sequence: str | None,
) -> Struct:
    return Struct._of(
        SOURCE_SCHEMA, [DEBEZIUM_VERSION, CONNECTOR_NAME, server_name, ts_ms, snapshot, db, sequence, schema_name, table, tx_id, lsn, None]
    )


def envelope(table: TableSchema, op: str, before: Struct | None, after: Struct | None, source: Struct, ts_ms: int) -> Struct:
    return Struct._of(table.envelope_schema, [before, after, source, op, ts_ms, None])
