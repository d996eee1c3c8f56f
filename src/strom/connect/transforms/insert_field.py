"""InsertField$Key / InsertField$Value: add the record's topic, partition, Kafka offset (sink records), timestamp
or a static string as fields of a struct or map. A name ending in ``!`` makes the field required, ``?`` (the
default) optional. Tombstones (a null key or value to work on) pass unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from strom.connect.api import ConfigDef
from strom.connect.config import Importance, Type
from strom.connect.data import Schema, SchemaBuilder, Timestamp, copy_schema_basics
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    SchemaUpdateCache,
    field_values,
    require_map,
    require_sink_record,
    require_struct,
    trusted_struct,
    variants,
)

__all__ = ["InsertField"]

PURPOSE = "field insertion"

_OPTIONALITY_DOC = " Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."

CONFIG_DEF = (
    ConfigDef()
    .define("topic.field", Type.STRING, None, Importance.MEDIUM, "Field name for Kafka topic." + _OPTIONALITY_DOC)
    .define("partition.field", Type.STRING, None, Importance.MEDIUM, "Field name for Kafka partition." + _OPTIONALITY_DOC)
    .define(
        "offset.field",
        Type.STRING,
        None,
        Importance.MEDIUM,
        "Field name for Kafka offset - only applicable to sink connectors." + _OPTIONALITY_DOC,
    )
    .define("timestamp.field", Type.STRING, None, Importance.MEDIUM, "Field name for record timestamp." + _OPTIONALITY_DOC)
    .define("static.field", Type.STRING, None, Importance.MEDIUM, "Field name for static data field." + _OPTIONALITY_DOC)
    .define("static.value", Type.STRING, None, Importance.MEDIUM, "Static field value, if field name configured.")
    .define(
        "replace.null.with.default",
        Type.BOOLEAN,
        True,
        Importance.MEDIUM,
        "Whether to replace fields that have a default value and that are null to the default value. "
        "When set to true, the default value is used, otherwise null is used.",
    )
)

_OPTIONAL_TIMESTAMP_SCHEMA = Timestamp.builder().optional().build()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class InsertionSpec:
    name: str
    optional: bool

    @staticmethod
    def parse(spec: str | None) -> InsertionSpec | None:
        if spec is None:
            return None
        if spec.endswith("?"):
            return InsertionSpec(spec[:-1], True)
        if spec.endswith("!"):
            return InsertionSpec(spec[:-1], False)
        return InsertionSpec(spec, True)


class InsertField(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.InsertField (abstract: use ``InsertField.Key`` or ``.Value``)."""

    Key: ClassVar[type[InsertField]]
    Value: ClassVar[type[InsertField]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.topic_field = InsertionSpec.parse(config["topic.field"])
        self.partition_field = InsertionSpec.parse(config["partition.field"])
        self.offset_field = InsertionSpec.parse(config["offset.field"])
        self.timestamp_field = InsertionSpec.parse(config["timestamp.field"])
        self.static_field = InsertionSpec.parse(config["static.field"])
        self.static_value: str | None = config["static.value"]
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        self._schema_cache = SchemaUpdateCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if value is None:
            return record
        if self.operating_schema(record) is None:
            return self._apply_schemaless(record, value)
        return self._apply_with_schema(record, value)

    def _apply_schemaless(self, record: R, operating: Any) -> R:
        value = require_map(operating, PURPOSE)
        updated = dict(value)
        if self.topic_field is not None:
            updated[self.topic_field.name] = record.topic
        if self.partition_field is not None:
            updated[self.partition_field.name] = record.kafka_partition
        if self.offset_field is not None:
            updated[self.offset_field.name] = require_sink_record(record, PURPOSE).kafka_offset
        if self.timestamp_field is not None:
            updated[self.timestamp_field.name] = record.timestamp
        if self.static_field is not None and self.static_value is not None:
            updated[self.static_field.name] = self.static_value
        return self.new_record(record, None, updated)

    def _apply_with_schema(self, record: R, operating: Any) -> R:
        value = require_struct(operating, PURPOSE)
        updated_schema = self._schema_cache.get_or_build(value.schema, self._make_updated_schema)
        # the original fields keep their schemas: copied without validating them again
        added = len(updated_schema.fields()) - len(value.schema.fields())
        updated = trusted_struct(updated_schema, field_values(value, self.replace_null_with_default) + [None] * added)
        if self.topic_field is not None:
            updated.put(self.topic_field.name, record.topic)
        if self.partition_field is not None:
            updated.put(self.partition_field.name, record.kafka_partition)
        if self.offset_field is not None:
            updated.put(self.offset_field.name, require_sink_record(record, PURPOSE).kafka_offset)
        if self.timestamp_field is not None and record.timestamp is not None:
            updated.put(self.timestamp_field.name, _EPOCH + dt.timedelta(milliseconds=record.timestamp))
        if self.static_field is not None and self.static_value is not None:
            updated.put(self.static_field.name, self.static_value)
        return self.new_record(record, updated_schema, updated)

    def _make_updated_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields():
            builder.field(field.name, field.schema)
        if self.topic_field is not None:
            builder.field(
                self.topic_field.name,
                Schema.OPTIONAL_STRING_SCHEMA if self.topic_field.optional else Schema.STRING_SCHEMA,
            )
        if self.partition_field is not None:
            builder.field(
                self.partition_field.name,
                Schema.OPTIONAL_INT32_SCHEMA if self.partition_field.optional else Schema.INT32_SCHEMA,
            )
        if self.offset_field is not None:
            builder.field(
                self.offset_field.name,
                Schema.OPTIONAL_INT64_SCHEMA if self.offset_field.optional else Schema.INT64_SCHEMA,
            )
        if self.timestamp_field is not None:
            builder.field(
                self.timestamp_field.name,
                _OPTIONAL_TIMESTAMP_SCHEMA if self.timestamp_field.optional else Timestamp.SCHEMA,
            )
        if self.static_field is not None:
            builder.field(
                self.static_field.name,
                Schema.OPTIONAL_STRING_SCHEMA if self.static_field.optional else Schema.STRING_SCHEMA,
            )
        return builder.build()


variants(InsertField, "org.apache.kafka.connect.transforms.InsertField")
