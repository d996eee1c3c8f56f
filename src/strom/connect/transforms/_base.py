"""What Kafka's transforms share: the $Key/$Value split (which half of the record a transform reads and
rewrites), Kafka's Requirements checks with their messages, and the per-transform cache of derived schemas."""

from __future__ import annotations

from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from strom.connect.api import ConnectRecord, SinkRecord, SourceRecord, Transformation
from strom.connect.data import Schema, SchemaBuilder, Struct, copy_schema_basics
from strom.connect.data import Type as SchemaType
from strom.connect.errors import DataException

__all__ = [
    "KeyOrValueTransformation",
    "SchemaUpdateCache",
    "class_name",
    "require_map",
    "require_map_or_null",
    "require_sink_record",
    "require_struct",
    "require_struct_or_null",
]

R = TypeVar("R", bound=ConnectRecord)


class KeyOrValueTransformation(Transformation[Any]):
    """A transform with a ``$Key`` and a ``$Value`` variant (``InsertField.Key`` / ``InsertField.Value`` here).
    The base class is abstract, as in Kafka: a config naming it gets "Did you mean ...$Key, ...$Value?"."""

    JAVA_NAME: ClassVar[str] = ""
    VARIANTS: ClassVar[tuple[type[KeyOrValueTransformation], ...]] = ()

    @abstractmethod
    def operating_schema(self, record: ConnectRecord) -> Schema | None: ...

    @abstractmethod
    def operating_value(self, record: ConnectRecord) -> Any: ...

    @abstractmethod
    def new_record(self, record: R, updated_schema: Schema | None, updated_value: Any) -> R: ...


class KeySide(KeyOrValueTransformation):
    """Works on the record key; the value, topic, partition, timestamp and headers are kept."""

    def operating_schema(self, record: ConnectRecord) -> Schema | None:
        return record.key_schema

    def operating_value(self, record: ConnectRecord) -> Any:
        return record.key

    def new_record(self, record: R, updated_schema: Schema | None, updated_value: Any) -> R:
        result: R = record.new_record(
            record.topic,
            record.kafka_partition,
            updated_schema,
            updated_value,
            record.value_schema,
            record.value,
            record.timestamp,
        )
        return result


class ValueSide(KeyOrValueTransformation):
    """Works on the record value; the key, topic, partition, timestamp and headers are kept."""

    def operating_schema(self, record: ConnectRecord) -> Schema | None:
        return record.value_schema

    def operating_value(self, record: ConnectRecord) -> Any:
        return record.value

    def new_record(self, record: R, updated_schema: Schema | None, updated_value: Any) -> R:
        result: R = record.new_record(
            record.topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            updated_schema,
            updated_value,
            record.timestamp,
        )
        return result


def variants(base: Any, java_name: str) -> None:
    """Attach ``base.Key`` and ``base.Value`` (Kafka's ``<java_name>$Key`` / ``$Value``) to an abstract transform."""
    key = type("Key", (KeySide, base), {"__module__": base.__module__, "JAVA_NAME": java_name + "$Key"})
    value = type("Value", (ValueSide, base), {"__module__": base.__module__, "JAVA_NAME": java_name + "$Value"})
    key.__qualname__ = f"{base.__qualname__}.Key"
    value.__qualname__ = f"{base.__qualname__}.Value"
    base.JAVA_NAME = java_name
    base.VARIANTS = (key, value)
    setattr(base, "Key", key)  # noqa: B010 - declared per transform as ClassVar, set here for all
    setattr(base, "Value", value)  # noqa: B010


_JAVA_CLASS_NAMES: dict[type, str] = {
    dict: "java.util.HashMap",
    list: "java.util.ArrayList",
    str: "java.lang.String",
    bool: "java.lang.Boolean",
    int: "java.lang.Long",
    float: "java.lang.Double",
    bytes: "[B",
    Struct: "org.apache.kafka.connect.data.Struct",
    SourceRecord: "org.apache.kafka.connect.source.SourceRecord",
    SinkRecord: "org.apache.kafka.connect.sink.SinkRecord",
}


def class_name(value: Any) -> str:
    """Requirements.nullSafeClassName, with the Java class a converter would have produced for the value."""
    if value is None:
        return "null"
    return _JAVA_CLASS_NAMES.get(type(value), type(value).__qualname__)


def require_map(value: Any, purpose: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DataException(f"Only Map objects supported in absence of schema for [{purpose}], found: {class_name(value)}")
    return value


def require_map_or_null(value: Any, purpose: str) -> Mapping[str, Any] | None:
    return None if value is None else require_map(value, purpose)


def require_struct(value: Any, purpose: str) -> Struct:
    if not isinstance(value, Struct):
        raise DataException(f"Only Struct objects supported for [{purpose}], found: {class_name(value)}")
    return value


def require_struct_or_null(value: Any, purpose: str) -> Struct | None:
    return None if value is None else require_struct(value, purpose)


def require_sink_record(record: ConnectRecord, purpose: str) -> SinkRecord:
    if not isinstance(record, SinkRecord):
        raise DataException(f"Only SinkRecord supported for [{purpose}], found: {class_name(record)}")
    return record


class SchemaUpdateCache:
    """The derived schema of each input schema (Kafka keeps an LRU of 16 per transform): records of one table
    share their schema, so the derived schema is built once and records keep pointing at the same object."""

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._entries: OrderedDict[Schema, Schema] = OrderedDict()
        self._last_schema: Schema | None = None
        self._last_built: Schema = Schema.STRING_SCHEMA

    def get_or_build(self, schema: Schema, build: Callable[[Schema], Schema]) -> Schema:
        if schema is self._last_schema:  # records of one table share the schema object: no hashing
            return self._last_built
        built = self._lookup(schema, build)
        self._last_schema, self._last_built = schema, built
        return built

    def _lookup(self, schema: Schema, build: Callable[[Schema], Schema]) -> Schema:
        cached = self._entries.get(schema)
        if cached is not None:
            self._entries.move_to_end(schema)
            return cached
        built = build(schema)
        self._entries[schema] = built
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return built


def basics_builder(source: Schema) -> SchemaBuilder:
    """Java's SchemaUtil.copySchemaBasics(Schema): a builder of the same type (element schemas included) with
    the name, version, doc and parameters -- but not the optionality or the default."""
    if source.type is SchemaType.ARRAY:
        assert source.value_schema is not None
        builder = SchemaBuilder.array(source.value_schema)
    elif source.type is SchemaType.MAP:
        assert source.key_schema is not None and source.value_schema is not None
        builder = SchemaBuilder.map(source.key_schema, source.value_schema)
    else:
        builder = SchemaBuilder(source.type)
    return copy_schema_basics(source, builder)


# -- the per-record fast path: copying fields between structs whose field schemas are the same objects


def field_values(struct: Struct, replace_null_with_default: bool = True) -> list[Any]:
    """The struct's field values in field order (defaults for nulls when asked, as Struct.get does)."""
    values: list[Any] = list(struct._values)  # noqa: SLF001 - a copy of the validated values, read in bulk
    if replace_null_with_default:
        for field in struct.schema.fields():
            if values[field.index] is None and field.schema.default is not None:
                values[field.index] = field.schema.default
    return values


def trusted_struct(schema: Schema, values: list[Any]) -> Struct:
    """A struct holding values already valid for these field schemas (taken from a struct with identical field
    schemas): Struct.put would validate each again, which dominates the cost of a transform per record."""
    struct = Struct.__new__(Struct)
    struct.schema = schema
    struct._values = values  # noqa: SLF001
    return struct
