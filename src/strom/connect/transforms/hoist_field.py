"""HoistField$Key / HoistField$Value: wrap the key or value in a struct (with a schema) or a map (without) of
one field named ``field``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef
from strom.connect.config import Importance, Type
from strom.connect.data import Schema, SchemaBuilder, Struct
from strom.connect.transforms._base import KeyOrValueTransformation, R, SchemaUpdateCache, variants

__all__ = ["HoistField"]

CONFIG_DEF = ConfigDef().define(
    "field",
    Type.STRING,
    importance=Importance.MEDIUM,
    documentation="Field name for the single field that will be created in the resulting Struct or Map.",
)


class HoistField(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.HoistField (abstract: ``HoistField.Key`` / ``.Value``)."""

    Key: ClassVar[type[HoistField]]
    Value: ClassVar[type[HoistField]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.field_name: str = CONFIG_DEF.parse(configs)["field"]
        self._schema_cache = SchemaUpdateCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            return self.new_record(record, None, {self.field_name: value})
        updated_schema = self._schema_cache.get_or_build(schema, self._make_schema)
        return self.new_record(record, updated_schema, Struct(updated_schema).put(self.field_name, value))

    def _make_schema(self, schema: Schema) -> Schema:
        return SchemaBuilder.struct().field(self.field_name, schema).build()


variants(HoistField, "org.apache.kafka.connect.transforms.HoistField")
