"""Debezium's change event layout for one PostgreSQL table: topic name, key and value schemas, the envelope and
its `source` block (io.debezium.connector.postgresql.Source), and the row -> Struct conversion.

Names follow Debezium 2.x with `topic.prefix`: topic `<prefix>.<schema>.<table>`, schemas
`<prefix>.<schema>.<table>.Key` / `.Value` / `.Envelope`. The key holds the primary key columns; a table without
one has no key (null), as Debezium without message.key.columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from strom.connect.connectors.postgres.pgoutput import UNCHANGED_TOAST, ColumnValue
from strom.connect.connectors.postgres.values import UNAVAILABLE_VALUE_PLACEHOLDER, VARIABLE_SCALE_DECIMAL, ColumnType, column_type
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


def topic_name(prefix: str, schema: str, table: str) -> str:
    """Debezium's default topic naming: `<prefix>.<schema>.<table>`, characters Kafka refuses replaced by `_`."""
    return _INVALID_TOPIC_CHARS.sub("_", f"{prefix}.{schema}.{table}")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type_oid: int
    type_modifier: int
    optional: bool


def _field_schema(ctype: ColumnType, optional: bool) -> Schema:
    if ctype.connect_type == "STRUCT":
        return OPTIONAL_VARIABLE_SCALE_DECIMAL_SCHEMA if optional else VARIABLE_SCALE_DECIMAL_SCHEMA
    b = SchemaBuilder.type_of(Type[ctype.connect_type])
    if ctype.name:
        b.name(ctype.name)
    if ctype.version is not None:
        b.version(ctype.version)
    if ctype.parameters:
        b.parameters(ctype.parameters)
    if optional:
        b.optional()
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
    ) -> None:
        self.schema_name = schema_name
        self.table = table
        self.topic = topic_name(prefix, schema_name, table)
        self.columns = list(columns)
        self.key_columns = [c for c in key_columns]
        base = f"{prefix}.{schema_name}.{table}"
        self._types = [column_type(c.type_oid, c.type_modifier, decimal_handling_mode, time_precision_mode) for c in self.columns]
        vb = SchemaBuilder.struct().name(f"{base}.Value").optional()
        for c, t in zip(self.columns, self._types, strict=True):
            vb.field(c.name, _field_schema(t, c.optional))
        self.value_schema = vb.build()
        if self.key_columns:
            kb = SchemaBuilder.struct().name(f"{base}.Key")
            index = {c.name: i for i, c in enumerate(self.columns)}
            self._key_index = [index[k] for k in self.key_columns]
            for i in self._key_index:
                kb.field(self.columns[i].name, _field_schema(self._types[i], False))
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

    def _convert(self, i: int, raw: ColumnValue) -> Any:
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
            value = ctype.fallback
        else:
            assert isinstance(raw, bytes)
            value = ctype.convert(raw.decode("utf-8"))
        if ctype.connect_type == "STRUCT":
            schema = OPTIONAL_VARIABLE_SCALE_DECIMAL_SCHEMA if self.columns[i].optional else VARIABLE_SCALE_DECIMAL_SCHEMA
            return Struct(schema).put("scale", value["scale"]).put("value", value["value"])
        return value

    def row(self, values: Sequence[ColumnValue]) -> Struct:
        """The `before`/`after` Struct of a tuple (values in column order). The converters type each value for its
        field by construction, so the Struct is built without Struct.put's per-field validation (the hot path)."""
        if len(values) != len(self.columns):
            raise DataException(f"{self.schema_name}.{self.table}: {len(values)} values for {len(self.columns)} columns")
        return Struct._of(self.value_schema, [self._convert(i, raw) for i, raw in enumerate(values)])

    def key(self, values: Sequence[ColumnValue]) -> Struct | None:
        if self.key_schema is None:
            return None
        return Struct._of(self.key_schema, [self._convert(i, values[i]) for i in self._key_index])

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
