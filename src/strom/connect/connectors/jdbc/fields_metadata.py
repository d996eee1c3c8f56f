"""Which columns a sink record fills and which of them form the primary key (Confluent's FieldsMetadata).

pk.mode none: no key, every value field a column; kafka: the record's coordinates (__connect_topic,
__connect_partition, __connect_offset) are the key; record_key: the record key (a primitive named by the one
pk.fields entry, or the fields of a key Struct); record_value: fields of the value Struct (pk.fields, or all)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strom.connect.data import Schema, SchemaBuilder, Type
from strom.connect.errors import ConnectException

from . import debezium_types
from .dialect import SinkRecordField

PK_NONE = "none"
PK_KAFKA = "kafka"
PK_RECORD_KEY = "record_key"
PK_RECORD_VALUE = "record_value"
PK_MODES = (PK_NONE, PK_KAFKA, PK_RECORD_KEY, PK_RECORD_VALUE)

DEFAULT_KAFKA_PK_NAMES = ("__connect_topic", "__connect_partition", "__connect_offset")
_KAFKA_PK_SCHEMAS = (SchemaBuilder.string().build(), SchemaBuilder.int32().build(), SchemaBuilder.int64().build())


@dataclass(frozen=True)
class FieldsMetadata:
    key_field_names: list[str]
    non_key_field_names: list[str]
    all_fields: dict[str, SinkRecordField]  # key fields first, then non-key fields


def extract(
    table_name: str,
    pk_mode: str,
    pk_fields: Sequence[str],
    fields_whitelist: Sequence[str],
    key_schema: Schema | None,
    value_schema: Schema | None,
) -> FieldsMetadata:
    if value_schema is not None and value_schema.type != Type.STRUCT:
        raise ConnectException(f"Value schema must be of type Struct, was {value_schema.type.name}")
    keys: dict[str, SinkRecordField] = {}
    if pk_mode == PK_KAFKA:
        names = list(pk_fields) or list(DEFAULT_KAFKA_PK_NAMES)
        if len(names) != 3:
            raise ConnectException(
                f"PK mode for table '{table_name}' is {pk_mode.upper()} so there should either be no field names "
                f"defined for defaults {list(DEFAULT_KAFKA_PK_NAMES)} to be applicable, or exactly 3, defined fields "
                f"are: {names}"
            )
        keys = {n: SinkRecordField(n, s, True) for n, s in zip(names, _KAFKA_PK_SCHEMAS, strict=True)}
    elif pk_mode == PK_RECORD_KEY:
        if key_schema is None:
            raise ConnectException(f"PK mode for table '{table_name}' is RECORD_KEY, but record key schema is missing")
        if key_schema.type == Type.STRUCT:
            names = list(pk_fields) or [f.name for f in key_schema.fields()]
            for name in names:
                field = key_schema.field(name)
                if field is None:
                    raise ConnectException(
                        f"PK mode for table '{table_name}' is RECORD_KEY with configured PK fields {list(pk_fields)}, "
                        f"but record key schema does not contain field: {name}"
                    )
                keys[name] = SinkRecordField(name, field.schema, True)
        elif key_schema.type in (Type.ARRAY, Type.MAP):
            raise ConnectException(f"Key schema must be primitive type or Struct, was {key_schema.type.name}")
        else:
            if len(pk_fields) != 1:
                raise ConnectException(
                    "Need exactly one PK column defined since the key schema for records is a primitive type, "
                    f"defined columns are: {list(pk_fields)}"
                )
            keys[pk_fields[0]] = SinkRecordField(pk_fields[0], key_schema, True)
    elif pk_mode == PK_RECORD_VALUE:
        if value_schema is None:
            raise ConnectException(f"PK mode for table '{table_name}' is RECORD_VALUE, but record value schema is missing")
        names = list(pk_fields) or [f.name for f in value_schema.fields()]
        for name in names:
            field = value_schema.field(name)
            if field is None:
                raise ConnectException(
                    f"PK mode for table '{table_name}' is RECORD_VALUE with configured PK fields {list(pk_fields)}, "
                    f"but record value schema does not contain field: {name}"
                )
            keys[name] = SinkRecordField(name, field.schema, True)
    elif pk_mode != PK_NONE:
        raise ConnectException(f"Unknown pk.mode: {pk_mode}")

    non_keys: dict[str, SinkRecordField] = {}
    if value_schema is not None:
        for field in value_schema.fields():
            if field.name in keys or (fields_whitelist and field.name not in fields_whitelist):
                continue
            if field.schema.type in (Type.STRUCT, Type.MAP) and debezium_types.kind(field.schema) is None:
                raise ConnectException(
                    f"Field '{field.name}' of table '{table_name}' is a {field.schema.type.name}: the JDBC sink "
                    "writes primitive fields only (flatten the value first, e.g. with the Flatten transform)"
                )
            non_keys[field.name] = SinkRecordField(field.name, field.schema, False)
    if not keys and not non_keys:
        raise ConnectException(f"No fields found using key and value schemas for table: {table_name}")
    return FieldsMetadata(list(keys), list(non_keys), {**keys, **non_keys})
