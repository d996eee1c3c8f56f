"""ValueToKey: replace the record key with a struct (with a schema) or a map (without) of the named ``fields``
of the value -- how a sink gets a primary key out of a schemaless or keyless record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strom.connect.api import ConfigDef, ConfigException, Transformation
from strom.connect.config import Importance, Type, Validator
from strom.connect.data import Schema, SchemaBuilder, Struct
from strom.connect.errors import DataException
from strom.connect.transforms._base import R, SchemaUpdateCache, require_map, require_struct

__all__ = ["NonEmptyListValidator", "ValueToKey"]

PURPOSE = "copying fields from value to key"


class NonEmptyListValidator(Validator):
    """Kafka's transforms.util.NonEmptyListValidator."""

    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None or len(value) == 0:
            raise ConfigException(name, value, "Empty list")

    def __str__(self) -> str:
        return "non-empty list"


CONFIG_DEF = (
    ConfigDef()
    .define(
        "fields",
        Type.LIST,
        importance=Importance.HIGH,
        documentation="Field names on the record value to extract as the record key.",
        validator=NonEmptyListValidator(),
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


class ValueToKey(Transformation[Any]):
    """Kafka's org.apache.kafka.connect.transforms.ValueToKey."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.ValueToKey"

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.fields: list[str] = config["fields"]
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        self._schema_cache = SchemaUpdateCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        if record.value_schema is None:
            value = require_map(record.value, PURPOSE)
            key = {field: value.get(field) for field in self.fields}
            result: R = record.new_record(
                record.topic, record.kafka_partition, None, key, record.value_schema, record.value, record.timestamp
            )
            return result
        struct = require_struct(record.value, PURPOSE)
        key_schema = self._schema_cache.get_or_build(struct.schema, self._make_key_schema)
        key_struct = Struct(key_schema)
        for field in self.fields:
            key_struct.put(field, struct.get(field) if self.replace_null_with_default else struct.get_without_default(field))
        with_key: R = record.new_record(
            record.topic, record.kafka_partition, key_schema, key_struct, struct.schema, struct, record.timestamp
        )
        return with_key

    def _make_key_schema(self, schema: Schema) -> Schema:
        builder = SchemaBuilder.struct()
        for field in self.fields:
            found = schema.field(field)
            if found is None:
                raise DataException(f"Field does not exist: {field}")
            builder.field(field, found.schema)
        return builder.build()
