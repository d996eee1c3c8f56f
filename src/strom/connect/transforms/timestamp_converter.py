"""TimestampConverter$Key / TimestampConverter$Value: convert a timestamp -- the whole key/value or the field
``field`` -- between ``string`` (Java's SimpleDateFormat pattern ``format``, UTC), ``unix`` (epoch in
``unix.precision`` units, milliseconds by default), and the ``Date``, ``Time`` and ``Timestamp`` logical types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef, ConfigException, ConnectException
from strom.connect.config import Importance, Type, ValidString
from strom.connect.data import Date, Schema, SchemaBuilder, Struct, Time, Timestamp, copy_schema_basics
from strom.connect.data import Type as SchemaType
from strom.connect.errors import DataException
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    SchemaUpdateCache,
    class_name,
    field_values,
    require_map,
    require_struct_or_null,
    trusted_struct,
    variants,
)
from strom.connect.transforms._java import SimpleDateFormat

__all__ = ["TimestampConverter"]

PURPOSE = "converting timestamp formats"
TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP = "string", "unix", "Date", "Time", "Timestamp"
VALID_TYPES = (TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP)
_PRECISION_MILLIS = {"seconds": 1000, "milliseconds": 1, "microseconds": 0.001, "nanoseconds": 0.000001}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS_PER_DAY = 86_400_000

CONFIG_DEF = (
    ConfigDef()
    .define("field", Type.STRING, "", Importance.HIGH, "The field containing the timestamp, or empty if the entire value is a timestamp")
    .define(
        "target.type",
        Type.STRING,
        importance=Importance.HIGH,
        documentation="The desired timestamp representation: string, unix, Date, Time, or Timestamp",
        validator=ValidString.in_(*VALID_TYPES),
    )
    .define(
        "format",
        Type.STRING,
        "",
        Importance.MEDIUM,
        "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used "
        "to parse the input if the input is a string.",
    )
    .define(
        "unix.precision",
        Type.STRING,
        "milliseconds",
        Importance.LOW,
        "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to "
        "generate the output when type=unix or used to parse the input if the input is a Long.",
        ValidString.in_("nanoseconds", "microseconds", "milliseconds", "seconds"),
    )
    .define(
        "replace.null.with.default",
        Type.BOOLEAN,
        True,
        Importance.MEDIUM,
        "Whether to replace fields that have a default value and that are null to the default value. "
        "When set to true, the default value is used, otherwise null is used.",
    )
)

_OPTIONAL = {
    TYPE_STRING: (Schema.OPTIONAL_STRING_SCHEMA, Schema.STRING_SCHEMA),
    TYPE_UNIX: (Schema.OPTIONAL_INT64_SCHEMA, Schema.INT64_SCHEMA),
    TYPE_DATE: (Date.builder().optional().build(), Date.SCHEMA),
    TYPE_TIME: (Time.builder().optional().build(), Time.SCHEMA),
    TYPE_TIMESTAMP: (Timestamp.builder().optional().build(), Timestamp.SCHEMA),
}


def _millis(value: dt.date | dt.time) -> int:
    if isinstance(value, dt.datetime):
        return Timestamp.from_logical(Timestamp.SCHEMA, value)
    if isinstance(value, dt.date):
        return Date.from_logical(Date.SCHEMA, value) * _MS_PER_DAY
    return Time.from_logical(Time.SCHEMA, value)


class TimestampConverter(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.TimestampConverter (``.Key`` / ``.Value``)."""

    Key: ClassVar[type[TimestampConverter]]
    Value: ClassVar[type[TimestampConverter]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.field: str = config["field"]
        self.type: str = config["target.type"]
        self.unix_precision: str = config["unix.precision"]
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        self._schema_cache = SchemaUpdateCache()
        if self.type not in VALID_TYPES:
            raise ConfigException.of(
                f"Unknown timestamp type in TimestampConverter: {self.type}. Valid values are "
                + ", ".join(sorted(VALID_TYPES, key=str.lower))
                + "."
            )
        pattern: str = config["format"]
        if self.type == TYPE_STRING and not pattern.strip():
            raise ConfigException.of("TimestampConverter requires format option to be specified when using string timestamps")
        self.format: SimpleDateFormat | None = None
        if pattern.strip():
            try:
                self.format = SimpleDateFormat(pattern)
            except ValueError:
                raise ConfigException.of(
                    f"TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"
                ) from None

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    # -- raw: epoch milliseconds, as Java's java.util.Date

    def _to_raw(self, kind: str, value: Any) -> int:
        if kind == TYPE_STRING:
            if not isinstance(value, str):
                raise DataException(f"Expected string timestamp to be a String, but found {class_name(value)}")
            assert self.format is not None
            try:
                return self.format.parse_millis(value)
            except ValueError:
                raise DataException(f"Could not parse timestamp: value ({value}) does not match pattern ({self.format.pattern})") from None
        if kind == TYPE_UNIX:
            if not isinstance(value, int) or isinstance(value, bool):
                raise DataException(f"Expected Unix timestamp to be a Long, but found {class_name(value)}")
            return _scale_to_millis(value, self.unix_precision)
        if not isinstance(value, (dt.date, dt.time)):
            raise DataException(f"Expected {kind} to be a java.util.Date, but found {class_name(value)}")
        return _millis(value)

    def _to_type(self, millis: int) -> Any:
        if self.type == TYPE_STRING:
            assert self.format is not None
            return self.format.format_millis(millis)
        if self.type == TYPE_UNIX:
            return _scale_from_millis(millis, self.unix_precision)
        if self.type == TYPE_DATE:
            return Date.to_logical(Date.SCHEMA, millis // _MS_PER_DAY)
        if self.type == TYPE_TIME:
            return Time.to_logical(Time.SCHEMA, millis % _MS_PER_DAY)
        return Timestamp.to_logical(Timestamp.SCHEMA, millis)

    def _convert(self, value: Any, kind: str | None = None) -> Any:
        if value is None:
            return None
        if kind is None:
            kind = _infer(value)
        return self._to_type(self._to_raw(kind, value))

    # -- records

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            if value is None or not self.field:
                return self.new_record(record, None, self._convert(value))
            original = require_map(value, PURPOSE)
            updated = dict(original)
            updated[self.field] = self._convert(original.get(self.field))
            return self.new_record(record, None, updated)
        if not self.field:
            target = _OPTIONAL[self.type][0 if schema.optional else 1]
            return self.new_record(record, target, self._convert(value, _kind_of(schema)))
        struct = require_struct_or_null(value, PURPOSE)
        updated_schema = self._schema_cache.get_or_build(schema, self._build_schema)
        return self.new_record(record, updated_schema, self._convert_struct(struct, updated_schema))

    def _build_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields():
            if field.name == self.field:
                builder.field(field.name, _OPTIONAL[self.type][0 if field.schema.optional else 1])
            else:
                builder.field(field.name, field.schema)
        if schema.optional:
            builder.optional()
        return builder.build()

    def _convert_struct(self, struct: Struct | None, updated_schema: Schema) -> Struct | None:
        if struct is None:
            return None
        # the other fields are copied as they are; the converted one is validated on put
        updated = trusted_struct(updated_schema, field_values(struct, self.replace_null_with_default))
        converted = struct.schema.field(self.field)
        if converted is not None:
            updated.put(self.field, self._convert(updated.get_without_default(self.field), _kind_of(converted.schema)))
        return updated


def _scale_to_millis(value: int, precision: str) -> int:
    if precision == "seconds":
        return value * 1000
    if precision == "microseconds":
        return int(value / 1000) if value < 0 else value // 1000  # TimeUnit.toMillis truncates toward zero
    if precision == "nanoseconds":
        return int(value / 1_000_000) if value < 0 else value // 1_000_000
    return value


def _scale_from_millis(millis: int, precision: str) -> int:
    if precision == "seconds":
        return int(millis / 1000) if millis < 0 else millis // 1000
    if precision == "microseconds":
        return millis * 1000
    if precision == "nanoseconds":
        return millis * 1_000_000
    return millis


def _kind_of(schema: Schema) -> str:
    if schema.name == Timestamp.LOGICAL_NAME:
        return TYPE_TIMESTAMP
    if schema.name == Date.LOGICAL_NAME:
        return TYPE_DATE
    if schema.name == Time.LOGICAL_NAME:
        return TYPE_TIME
    if schema.type is SchemaType.STRING:
        return TYPE_STRING
    if schema.type is SchemaType.INT64:
        return TYPE_UNIX
    raise ConnectException(f"Schema {schema} does not correspond to a known timestamp type format")


def _infer(value: Any) -> str:
    if isinstance(value, (dt.date, dt.time)):
        return TYPE_TIMESTAMP
    if isinstance(value, int) and not isinstance(value, bool):
        return TYPE_UNIX
    if isinstance(value, str):
        return TYPE_STRING
    raise DataException(f"TimestampConverter does not support {class_name(value)} objects as timestamps")


variants(TimestampConverter, "org.apache.kafka.connect.transforms.TimestampConverter")
