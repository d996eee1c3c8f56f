"""Flatten$Key / Flatten$Value: nested structs (or maps, without a schema) become top-level fields named
``parent<delimiter>child``. A field under an optional parent becomes optional; a parent's default struct
supplies the defaults of its flattened children. Arrays inside structs are kept as they are; maps inside structs
are refused, as Kafka 3.9 does. Tombstones pass unchanged."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef
from strom.connect.config import Importance, Type
from strom.connect.data import Schema, SchemaBuilder, Struct, copy_schema_basics
from strom.connect.data import Type as SchemaType
from strom.connect.errors import DataException
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    SchemaUpdateCache,
    basics_builder,
    class_name,
    field_values,
    require_map,
    require_map_or_null,
    require_struct_or_null,
    trusted_struct,
    variants,
)

__all__ = ["Flatten"]

PURPOSE = "flattening"

CONFIG_DEF = ConfigDef().define(
    "delimiter",
    Type.STRING,
    ".",
    Importance.MEDIUM,
    "Delimiter to insert between field names from the input record when generating field names for the output record",
)

_KEPT_AS_IS = frozenset(
    {
        SchemaType.INT8,
        SchemaType.INT16,
        SchemaType.INT32,
        SchemaType.INT64,
        SchemaType.FLOAT32,
        SchemaType.FLOAT64,
        SchemaType.BOOLEAN,
        SchemaType.STRING,
        SchemaType.BYTES,
        SchemaType.ARRAY,
    }
)


def _schemaless_type(value: Any) -> str | None:
    """The Connect type Java would infer for a schemaless value (ConnectSchema.schemaType), None if it has none."""
    if isinstance(value, (bool, int, float, str, bytes, bytearray, list, tuple)):
        return "primitive"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (Struct, decimal.Decimal, dt.date, dt.time)):
        return "unsupported"
    return None


class Flatten(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.Flatten (abstract: ``Flatten.Key`` / ``.Value``)."""

    Key: ClassVar[type[Flatten]]
    Value: ClassVar[type[Flatten]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.delimiter: str = CONFIG_DEF.parse(configs)["delimiter"]
        self._schema_cache = SchemaUpdateCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def _name(self, prefix: str, name: str) -> str:
        return name if not prefix else prefix + self.delimiter + name

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        if schema is None:
            value = require_map_or_null(self.operating_value(record), PURPOSE)
            if value is None:
                return self.new_record(record, None, None)
            flat: dict[str, Any] = {}
            self._flatten_map(value, "", flat)
            return self.new_record(record, None, flat)
        struct = require_struct_or_null(self.operating_value(record), PURPOSE)
        if struct is None:
            return record
        updated_schema = self._schema_cache.get_or_build(schema, self._make_schema)
        # the leaves keep their types (optionality and defaults only widen): copied without validating again
        values: list[Any] = []
        _flat_values(struct, schema, values)
        return self.new_record(record, updated_schema, trusted_struct(updated_schema, values))

    def _flatten_map(self, original: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
        for key, value in original.items():
            name = self._name(prefix, key)
            if value is None:
                out[name] = None
                continue
            kind = _schemaless_type(value)
            if kind is None:
                raise DataException(
                    f"Flatten transformation was passed a value of type {class_name(value)} which is not supported by Connect's data API"
                )
            if kind == "primitive":
                out[name] = value
            elif kind == "map":
                self._flatten_map(require_map(value, PURPOSE), name, out)
            else:
                raise DataException(
                    f"Flatten transformation does not support {class_name(value)} for record without schemas (for field {name})."
                )

    def _make_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        self._build_schema(schema, "", builder, schema.optional, schema.default)
        return builder.build()

    def _build_schema(
        self, schema: Schema, prefix: str, builder: SchemaBuilder, optional: bool, default_from_parent: Struct | None
    ) -> None:
        for field in schema.fields():
            name = self._name(prefix, field.name)
            field_optional = optional or field.schema.optional
            field_default: Any = None
            if field.schema.default is not None:
                field_default = field.schema.default
            elif default_from_parent is not None:
                field_default = default_from_parent.get(field)
            if field.schema.type in _KEPT_AS_IS:
                flat = basics_builder(field.schema)
                if field_optional:
                    flat.optional()
                if field_default is not None:
                    flat.default_value(field_default)
                builder.field(name, flat.build())
            elif field.schema.type is SchemaType.STRUCT:
                self._build_schema(field.schema, name, builder, field_optional, field_default)
            else:
                raise DataException(
                    f"Flatten transformation does not support {field.schema.type} for record with schemas (for field {name})."
                )


def _flat_values(struct: Struct | None, schema: Schema, out: list[Any]) -> None:
    """The leaf values of a struct in the flattened schema's field order (None for those under a null struct)."""
    if struct is None:
        out.extend([None] * _leaf_count(schema))
        return
    values = field_values(struct)
    for field in schema.fields():
        if field.schema.type is SchemaType.STRUCT:
            _flat_values(values[field.index], field.schema, out)
        else:
            out.append(values[field.index])


def _leaf_count(schema: Schema) -> int:
    return sum(_leaf_count(f.schema) if f.schema.type is SchemaType.STRUCT else 1 for f in schema.fields())


variants(Flatten, "org.apache.kafka.connect.transforms.Flatten")
