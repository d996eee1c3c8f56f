"""MaskField$Key / MaskField$Value: replace the named ``fields`` with the "empty" value of their type (0,
false, "", an empty list or map, the epoch for dates) or with ``replacement`` parsed as the field's type
(numbers and strings only)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef
from strom.connect.config import Importance, NonEmptyString, Type
from strom.connect.data import Schema
from strom.connect.data import Type as SchemaType
from strom.connect.errors import DataException
from strom.connect.java_text import to_float32
from strom.connect.transforms import _java
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    class_name,
    field_values,
    require_map,
    require_struct,
    trusted_struct,
    variants,
)
from strom.connect.transforms.value_to_key import NonEmptyListValidator

__all__ = ["MaskField"]

PURPOSE = "mask fields"

CONFIG_DEF = (
    ConfigDef()
    .define(
        "fields",
        Type.LIST,
        importance=Importance.HIGH,
        documentation="Names of fields to mask.",
        validator=NonEmptyListValidator(),
    )
    .define(
        "replacement",
        Type.STRING,
        None,
        Importance.LOW,
        "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).",
        NonEmptyString(),
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

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_INT_BITS = {SchemaType.INT8: 8, SchemaType.INT16: 16, SchemaType.INT32: 32, SchemaType.INT64: 64}


def _masked_value(value: Any) -> Any:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(0)
    if isinstance(value, dt.datetime):
        return _EPOCH
    if isinstance(value, dt.date):
        return _EPOCH.date()
    if isinstance(value, dt.time):
        return dt.time(0)
    if isinstance(value, str):
        return ""
    if isinstance(value, (list, tuple)):
        return []
    if isinstance(value, Mapping):
        return {}
    raise DataException(f"Cannot mask value of type: {class_name(value)}")


def _replaced_value(value: Any, replacement: str, schema: Schema | None) -> Any:
    try:
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            bits = _INT_BITS.get(schema.type, 64) if schema is not None else 64
            return _java.parse_int(replacement, bits)
        elif isinstance(value, float):
            parsed = _java.parse_double(replacement)
            return to_float32(parsed) if schema is not None and schema.type is SchemaType.FLOAT32 else parsed
        elif isinstance(value, decimal.Decimal):
            try:
                return decimal.Decimal(replacement)
            except decimal.InvalidOperation:
                raise ValueError(replacement) from None
        elif isinstance(value, str):
            return replacement
    except ValueError as e:
        raise DataException(f"Unable to convert {replacement} (class java.lang.String) to a number") from e
    raise DataException(f"Cannot mask value of type {class_name(value)} with custom replacement.")


class MaskField(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.MaskField (abstract: ``MaskField.Key`` / ``.Value``)."""

    Key: ClassVar[type[MaskField]]
    Value: ClassVar[type[MaskField]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.masked_fields = set(config["fields"])
        self.replacement: str | None = config["replacement"]
        self.replace_null_with_default: bool = config["replace.null.with.default"]

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def _masked(self, value: Any, schema: Schema | None) -> Any:
        if value is None:
            return None
        if self.replacement is None:
            return _masked_value(value)
        return _replaced_value(value, self.replacement, schema)

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if self.operating_schema(record) is None:
            original = require_map(value, PURPOSE)
            updated = dict(original)
            for field in self.masked_fields:
                updated[field] = self._masked(original.get(field), None)
            return self.new_record(record, None, updated)
        struct = require_struct(value, PURPOSE)
        # unmasked fields are copied as they are; masked ones are validated on put
        result = trusted_struct(struct.schema, field_values(struct, self.replace_null_with_default))
        for field in struct.schema.fields():
            if field.name in self.masked_fields:
                result.put(field, self._masked(result.get_without_default(field), field.schema))
        return self.new_record(record, self.operating_schema(record), result)


variants(MaskField, "org.apache.kafka.connect.transforms.MaskField")
