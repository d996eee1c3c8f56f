"""ExtractField$Key / ExtractField$Value: replace a struct or map by one of its fields (``field``); a null
struct or map gives null. With ``field.syntax.version=V2`` the name is a dotted path into nested structs or maps,
with backticks around a name holding dots (KIP-821)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef
from strom.connect.config import Importance, Type
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    require_map_or_null,
    require_struct_or_null,
    variants,
)
from strom.connect.transforms.field_path import FIELD_SYNTAX_VERSION_CONFIG, SingleFieldPath, define_field_syntax

__all__ = ["ExtractField"]

PURPOSE = "field extraction"

CONFIG_DEF = define_field_syntax(
    ConfigDef()
    .define("field", Type.STRING, importance=Importance.MEDIUM, documentation="Field name to extract.")
    .define(
        "replace.null.with.default",
        Type.BOOLEAN,
        True,
        Importance.MEDIUM,
        "Whether to replace fields that have a default value and that are null to the default value. "
        "When set to true, the default value is used, otherwise null is used.",
    )
)


class ExtractField(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.ExtractField (abstract: ``ExtractField.Key`` / ``.Value``)."""

    Key: ClassVar[type[ExtractField]]
    Value: ClassVar[type[ExtractField]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.field_name: str = config["field"]
        self.field_path = SingleFieldPath(self.field_name, config[FIELD_SYNTAX_VERSION_CONFIG])
        self.replace_null_with_default: bool = config["replace.null.with.default"]

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            original = require_map_or_null(value, PURPOSE)
            return self.new_record(record, None, None if original is None else self.field_path.value_from(original))
        struct = require_struct_or_null(value, PURPOSE)
        field = self.field_path.field_from(schema)
        if field is None:
            raise ValueError(f"Unknown field: {self.field_name}")
        if struct is None:
            return self.new_record(record, field.schema, None)
        return self.new_record(record, field.schema, self.field_path.struct_value_from(struct, self.replace_null_with_default))


variants(ExtractField, "org.apache.kafka.connect.transforms.ExtractField")
