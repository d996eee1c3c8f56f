"""Cast$Key / Cast$Value: change the type of fields (``spec=field:type,...``) or of the whole key/value
(``spec=type``) to int8, int16, int32, int64, float32, float64, boolean or string, with Java's conversions:
narrowing integers wraps, floats truncate toward zero, strings parse as Java's parse* methods, bytes become
base64 text, Date/Time/Timestamp become their epoch numbers or ISO text. Tombstones pass unchanged."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef, ConfigException
from strom.connect.config import Importance, LambdaValidator
from strom.connect.config import Type as ConfigType
from strom.connect.data import Date, Schema, SchemaBuilder, Struct, Time, Timestamp, copy_schema_basics
from strom.connect.data import Type as SchemaType
from strom.connect.errors import DataException
from strom.connect.java_text import java_double_to_string, java_float_to_string, to_float32
from strom.connect.transforms import _java
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    SchemaUpdateCache,
    class_name,
    field_values,
    require_map,
    require_struct,
    trusted_struct,
    variants,
)

__all__ = ["Cast"]

PURPOSE = "cast types"

SUPPORTED_CAST_INPUT_TYPES = [
    SchemaType.INT8,
    SchemaType.INT16,
    SchemaType.INT32,
    SchemaType.INT64,
    SchemaType.FLOAT32,
    SchemaType.FLOAT64,
    SchemaType.BOOLEAN,
    SchemaType.STRING,
    SchemaType.BYTES,
]
SUPPORTED_CAST_OUTPUT_TYPES = SUPPORTED_CAST_INPUT_TYPES[:-1]

_WHOLE_VALUE = None
_MS_PER_DAY = 86_400_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ISO_DATE = _java.SimpleDateFormat("yyyy-MM-dd")
_ISO_TIME = _java.SimpleDateFormat("HH:mm:ss.SSS'Z'")
_ISO_TIMESTAMP = _java.SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")


def _java_list(types: list[SchemaType]) -> str:
    return "[" + ", ".join(t.name for t in types) + "]"


def _valid_output(t: SchemaType) -> SchemaType:
    if t not in SUPPORTED_CAST_OUTPUT_TYPES:
        raise ConfigException.of(
            f"Cast transformation does not support casting to {t.name}; supported types are {_java_list(SUPPORTED_CAST_OUTPUT_TYPES)}"
        )
    return t


def _type_named(text: str) -> SchemaType:
    try:
        return SchemaType[text.strip().upper()]
    except KeyError:
        raise ConfigException.of(f"Invalid type found in casting spec: {text.strip()}") from None


def parse_field_types(mappings: list[str]) -> dict[str | None, SchemaType]:
    casts: dict[str | None, SchemaType] = {}
    whole_value = False
    for mapping in mappings:
        parts = mapping.split(":")
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        if len(parts) > 2:
            raise ConfigException("renames", mappings, f"Invalid rename mapping: {mapping}")
        if len(parts) == 1:
            casts[_WHOLE_VALUE] = _valid_output(_type_named(parts[0]))
            whole_value = True
        else:
            casts[parts[0].strip()] = _valid_output(_type_named(parts[1]))
    if whole_value and len(mappings) > 1:
        raise ConfigException.of(
            "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec"
        )
    return casts


def _check_spec(name: str, value: Any) -> None:
    if not value:
        raise ConfigException.of("Must specify at least one field to cast.")
    parse_field_types(value)


CONFIG_DEF = (
    ConfigDef()
    .define(
        "spec",
        ConfigType.LIST,
        importance=Importance.HIGH,
        documentation="List of fields and the type to cast them to of the form field1:type,field2:type to cast fields "
        "of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, "
        "float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
        validator=LambdaValidator.with_(_check_spec, lambda: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"),
    )
    .define(
        "replace.null.with.default",
        ConfigType.BOOLEAN,
        True,
        Importance.MEDIUM,
        "Whether to replace fields that have a default value and that are null to the default value. "
        "When set to true, the default value is used, otherwise null is used.",
    )
)

_BUILDERS = {
    SchemaType.INT8: SchemaBuilder.int8,
    SchemaType.INT16: SchemaBuilder.int16,
    SchemaType.INT32: SchemaBuilder.int32,
    SchemaType.INT64: SchemaBuilder.int64,
    SchemaType.FLOAT32: SchemaBuilder.float32,
    SchemaType.FLOAT64: SchemaBuilder.float64,
    SchemaType.BOOLEAN: SchemaBuilder.bool,
    SchemaType.STRING: SchemaBuilder.string,
}

_BITS = {SchemaType.INT8: 8, SchemaType.INT16: 16, SchemaType.INT32: 32, SchemaType.INT64: 64}


def _inferred_type(value: Any) -> SchemaType | None:
    """ConnectSchema.schemaType for a schemaless value (a Python int is a Java Long, a float a Double)."""
    if isinstance(value, bool):
        return SchemaType.BOOLEAN
    if isinstance(value, int):
        return SchemaType.INT64
    if isinstance(value, float):
        return SchemaType.FLOAT64
    if isinstance(value, str):
        return SchemaType.STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return SchemaType.BYTES
    if isinstance(value, (list, tuple)):
        return SchemaType.ARRAY
    if isinstance(value, Mapping):
        return SchemaType.MAP
    if isinstance(value, Struct):
        return SchemaType.STRUCT
    return None


def _epoch_millis(value: dt.date | dt.time) -> int:
    if isinstance(value, dt.datetime):
        utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        delta = utc - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    if isinstance(value, dt.date):
        return (value - _EPOCH.date()).days * _MS_PER_DAY
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def _encode_logical(schema: Schema, value: Any) -> Any:
    if schema.name == Date.LOGICAL_NAME:
        return Date.from_logical(schema, value)
    if schema.name == Time.LOGICAL_NAME:
        return Time.from_logical(schema, value)
    if schema.name == Timestamp.LOGICAL_NAME:
        return Timestamp.from_logical(schema, value)
    return value


def _to_string(value: Any, schema: Schema | None) -> str:
    if isinstance(value, (dt.date, dt.time)):
        # Values.dateFormatFor: the format is chosen by the instant, as Java's java.util.Date carries no type
        millis = _epoch_millis(value)
        if millis < _MS_PER_DAY:
            return _ISO_TIME.format_millis(millis)
        if millis % _MS_PER_DAY == 0:
            return _ISO_DATE.format_millis(millis)
        return _ISO_TIMESTAMP.format_millis(millis)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if schema is not None and schema.type is SchemaType.FLOAT32:
            return java_float_to_string(value)
        return java_double_to_string(value)
    return str(value)


def _cast_number(value: Any, target: SchemaType) -> Any:
    if isinstance(value, bool):
        value = 1 if value else 0
        return float(value) if target in (SchemaType.FLOAT32, SchemaType.FLOAT64) else value
    if isinstance(value, (int, float, decimal.Decimal)):
        if target in _BITS:
            return _java.to_integral(value, _BITS[target])
        return to_float32(float(value)) if target is SchemaType.FLOAT32 else float(value)
    if isinstance(value, str):
        if target in _BITS:
            return _java.parse_int(value, _BITS[target])
        parsed = _java.parse_double(value)
        return to_float32(parsed) if target is SchemaType.FLOAT32 else parsed
    raise DataException(f"Unexpected type in Cast transformation: {class_name(value)}")


def _cast_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return _java.to_integral(value, 64) != 0
    if isinstance(value, str):
        return _java.parse_boolean(value)
    raise DataException(f"Unexpected type in Cast transformation: {class_name(value)}")


def cast_value_to_type(schema: Schema | None, value: Any, target: SchemaType) -> Any:
    if value is None:
        return None
    inferred = _inferred_type(value) if schema is None else schema.type
    if inferred is None:
        raise DataException(
            f"Cast transformation was passed a value of type {class_name(value)} which is not supported by Connect's data API"
        )
    if inferred not in SUPPORTED_CAST_INPUT_TYPES:
        raise DataException(
            f"Cast transformation does not support casting from {inferred.name}; supported types are "
            f"{_java_list(SUPPORTED_CAST_INPUT_TYPES)}"
        )
    if schema is not None and schema.name is not None and target is not SchemaType.STRING:
        value = _encode_logical(schema, value)
    try:
        if target is SchemaType.STRING:
            return _to_string(value, schema)
        if target is SchemaType.BOOLEAN:
            return _cast_boolean(value)
        return _cast_number(value, target)
    except ValueError as e:
        raise DataException(f"Value ({_to_string(value, schema)}) was out of range for requested data type") from e


class Cast(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.Cast (abstract: ``Cast.Key`` / ``Cast.Value``)."""

    Key: ClassVar[type[Cast]]
    Value: ClassVar[type[Cast]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.casts = parse_field_types(config["spec"])
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        self.whole_value_cast_type = self.casts.get(_WHOLE_VALUE)
        self._schema_cache = SchemaUpdateCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if value is None:
            return record
        schema = self.operating_schema(record)
        if schema is None:
            if self.whole_value_cast_type is not None:
                return self.new_record(record, None, cast_value_to_type(None, value, self.whole_value_cast_type))
            original = require_map(value, PURPOSE)
            updated = dict(original)
            for name, target in self.casts.items():
                assert name is not None
                updated[name] = cast_value_to_type(None, original.get(name), target)
            return self.new_record(record, None, updated)
        updated_schema = self._schema_cache.get_or_build(schema, self._build_schema)
        if self.whole_value_cast_type is not None:
            return self.new_record(record, updated_schema, cast_value_to_type(schema, value, self.whole_value_cast_type))
        struct = require_struct(value, PURPOSE)
        # fields not cast keep their schemas and are copied as they are; cast ones are validated on put
        values = field_values(struct, self.replace_null_with_default)
        result = trusted_struct(updated_schema, list(values))
        for field in struct.schema.fields():
            field_target = self.casts.get(field.name)
            if field_target is not None:
                result.put(field.name, cast_value_to_type(field.schema, values[field.index], field_target))
        return self.new_record(record, updated_schema, result)

    def _build_schema(self, schema: Schema) -> Schema:
        if self.whole_value_cast_type is not None:
            builder = copy_schema_basics(schema, _BUILDERS[self.whole_value_cast_type]())
        else:
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            for field in schema.fields():
                target = self.casts.get(field.name)
                if target is None:
                    builder.field(field.name, field.schema)
                    continue
                field_builder = _BUILDERS[target]()
                if field.schema.optional:
                    field_builder.optional()
                if field.schema.default is not None:
                    field_builder.default_value(cast_value_to_type(field.schema, field.schema.default, target))
                builder.field(field.name, field_builder.build())
        if schema.optional:
            builder.optional()
        if schema.default is not None:
            builder.default_value(cast_value_to_type(schema, schema.default, builder.type))
        return builder.build()


variants(Cast, "org.apache.kafka.connect.transforms.Cast")
