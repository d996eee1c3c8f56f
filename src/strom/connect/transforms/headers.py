"""Kafka's header transforms: InsertHeader (a literal header on every record), DropHeaders (remove headers by
key) and HeaderFrom$Key / HeaderFrom$Value (copy or move fields into headers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef, ConfigException, Transformation
from strom.connect.config import Importance, NonNullValidator, Type, ValidString
from strom.connect.data import Schema, SchemaAndValue, SchemaBuilder, Struct, copy_schema_basics
from strom.connect.headers import ConnectHeaders
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    SchemaUpdateCache,
    require_map,
    require_struct,
    variants,
)
from strom.connect.transforms.value_to_key import NonEmptyListValidator
from strom.connect.values import parse_string

__all__ = ["DropHeaders", "HeaderFrom", "InsertHeader"]


def _with_headers(record: R, headers: ConnectHeaders) -> R:
    result: R = record.new_record(
        record.topic,
        record.kafka_partition,
        record.key_schema,
        record.key,
        record.value_schema,
        record.value,
        record.timestamp,
        headers,
    )
    return result


class InsertHeader(Transformation[Any]):
    """Adds the header ``header`` with ``value.literal`` parsed as Kafka's Values.parseString does (numbers become
    the smallest integer type or a float, true/false booleans, anything else a string)."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.InsertHeader"
    CONFIG_DEF = (
        ConfigDef()
        .define("header", Type.STRING, importance=Importance.HIGH, documentation="The name of the header.", validator=NonNullValidator())
        .define(
            "value.literal",
            Type.STRING,
            importance=Importance.HIGH,
            documentation="The literal value that is to be set as the header value on all records.",
            validator=NonNullValidator(),
        )
    )

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = self.CONFIG_DEF.parse(configs)
        self.header: str = config["header"]
        self.literal: SchemaAndValue = parse_string(config["value.literal"])

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def apply(self, record: R) -> R | None:
        headers = record.headers.duplicate()
        headers.add(self.header, self.literal.value, self.literal.schema)
        return _with_headers(record, headers)


class DropHeaders(Transformation[Any]):
    """Removes every header whose key is in ``headers``."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.DropHeaders"
    CONFIG_DEF = ConfigDef().define(
        "headers",
        Type.LIST,
        importance=Importance.HIGH,
        documentation="The name of the headers to be removed.",
        validator=NonEmptyListValidator(),
    )

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.headers = set(self.CONFIG_DEF.parse(configs)["headers"])

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def apply(self, record: R) -> R | None:
        return _with_headers(record, ConnectHeaders(h for h in record.headers if h.key not in self.headers))


class HeaderFrom(KeyOrValueTransformation):
    """Copies (``operation=copy``) or moves (``move``) the ``fields`` of the key or value into the ``headers`` of
    the same position; a moved field leaves the schema and the value."""

    Key: ClassVar[type[HeaderFrom]]
    Value: ClassVar[type[HeaderFrom]]
    CONFIG_DEF = (
        ConfigDef()
        .define(
            "fields",
            Type.LIST,
            importance=Importance.HIGH,
            documentation="Field names in the record whose values are to be copied or moved to headers.",
            validator=NonEmptyListValidator(),
        )
        .define(
            "headers",
            Type.LIST,
            importance=Importance.HIGH,
            documentation="Header names, in the same order as the field names listed in the fields configuration property.",
            validator=NonEmptyListValidator(),
        )
        .define(
            "operation",
            Type.STRING,
            importance=Importance.HIGH,
            documentation="Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), "
            "or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
            validator=ValidString.in_("move", "copy"),
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

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = self.CONFIG_DEF.parse(configs)
        self.fields: list[str] = config["fields"]
        self.headers: list[str] = config["headers"]
        if len(self.fields) != len(self.headers):
            raise ConfigException.of("'fields' config must have the same number of elements as 'headers' config.")
        self.move = config["operation"] == "move"
        self.replace_null_with_default: bool = config["replace.null.with.default"]
        self._schema_cache = SchemaUpdateCache()

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        schema = self.operating_schema(record)
        headers = record.headers.duplicate()
        if schema is None:
            original = require_map(value, "header " + ("move" if self.move else "copy"))
            updated = dict(original)
            for field, header in zip(self.fields, self.headers, strict=True):
                headers.add(header, original.get(field), None)
                if self.move:
                    updated.pop(field, None)
            return _with_headers(self.new_record(record, None, updated), headers)
        struct = require_struct(value, "header " + ("move" if self.move else "copy"))
        for field, header in zip(self.fields, self.headers, strict=True):
            field_schema = struct.schema.field(field)
            field_value = struct.get(field) if self.replace_null_with_default else struct.get_without_default(field)
            headers.add(header, field_value, field_schema.schema if field_schema is not None else None)
        if not self.move:
            return _with_headers(record, headers)
        updated_schema = self._schema_cache.get_or_build(struct.schema, self._without_moved)
        result = Struct(updated_schema)
        for f in updated_schema.fields():
            result.put(f.name, struct.get(f.name) if self.replace_null_with_default else struct.get_without_default(f.name))
        return _with_headers(self.new_record(record, updated_schema, result), headers)

    def _without_moved(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields():
            if field.name not in self.fields:
                builder.field(field.name, field.schema)
        return builder.build()


variants(HeaderFrom, "org.apache.kafka.connect.transforms.HeaderFrom")
