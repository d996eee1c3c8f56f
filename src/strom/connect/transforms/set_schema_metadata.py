"""SetSchemaMetadata$Key / SetSchemaMetadata$Value: set the name (``schema.name``) and/or version
(``schema.version``) of the key or value schema -- e.g. to give a sink the record name it expects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef, ConfigException
from strom.connect.config import Importance, Type
from strom.connect.data import Schema, Struct
from strom.connect.data import Type as SchemaType
from strom.connect.errors import DataException
from strom.connect.transforms._base import KeyOrValueTransformation, R, field_values, trusted_struct, variants

__all__ = ["SetSchemaMetadata"]

PURPOSE = "updating schema metadata"

CONFIG_DEF = (
    ConfigDef()
    .define("schema.name", Type.STRING, None, Importance.HIGH, "Schema name to set.")
    .define("schema.version", Type.INT, None, Importance.HIGH, "Schema version to set.")
    .define(
        "replace.null.with.default",
        Type.BOOLEAN,
        True,
        Importance.MEDIUM,
        "Whether to replace fields that have a default value and that are null to the default value. "
        "When set to true, the default value is used, otherwise null is used.",
    )
)


class SetSchemaMetadata(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.SetSchemaMetadata (``.Key`` / ``.Value``)."""

    Key: ClassVar[type[SetSchemaMetadata]]
    Value: ClassVar[type[SetSchemaMetadata]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.schema_name: str | None = config["schema.name"]
        self.schema_version: int | None = config["schema.version"]
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        if self.schema_name is None and self.schema_version is None:
            raise ConfigException.of("Neither schema name nor version configured")

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        if schema is None:
            raise DataException(f"Schema required for [{PURPOSE}]")
        updated = Schema(
            schema.type,
            schema.optional,
            schema.default,
            self.schema_name if self.schema_name is not None else schema.name,
            self.schema_version if self.schema_version is not None else schema.version,
            schema.doc,
            schema.parameters,
            schema.fields(),  # as Kafka 3.9: a key or value that is not a struct fails here
            schema.key_schema if schema.type is SchemaType.MAP else None,
            schema.value_schema if schema.type in (SchemaType.MAP, SchemaType.ARRAY) else None,
        )
        value = self.operating_value(record)
        if isinstance(value, Struct):
            # same fields, same schemas: the values are copied as they are
            value = trusted_struct(updated, field_values(value, self.replace_null_with_default))
        return self.new_record(record, updated, value)


variants(SetSchemaMetadata, "org.apache.kafka.connect.transforms.SetSchemaMetadata")
