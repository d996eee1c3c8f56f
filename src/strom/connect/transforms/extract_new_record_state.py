"""Debezium's ExtractNewRecordState ("unwrap"): turns a change event envelope (``before``, ``after``,
``source``, ``op``, ``ts_ms``) into the row itself, so a sink such as the JDBC sink writes rows.

- creates, updates and snapshot reads become the ``after`` struct;
- deletes follow ``delete.handling.mode``: ``drop`` (default), ``rewrite`` (the ``before`` row with
  ``__deleted=true``; other rows then carry ``__deleted=false``) or ``none`` (a record with a null value);
- tombstones are dropped unless ``drop.tombstones=false``;
- Debezium 2.5's ``delete.tombstone.handling.mode`` (drop, tombstone, rewrite, rewrite-with-tombstone), when set,
  replaces both;
- ``add.fields`` / ``add.headers`` copy envelope fields (``op``, ``ts_ms``, ``source.*`` such as ``table`` or
  ``lsn``, ``transaction.*``) into the row as ``__<name>`` (``__source_ts_ms`` for ``source.ts_ms``; ``name:alias``
  picks the name) or into headers; ``route.by.field`` sends each row to the topic named by one of its columns;
- records that are not envelopes (heartbeats, schema changes, schemaless values) pass unchanged."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strom.connect.api import ConfigDef, ConfigException, Transformation
from strom.connect.config import Importance, Type
from strom.connect.data import Schema, SchemaBuilder, Struct, copy_schema_basics
from strom.connect.transforms._base import (
    R,
    SchemaUpdateCache,
    basics_builder,
    field_values,
    require_struct,
    trusted_struct,
)
from strom.connect.transforms.extract_field import ExtractField
from strom.connect.transforms.insert_field import InsertField
from strom.connect.transforms.replace_field import ReplaceField

__all__ = ["ExtractNewRecordState"]

log = logging.getLogger("io.debezium.transforms.ExtractNewRecordState")

PURPOSE = "source field insertion"
DELETED_FIELD = "__deleted"
LEGACY_DELETE_MODES = ("drop", "rewrite", "none")
DELETE_TOMBSTONE_MODES = ("drop", "tombstone", "rewrite", "rewrite-with-tombstone")
_TRANSACTION_FIELDS = frozenset({"id", "total_order", "data_collection_order"})
_ENVELOPE_FIELDS = frozenset({"op", "ts_ms", "ts_us", "ts_ns"})

CONFIG_DEF = (
    ConfigDef()
    .define(
        "drop.tombstones",
        Type.BOOLEAN,
        True,
        Importance.LOW,
        "Debezium by default generates a tombstone record to enable Kafka compaction after a delete record was "
        "generated. This record is usually filtered out to avoid duplicates as a delete record is converted to a "
        "tombstone record, too.",
    )
    .define(
        "delete.handling.mode",
        Type.STRING,
        "drop",
        Importance.MEDIUM,
        "How to handle delete records. Options are: none - records are passed, drop - records are removed "
        "(the default), rewrite - __deleted field is added to records.",
    )
    .define(
        "delete.tombstone.handling.mode",
        Type.STRING,
        None,
        Importance.MEDIUM,
        "How to handle delete records (replaces drop.tombstones and delete.handling.mode when set): drop - remove "
        "the delete event and tombstone from the stream; tombstone - for each delete event, leave only a tombstone "
        "in the stream; rewrite - remove the tombstone, and add a `__deleted` field with the value `true`; "
        "rewrite-with-tombstone - keep the tombstone and add a `__deleted` field with the value `true`.",
    )
    .define(
        "route.by.field",
        Type.STRING,
        "",
        Importance.LOW,
        "The column which determines how the events will be routed, the value will replace the topic name.",
    )
    .define("add.fields.prefix", Type.STRING, "__", Importance.LOW, "Adds this prefix to each field listed.")
    .define(
        "add.fields",
        Type.LIST,
        "",
        Importance.LOW,
        "Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). Example: "
        "'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. Optionally "
        "one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP.",
    )
    .define("add.headers.prefix", Type.STRING, "__", Importance.LOW, "Adds this prefix listed to each header.")
    .define(
        "add.headers",
        Type.LIST,
        "",
        Importance.LOW,
        "Adds each field listed to the header, __ (or __<struct>_ if the struct is specified).",
    )
    .define(
        "drop.fields.header.name",
        Type.STRING,
        None,
        Importance.LOW,
        "Specifies the name of a header that contains a list of fields to be removed from the event value.",
    )
    .define(
        "drop.fields.from.key",
        Type.BOOLEAN,
        False,
        Importance.LOW,
        "Specifies whether to apply the drop fields behavior to the event key as well as the value.",
    )
    .define(
        "drop.fields.keep.schema.compatible",
        Type.BOOLEAN,
        True,
        Importance.LOW,
        "true: only the optional fields named in the header are removed, so the schemas stay compatible; "
        "false: every field named in the header is removed.",
    )
    .define(
        "replace.null.with.default",
        Type.BOOLEAN,
        True,
        Importance.LOW,
        "When this option is enabled, null field values are replaced by source-defined defaults when rewriting the record.",
    )
)


@dataclass(frozen=True, slots=True)
class FieldReference:
    """An envelope field named in add.fields/add.headers: ``op``, ``source.lsn``, ``table`` (source is
    implied), ``id`` (transaction is implied), optionally ``:alias``."""

    struct: str | None
    field: str
    new_field: str

    @staticmethod
    def parse(prefix: str, text: str) -> FieldReference:
        parts = text.split(":")
        if len(parts) > 2:
            raise ConfigException.of(f"Unexpected field name: {text}")
        splits = parts[0].split(".")
        field = splits[0] if len(splits) == 1 else splits[1]
        if len(splits) == 1:
            struct = None if field in _ENVELOPE_FIELDS else "transaction" if field in _TRANSACTION_FIELDS else "source"
        else:
            struct = splits[0]
        if len(parts) == 2:
            new_field = prefix + parts[1]
        else:
            new_field = prefix + (field if len(splits) == 1 else f"{struct}_{field}")
        return FieldReference(struct, field, new_field)

    def schema(self, envelope_schema: Schema) -> Schema | None:
        parent = envelope_schema
        if self.struct is not None:
            holder = envelope_schema.field(self.struct)
            if holder is None:
                return None
            parent = holder.schema
        found = parent.field(self.field) if parent.type.name == "STRUCT" else None
        if found is None:
            found = envelope_schema.field(self.field)
            if found is None:
                return None
        return basics_builder(found.schema).optional().build()

    def value(self, envelope: Struct) -> Any:
        parent: Any = envelope.get_without_default(self.struct) if self.struct is not None else envelope
        if not isinstance(parent, Struct):
            return None
        if parent.schema.field(self.field) is not None:
            return parent.get_without_default(self.field)
        if envelope.schema.field(self.field) is not None:
            return envelope.get_without_default(self.field)
        return None


class _PresentReferences:
    """The references an envelope schema has, each with its schema: worked out once per envelope schema (the
    last one is checked by identity, so records of one table do not even hash it)."""

    def __init__(self) -> None:
        self._last: Schema | None = None
        self._last_present: list[tuple[FieldReference, Schema]] = []
        self._by_schema: dict[Schema, list[tuple[FieldReference, Schema]]] = {}

    def get(self, envelope_schema: Schema, references: list[FieldReference]) -> list[tuple[FieldReference, Schema]]:
        if envelope_schema is self._last:
            return self._last_present
        present = self._by_schema.get(envelope_schema)
        if present is None:
            present = [(r, s) for r in references if (s := r.schema(envelope_schema)) is not None]
            if len(self._by_schema) >= 64:
                self._by_schema.clear()
            self._by_schema[envelope_schema] = present
        self._last, self._last_present = envelope_schema, present
        return present


def _references(prefix: str, names: list[str]) -> list[FieldReference]:
    return [FieldReference.parse(prefix, name.strip()) for name in names if name.strip()]


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    lowered = value.strip().lower()
    if lowered not in allowed:
        raise ConfigException(name, value, "Value must be one of " + ", ".join(allowed))
    return lowered


class ExtractNewRecordState(Transformation[Any]):
    """io.debezium.transforms.ExtractNewRecordState."""

    JAVA_NAME = "io.debezium.transforms.ExtractNewRecordState"

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        mode = config["delete.tombstone.handling.mode"]
        self.mode: str | None
        if mode is not None:
            self.mode = _one_of("delete.tombstone.handling.mode", mode, DELETE_TOMBSTONE_MODES)
            self.drop_tombstones = self.mode != "rewrite-with-tombstone"
            self.delete_handling = {"drop": "drop", "tombstone": "none"}.get(self.mode, "rewrite")
        else:
            self.mode = None
            self.drop_tombstones = config["drop.tombstones"]
            self.delete_handling = _one_of("delete.handling.mode", config["delete.handling.mode"], LEGACY_DELETE_MODES)
        self.additional_fields = _references(config["add.fields.prefix"], config["add.fields"])
        self.additional_headers = _references(config["add.headers.prefix"], config["add.headers"])
        self.route_by_field: str | None = config["route.by.field"] or None
        header_name: str | None = config["drop.fields.header.name"]
        self.drop_fields_header = header_name if header_name and header_name.strip() else None
        self.drop_fields_from_key: bool = config["drop.fields.from.key"]
        self.drop_fields_keep_schema_compatible: bool = config["drop.fields.keep.schema.compatible"]
        self._droppers: dict[tuple[bool, tuple[str, ...]], ReplaceField] = {}
        replace_null = "true" if config["replace.null.with.default"] else "false"
        self._after = ExtractField.Value()
        self._after.configure({"field": "after", "replace.null.with.default": replace_null})
        self._before = ExtractField.Value()
        self._before.configure({"field": "before", "replace.null.with.default": replace_null})
        self._removed = InsertField.Value()
        self._removed.configure({"static.field": DELETED_FIELD, "static.value": "true"})
        self._updated = InsertField.Value()
        self._updated.configure({"static.field": DELETED_FIELD, "static.value": "false"})
        self._schema_caches: dict[str | None, SchemaUpdateCache] = {}
        self._present_fields = _PresentReferences()
        self._present_headers = _PresentReferences()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        if record.value is None:
            if self.drop_tombstones:
                log.debug("Tombstone %s arrived and requested to be dropped", record.key)
                return None
            for reference in self.additional_headers:
                if reference.field == "op" and reference.struct is None:
                    record.headers.add_string(reference.new_field, "d")
            return record
        schema = record.value_schema
        if schema is None or schema.name is None or not schema.name.endswith(".Envelope"):
            log.debug("Expected Envelope for transformation, passing it unchanged")
            return record
        envelope = require_struct(record.value, PURPOSE)
        for reference, header_schema in self._headers_in(schema):
            record.headers.add(reference.new_field, reference.value(envelope), header_schema)

        new_record: R | None = self._after.apply(record)
        assert new_record is not None
        if new_record.value is None:
            before = self._before.apply(record)
            assert before is not None
            if before.value is None:
                log.debug("Truncate event arrived and requested to be dropped")
                return None
            if self.route_by_field is not None:
                new_record = self._set_topic(envelope.get("before").get(self.route_by_field), new_record)
            if self.delete_handling == "drop":
                log.debug("Delete message %s requested to be dropped", record.key)
                return None
            if self.delete_handling == "rewrite":
                if self.route_by_field is not None:
                    before = self._set_topic(envelope.get("before").get(self.route_by_field), before)
                # Debezium 2.x adds __deleted first, then the add.fields
                return self._drop_fields(self._add_fields(record, self._removed.apply(before)))
            return self._drop_fields(new_record)
        if self.route_by_field is not None:
            new_record = self._set_topic(require_struct(new_record.value, PURPOSE).get(self.route_by_field), new_record)
        if self.delete_handling == "rewrite":
            new_record = self._updated.apply(new_record)
        return self._drop_fields(self._add_fields(record, new_record))

    def _drop_fields(self, record: R) -> R:
        """Removes the fields the header named by drop.fields.header.name lists (a list of names), from the
        value -- and from the key with drop.fields.from.key -- only the optional ones when
        drop.fields.keep.schema.compatible (the default)."""
        if self.drop_fields_header is None:
            return record
        header = next((h for h in record.headers if h.key == self.drop_fields_header), None)
        if header is None or not header.value:
            return record
        names = [str(name) for name in header.value]
        if self.drop_fields_from_key and record.key is not None:
            key_names = self._droppable(record.key_schema, names)
            if key_names:
                record = self._dropper(True, key_names).apply(record) or record
        value_names = self._droppable(record.value_schema, names)
        return (self._dropper(False, value_names).apply(record) or record) if value_names else record

    def _droppable(self, schema: Schema | None, names: list[str]) -> tuple[str, ...]:
        if not self.drop_fields_keep_schema_compatible:
            return tuple(names)
        if schema is None:
            return ()
        return tuple(f.name for f in schema.fields() if f.schema.optional and f.name in names)

    def _dropper(self, key: bool, names: tuple[str, ...]) -> ReplaceField:
        dropper = self._droppers.get((key, names))
        if dropper is None:
            dropper = ReplaceField.Key() if key else ReplaceField.Value()
            dropper.configure({"exclude": ",".join(names)})
            if len(self._droppers) >= 64:
                self._droppers.clear()
            self._droppers[(key, names)] = dropper
        return dropper

    @staticmethod
    def _set_topic(topic: Any, record: R) -> R:
        result: R = record.new_record(
            record.topic if topic is None else str(topic),
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
        )
        return result

    def _add_fields(self, original: R, unwrapped: R | None) -> R:
        """The row with the add.fields appended; its schema is rebuilt (required, as Debezium's) even when there
        are none."""
        assert unwrapped is not None
        value = require_struct(unwrapped.value, PURPOSE)
        envelope = require_struct(original.value, PURPOSE)
        operation = envelope.get("op") if envelope.schema.field("op") is not None else None
        cache = self._schema_caches.setdefault(operation, SchemaUpdateCache(64))
        present = self._fields_in(envelope.schema)
        updated_schema = cache.get_or_build(value.schema, lambda s: self._make_schema(s, present))
        # the row's fields keep their schemas and the added ones have their envelope fields' (made optional):
        # all are copied as they are
        added = [reference.value(envelope) for reference, _ in present]
        updated = trusted_struct(updated_schema, field_values(value, False) + added)
        result: R = unwrapped.new_record(
            unwrapped.topic,
            unwrapped.kafka_partition,
            unwrapped.key_schema,
            unwrapped.key,
            updated_schema,
            updated,
            unwrapped.timestamp,
        )
        return result

    def _make_schema(self, schema: Schema, present: list[tuple[FieldReference, Schema]]) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields():
            builder.field(field.name, field.schema)
        for reference, field_schema in present:
            builder.field(reference.new_field, field_schema)
        return builder.build()

    def _fields_in(self, envelope_schema: Schema) -> list[tuple[FieldReference, Schema]]:
        return self._present_fields.get(envelope_schema, self.additional_fields)

    def _headers_in(self, envelope_schema: Schema) -> list[tuple[FieldReference, Schema]]:
        return self._present_headers.get(envelope_schema, self.additional_headers)

    def close(self) -> None:
        for delegate in (self._after, self._before, self._removed, self._updated):
            delegate.close()
