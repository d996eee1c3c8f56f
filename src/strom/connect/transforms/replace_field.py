"""ReplaceField$Key / ReplaceField$Value: keep (``include``), drop (``exclude``) and rename (``renames`` as
``old:new,...``) the fields of a struct or map. ``whitelist`` / ``blacklist`` are the deprecated names of
``include`` / ``exclude``. Tombstones pass unchanged."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from strom.connect.api import ConfigDef, ConfigException
from strom.connect.config import Importance, LambdaValidator, Type
from strom.connect.data import Schema, SchemaBuilder, copy_schema_basics
from strom.connect.transforms._base import (
    KeyOrValueTransformation,
    R,
    SchemaUpdateCache,
    field_values,
    require_map,
    require_struct,
    trusted_struct,
    variants,
)

__all__ = ["ReplaceField"]

log = logging.getLogger("org.apache.kafka.connect.transforms.ReplaceField")

PURPOSE = "field replacement"

EXCLUDE = "exclude"
INCLUDE = "include"
RENAMES = "renames"
REPLACE_NULL_WITH_DEFAULT = "replace.null.with.default"
_DEPRECATED = {"blacklist": EXCLUDE, "whitelist": INCLUDE}


def parse_rename_mappings(mappings: list[str]) -> dict[str, str]:
    renames: dict[str, str] = {}
    for mapping in mappings:
        parts = mapping.split(":")
        while parts and parts[-1] == "":  # Java's String.split drops trailing empty strings
            parts.pop()
        if len(parts) != 2:
            raise ConfigException(RENAMES, mappings, f"Invalid rename mapping: {mapping}")
        renames[parts[0]] = parts[1]
    return renames


def _check_renames(name: str, value: Any) -> None:
    parse_rename_mappings(value)


CONFIG_DEF = (
    ConfigDef()
    .define(EXCLUDE, Type.LIST, "", Importance.MEDIUM, "Fields to exclude. This takes precedence over the fields to include.")
    .define("blacklist", Type.LIST, None, Importance.LOW, "Deprecated. Use exclude instead.")
    .define("whitelist", Type.LIST, None, Importance.LOW, "Deprecated. Use include instead.")
    .define(INCLUDE, Type.LIST, "", Importance.MEDIUM, "Fields to include. If specified, only these fields will be used.")
    .define(
        RENAMES,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "Field rename mappings.",
        LambdaValidator.with_(_check_renames, lambda: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"),
    )
    .define(
        REPLACE_NULL_WITH_DEFAULT,
        Type.BOOLEAN,
        True,
        Importance.MEDIUM,
        "Whether to replace fields that have a default value and that are null to the default value. "
        "When set to true, the default value is used, otherwise null is used.",
    )
)


class ReplaceField(KeyOrValueTransformation):
    """Kafka's org.apache.kafka.connect.transforms.ReplaceField (abstract: ``ReplaceField.Key`` / ``.Value``)."""

    Key: ClassVar[type[ReplaceField]]
    Value: ClassVar[type[ReplaceField]]

    def configure(self, configs: Mapping[str, Any]) -> None:
        translated = dict(configs)
        for old, new in _DEPRECATED.items():
            if old in translated:
                if new in translated:
                    log.warning("Both '%s' and its deprecated alias '%s' are set; using '%s'", new, old, new)
                else:
                    log.warning("Configuration '%s' is deprecated, use '%s'", old, new)
                translated.setdefault(new, translated.pop(old))
        config = CONFIG_DEF.parse(translated)
        self.exclude = set(config[EXCLUDE])
        self.include = set(config[INCLUDE])
        self.renames = parse_rename_mappings(config[RENAMES])
        self.reverse_renames = {new: old for old, new in self.renames.items()}
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT]
        self._schema_cache = SchemaUpdateCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def filter(self, field_name: str) -> bool:
        return field_name not in self.exclude and (not self.include or field_name in self.include)

    def renamed(self, field_name: str) -> str:
        return self.renames.get(field_name, field_name)

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if value is None:
            return record
        if self.operating_schema(record) is None:
            original = require_map(value, PURPOSE)
            updated = {self.renamed(k): v for k, v in original.items() if self.filter(k)}
            return self.new_record(record, None, updated)
        struct = require_struct(value, PURPOSE)
        updated_schema = self._schema_cache.get_or_build(struct.schema, self._make_updated_schema)
        # kept fields keep their schemas: copied without validating them again
        values = field_values(struct, self.replace_null_with_default)
        index = self._source_index(struct.schema, updated_schema)
        return self.new_record(record, updated_schema, trusted_struct(updated_schema, [values[i] for i in index]))

    def _source_index(self, schema: Schema, updated_schema: Schema) -> list[int]:
        """For each field of the updated schema, its position in the original."""
        index: list[int] = []
        for field in updated_schema.fields():
            source = schema.field(self.reverse_renames.get(field.name, field.name))
            assert source is not None
            index.append(source.index)
        return index

    def _make_updated_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields():
            if self.filter(field.name):
                builder.field(self.renamed(field.name), field.schema)
        return builder.build()


variants(ReplaceField, "org.apache.kafka.connect.transforms.ReplaceField")
