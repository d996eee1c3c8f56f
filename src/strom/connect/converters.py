"""Converters (org.apache.kafka.connect.{storage,json,converters}): Connect data <-> the bytes of a Kafka record.

JsonConverter writes the same bytes as Kafka's (Jackson's compact output: field order, number formatting,
base64 bytes, the `{"schema":..., "payload":...}` envelope), so Java consumers and workers read Strom's records
and the other way round."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from strom.client.types import Headers
from strom.connect.config import CaseInsensitiveValidString, ConfigDef, ConfigException, Importance
from strom.connect.config import Type as ConfigType
from strom.connect.data import (
    Date,
    Decimal,
    Schema,
    SchemaAndValue,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
)
from strom.connect.errors import DataException
from strom.connect.java_text import java_double_to_string, java_float_to_string, to_float32
from strom.connect.values import convert_to_string, parse_string

__all__ = [
    "java_double_to_string",
    "java_float_to_string",
    "to_float32",
    "ByteArrayConverter",
    "Converter",
    "HeaderConverter",
    "JsonConverter",
    "SimpleHeaderConverter",
    "StringConverter",
]


class Converter(ABC):
    """Turns a record's key or value into bytes and back (Java's Converter); configured once per key/value."""

    @abstractmethod
    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None: ...

    @abstractmethod
    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None) -> bytes | None: ...

    @abstractmethod
    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue: ...

    def config(self) -> ConfigDef:
        return ConfigDef()

    def close(self) -> None:
        """Releases resources."""
        return None


class HeaderConverter(ABC):
    """Turns one Connect header value into header bytes and back (Java's HeaderConverter)."""

    @abstractmethod
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue: ...

    @abstractmethod
    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None: ...

    def config(self) -> ConfigDef:
        return ConfigDef()

    def close(self) -> None:
        """Releases resources."""
        return None


def _converter_type_is_key(configs: Mapping[str, Any], default: bool) -> bool:
    kind = configs.get("converter.type")
    if kind is None:
        return default
    if str(kind).lower() not in ("key", "value", "header"):
        raise ConfigException("converter.type", kind, "String must be one of: key, value, header")
    return str(kind).lower() == "key"


# -- StringConverter / ByteArrayConverter


class StringConverter(Converter, HeaderConverter):
    """Strings as UTF-8 (or `converter.encoding`); other values through str(); reads back an optional string."""

    def __init__(self) -> None:
        self.encoding = "utf-8"

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        key = "converter.encoding"
        self.encoding = str(configs.get(key, "UTF8"))
        try:
            "".encode(self.encoding)
        except LookupError:
            raise ConfigException(key, self.encoding, "Unknown encoding") from None

    def config(self) -> ConfigDef:
        return ConfigDef().define(
            "converter.encoding",
            ConfigType.STRING,
            "UTF8",
            Importance.HIGH,
            "The name of the Java character set to use for encoding strings",
        )

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None) -> bytes | None:
        if value is None:
            return None
        return _java_to_string(value).encode(self.encoding)

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, None)
        try:
            return SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, bytes(data).decode(self.encoding))
        except UnicodeDecodeError as e:
            raise DataException(f"Failed to deserialize string: {e}") from e

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)


def _java_to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_to_string(value)
    return str(value)


class ByteArrayConverter(Converter, HeaderConverter):
    """Bytes through unchanged; a schema, when given, must be BYTES."""

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        pass

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None) -> bytes | None:
        if schema is not None and schema.type is not Type.BYTES:
            raise DataException(f"Invalid schema type for ByteArrayConverter: {schema.type}")
        if value is not None and not isinstance(value, (bytes, bytearray, memoryview)):
            raise DataException(f"ByteArrayConverter is not compatible with objects of type {type(value)}")
        return bytes(value) if value is not None else None

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        return SchemaAndValue(Schema.OPTIONAL_BYTES_SCHEMA, bytes(data) if data is not None else None)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)


# -- JSON writing, byte-identical to Jackson's compact output


class _F32(float):
    """A FLOAT32 JSON number (written with Float.toString)."""


# Jackson escapes control characters (upper-case hex) and, by default, characters outside the BMP as their
# escaped UTF-16 surrogate pair (COMBINE_UNICODE_SURROGATES_IN_UTF8 is off); everything else is raw UTF-8.
_ESCAPE = re.compile(r'[\x00-\x1f"\\\U00010000-\U0010ffff]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    code = ord(c)
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
    return _ESCAPES.get(c) or f"\\u{code:04X}"


def _write_string(s: str, out: list[str]) -> None:
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        out.append(f'"{s}"')
    else:
        out.append(f'"{_ESCAPE.sub(_escape_char, s)}"')


def _write(node: Any, out: list[str]) -> None:
    if node is None:
        out.append("null")
    elif node is True:
        out.append("true")
    elif node is False:
        out.append("false")
    elif isinstance(node, str):
        _write_string(node, out)
    elif isinstance(node, int):
        out.append(str(node))
    elif isinstance(node, _F32):
        text = java_float_to_string(node)
        out.append(f'"{text}"' if text[-1] in "yN" else text)  # Jackson quotes NaN/Infinity
    elif isinstance(node, float):
        text = java_double_to_string(node)
        out.append(f'"{text}"' if text[-1] in "yN" else text)
    elif isinstance(node, decimal.Decimal):
        out.append(str(node))  # BigDecimal.toString and Python's to-sci-string are the same algorithm
    elif isinstance(node, (bytes, bytearray, memoryview)):
        out.append('"')
        out.append(base64.b64encode(bytes(node)).decode("ascii"))
        out.append('"')
    elif isinstance(node, dict):
        out.append("{")
        first = True
        for k, v in node.items():
            if not first:
                out.append(",")
            first = False
            _write_string(k, out)
            out.append(":")
            _write(v, out)
        out.append("}")
    elif isinstance(node, list):
        out.append("[")
        for i, v in enumerate(node):
            if i:
                out.append(",")
            _write(v, out)
        out.append("]")
    else:  # pragma: no cover - the tree is built by this module
        raise DataException(f"Cannot write {type(node)} as JSON")


def _written(node: Any) -> list[str]:
    out: list[str] = []
    _write(node, out)
    return out


def _escaped(s: str) -> str:
    out: list[str] = []
    _write_string(s, out)
    return out[0][1:-1]


def dumps_jackson(node: Any) -> bytes:
    """A JSON tree (dict/list/str/int/float/_F32/Decimal/bytes) as Jackson's ObjectMapper writes it."""
    out: list[str] = []
    _write(node, out)
    return "".join(out).encode("utf-8")


# -- JsonConverter

_SCHEMA_TYPE_NAMES = {
    Type.BOOLEAN: "boolean",
    Type.INT8: "int8",
    Type.INT16: "int16",
    Type.INT32: "int32",
    Type.INT64: "int64",
    Type.FLOAT32: "float",
    Type.FLOAT64: "double",
    Type.BYTES: "bytes",
    Type.STRING: "string",
    Type.ARRAY: "array",
    Type.MAP: "map",
    Type.STRUCT: "struct",
}
_SCHEMA_TYPES = {v: k for k, v in _SCHEMA_TYPE_NAMES.items()}
_INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}

_ENVELOPE_ERROR = (
    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. '
    "If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration."
)


def _node_type(node: Any) -> str:
    """Jackson's JsonNodeType name of a parsed node, for error messages."""
    if node is None:
        return "NULL"
    if isinstance(node, bool):
        return "BOOLEAN"
    if isinstance(node, (int, decimal.Decimal)):
        return "NUMBER"
    if isinstance(node, str):
        return "STRING"
    if isinstance(node, list):
        return "ARRAY"
    if isinstance(node, dict):
        return "OBJECT"
    return "POJO"


def _wrap(value: int, bits: int) -> int:
    """Java's narrowing cast ((byte) i, (short) i, ...)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _int_value(node: Any, bits: int) -> int:
    """Jackson's intValue()/longValue(): numbers truncated then narrowed, anything else 0."""
    if isinstance(node, bool) or not isinstance(node, (int, decimal.Decimal)):
        return 0
    return _wrap(int(node), bits)


def _float_value(node: Any) -> float:
    if isinstance(node, bool) or not isinstance(node, (int, decimal.Decimal)):
        return 0.0
    return float(node)


def _binary_value(node: Any) -> bytes | None:
    """Jackson's binaryValue(): base64 text decoded, None for other nodes."""
    if not isinstance(node, str):
        return None
    try:
        return base64.b64decode(node.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise DataException("Invalid bytes field") from e


class JsonConverter(Converter, HeaderConverter):
    """Kafka's JsonConverter: `schemas.enable` (default true) wraps each value as {"schema":..., "payload":...};
    `decimal.format` BASE64 (default) or NUMERIC; `replace.null.with.default` (default true)."""

    SCHEMAS_ENABLE_CONFIG = "schemas.enable"
    SCHEMAS_CACHE_SIZE_CONFIG = "schemas.cache.size"
    DECIMAL_FORMAT_CONFIG = "decimal.format"
    REPLACE_NULL_WITH_DEFAULT_CONFIG = "replace.null.with.default"

    def __init__(self) -> None:
        self.schemas_enabled = True
        self.decimal_numeric = False
        self.replace_null_with_default = True
        self.is_key = False
        self._from_cache: dict[Schema, Any] = {}
        self._to_cache: dict[str, Schema | None] = {}
        self._cache_size = 1000
        # the envelope up to the payload, by schema (writing) and the last ones read (reading): the schema part of
        # every record of a topic is the same bytes, so it is written once and not parsed again
        self._prefixes: dict[Schema, tuple[bytes, Callable[[Any, list[str]], None]]] = {}
        self._recent_prefixes: list[tuple[bytes, Schema | None]] = []
        self._decoders: dict[Schema, Callable[[Any], Any]] = {}

    def config(self) -> ConfigDef:
        return (
            ConfigDef()
            .define(
                self.SCHEMAS_ENABLE_CONFIG,
                ConfigType.BOOLEAN,
                True,
                Importance.HIGH,
                "Include schemas within each of the serialized values and keys.",
            )
            .define(
                self.SCHEMAS_CACHE_SIZE_CONFIG,
                ConfigType.INT,
                1000,
                Importance.HIGH,
                "The maximum number of schemas that can be cached in this converter instance.",
            )
            .define(
                self.DECIMAL_FORMAT_CONFIG,
                ConfigType.STRING,
                "BASE64",
                Importance.LOW,
                "Controls which format this converter will serialize decimals in. "
                "This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
                CaseInsensitiveValidString.in_("BASE64", "NUMERIC"),
            )
            .define(
                self.REPLACE_NULL_WITH_DEFAULT_CONFIG,
                ConfigType.BOOLEAN,
                True,
                Importance.LOW,
                "Whether to replace fields that have a default value and that are null to the default value.",
            )
            .define("converter.type", ConfigType.STRING, None, Importance.LOW, "How this converter will be used.")
        )

    def configure(self, configs: Mapping[str, Any], is_key: bool = False) -> None:
        values = self.config().parse({k: v for k, v in configs.items() if k in self.config().names()})
        self.schemas_enabled = bool(values[self.SCHEMAS_ENABLE_CONFIG])
        self._cache_size = int(values[self.SCHEMAS_CACHE_SIZE_CONFIG])
        self.decimal_numeric = str(values[self.DECIMAL_FORMAT_CONFIG]).upper() == "NUMERIC"
        self.replace_null_with_default = bool(values[self.REPLACE_NULL_WITH_DEFAULT_CONFIG])
        self.is_key = _converter_type_is_key(configs, is_key)
        self._from_cache.clear()
        self._to_cache.clear()
        self._prefixes.clear()
        self._recent_prefixes.clear()
        self._decoders.clear()

    # -- Connect -> bytes

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None) -> bytes | None:
        if schema is None and value is None:
            return None
        if schema is None:
            payload = dumps_jackson(self._to_json(None, value))
            return payload if not self.schemas_enabled else b'{"schema":null,"payload":' + payload + b"}"
        entry = self._prefixes.get(schema)
        if entry is None:
            prefix = b'{"schema":' + dumps_jackson(self.as_json_schema(schema)) + b',"payload":' if self.schemas_enabled else b""
            entry = (prefix, self._encoder(schema))
            if len(self._prefixes) < self._cache_size:
                self._prefixes[schema] = entry
        prefix, encode = entry
        out: list[str] = []
        if value is None:
            out.append(self._null_text(schema))
        else:
            encode(value, out)
        payload = "".join(out).encode("utf-8")
        return prefix + payload + b"}" if self.schemas_enabled else payload

    # Writers compiled once per schema: the same bytes as _to_json + _write (the reference, still used for
    # schemaless values, maps, logical types and anything unexpected, which it reports), without building a tree.

    def _null_text(self, schema: Schema) -> str:
        """What a null of `schema` is written as (its default, null, or Kafka's error)."""
        if schema.default is not None and self.replace_null_with_default:
            return "".join(_written(self._to_json(schema, schema.default)))
        if schema.optional:
            return "null"
        raise DataException("Conversion error: null value for field that is required and has no default value")

    def _encoder(self, schema: Schema) -> Callable[[Any, list[str]], None]:
        def generic(value: Any, out: list[str]) -> None:
            _write(self._to_json(schema, value), out)

        if schema.name is not None and schema.name in _LOGICAL_NAMES:
            return generic
        t = schema.type
        if t in _INT_BITS:
            bits = _INT_BITS[t]
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

            def write_int(value: Any, out: list[str]) -> None:
                if type(value) is int and lo <= value <= hi:
                    out.append(str(value))
                else:
                    generic(value, out)

            return write_int
        if t is Type.STRING:

            def write_string(value: Any, out: list[str]) -> None:
                if type(value) is str:
                    _write_string(value, out)
                else:
                    generic(value, out)

            return write_string
        if t is Type.FLOAT64:

            def write_double(value: Any, out: list[str]) -> None:
                if type(value) is float and 1e-3 <= abs(value) < 1e7:
                    out.append(repr(value))  # Python's repr is Java's form in this range
                else:
                    generic(value, out)

            return write_double
        if t is Type.BOOLEAN:

            def write_boolean(value: Any, out: list[str]) -> None:
                if value is True:
                    out.append("true")
                elif value is False:
                    out.append("false")
                else:
                    generic(value, out)

            return write_boolean
        if t is Type.ARRAY and schema.value_schema is not None:
            element_schema = schema.value_schema
            write_element = self._encoder(element_schema)
            null_element = _LazyNull(self, element_schema)

            def write_array(value: Any, out: list[str]) -> None:
                if type(value) is not list:
                    generic(value, out)
                    return
                out.append("[")
                first = True
                for element in value:
                    if not first:
                        out.append(",")
                    first = False
                    if element is None:
                        out.append(null_element.text())
                    else:
                        write_element(element, out)
                out.append("]")

            return write_array
        if t is Type.STRUCT:
            fields = [
                (("," if f.index else "") + '"' + _escaped(f.name) + '":', f.index, self._encoder(f.schema), _LazyNull(self, f.schema))
                for f in schema.fields()
            ]

            def write_struct(value: Any, out: list[str]) -> None:
                if type(value) is not Struct or (value.schema is not schema and value.schema != schema):
                    generic(value, out)
                    return
                raw = value._values
                out.append("{")
                for key, index, write_field, null_field in fields:
                    out.append(key)
                    field_value = raw[index]
                    if field_value is None:
                        out.append(null_field.text())
                    else:
                        write_field(field_value, out)
                out.append("}")

            return write_struct
        return generic

    def as_json_schema(self, schema: Schema | None) -> dict[str, Any] | None:
        """The schema as the envelope's "schema" object (Java's asJsonSchema)."""
        if schema is None:
            return None
        cached = self._from_cache.get(schema)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        node: dict[str, Any] = {"type": _SCHEMA_TYPE_NAMES[schema.type]}
        if schema.type is Type.ARRAY:
            node["items"] = self.as_json_schema(schema.value_schema)
        elif schema.type is Type.MAP:
            node["keys"] = self.as_json_schema(schema.key_schema)
            node["values"] = self.as_json_schema(schema.value_schema)
        elif schema.type is Type.STRUCT:
            fields = []
            for f in schema.fields():
                field_node = dict(self.as_json_schema(f.schema) or {})
                field_node["field"] = f.name
                fields.append(field_node)
            node["fields"] = fields
        node["optional"] = schema.optional
        if schema.name is not None:
            node["name"] = schema.name
        if schema.version is not None:
            node["version"] = schema.version
        if schema.doc is not None:
            node["doc"] = schema.doc
        if schema.parameters is not None:
            node["parameters"] = dict(schema.parameters)
        if schema.default is not None:
            node["default"] = self._to_json(schema, schema.default)
        if len(self._from_cache) < self._cache_size:
            self._from_cache[schema] = node
        return node

    def _to_json(self, schema: Schema | None, value: Any) -> Any:
        if value is None:
            if schema is None:
                return None
            if schema.default is not None and self.replace_null_with_default:
                return self._to_json(schema, schema.default)
            if schema.optional:
                return None
            raise DataException("Conversion error: null value for field that is required and has no default value")
        if schema is not None and schema.name is not None:
            logical = self._logical_to_json(schema, value)
            if logical is not _NOT_LOGICAL:
                return logical
        schema_type = schema.type if schema is not None else _infer_type(value)
        if schema_type is None:
            raise DataException(f"Python class {type(value)} does not have corresponding schema type.")
        what = str(schema.type) if schema is not None else "unknown schema"
        if schema_type in _INT_BITS:
            bits = _INT_BITS[schema_type]
            if not isinstance(value, int) or isinstance(value, bool) or _wrap(value, bits) != value:
                raise DataException(f"Invalid type for {what}: {type(value)}")
            return value
        if schema_type is Type.FLOAT32:
            if not isinstance(value, float):
                raise DataException(f"Invalid type for {what}: {type(value)}")
            return _F32(value)
        if schema_type is Type.FLOAT64:
            if not isinstance(value, float):
                raise DataException(f"Invalid type for {what}: {type(value)}")
            return float(value)
        if schema_type is Type.BOOLEAN:
            if not isinstance(value, bool):
                raise DataException(f"Invalid type for {what}: {type(value)}")
            return value
        if schema_type is Type.STRING:
            if not isinstance(value, str):
                raise DataException(f"Invalid type for {what}: {type(value)}")
            return value
        if schema_type is Type.BYTES:
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise DataException(f"Invalid type for bytes type: {type(value)}")
            return bytes(value)
        if schema_type is Type.ARRAY:
            if not isinstance(value, (list, tuple)):
                raise DataException(f"Invalid type for {what}: {type(value)}")
            element_schema = schema.value_schema if schema is not None else None
            return [self._to_json(element_schema, v) for v in value]
        if schema_type is Type.MAP:
            if not isinstance(value, Mapping):
                raise DataException(f"Invalid type for {what}: {type(value)}")
            if schema is None:
                object_mode = all(isinstance(k, str) for k in value)
                key_schema = value_schema = None
            else:
                key_schema, value_schema = schema.key_schema, schema.value_schema
                object_mode = key_schema is not None and key_schema.type is Type.STRING
            if object_mode:
                return {_as_text(self._to_json(key_schema, k)): self._to_json(value_schema, v) for k, v in value.items()}
            return [[self._to_json(key_schema, k), self._to_json(value_schema, v)] for k, v in value.items()]
        # STRUCT
        if not isinstance(value, Struct):
            raise DataException(f"Invalid type for {what}: {type(value)}")
        if value.schema != schema:
            raise DataException("Mismatching schema.")
        raw = value._values  # by index, as the schema's fields (the lookups of get() cost a third of the time)
        replace = self.replace_null_with_default
        out = {}
        for f in value.schema._fields or ():
            v = raw[f.index]
            if v is None and replace:
                v = f.schema.default
            out[f.name] = self._to_json(f.schema, v)
        return out

    def _logical_to_json(self, schema: Schema, value: Any) -> Any:
        name = schema.name
        if name == Decimal.LOGICAL_NAME:
            if not isinstance(value, decimal.Decimal):
                raise DataException(f"Invalid type for Decimal, expected BigDecimal but was {type(value)}")
            return value if self.decimal_numeric else Decimal.from_logical(schema, value)
        if name == Date.LOGICAL_NAME:
            if not isinstance(value, dt.date):
                raise DataException(f"Invalid type for Date, expected Date but was {type(value)}")
            return Date.from_logical(schema, value)
        if name == Time.LOGICAL_NAME:
            if not isinstance(value, dt.time):
                raise DataException(f"Invalid type for Time, expected Date but was {type(value)}")
            return Time.from_logical(schema, value)
        if name == Timestamp.LOGICAL_NAME:
            if not isinstance(value, dt.datetime):
                raise DataException(f"Invalid type for Timestamp, expected Date but was {type(value)}")
            return Timestamp.from_logical(schema, value)
        return _NOT_LOGICAL

    # -- bytes -> Connect

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue.NULL  # a tombstone
        data = bytes(data)
        if self.schemas_enabled and data.endswith(b"}"):
            for prefix, known in self._recent_prefixes:
                if data.startswith(prefix):
                    try:
                        payload = _loads(data[len(prefix) : -1])
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        break  # not just a payload after the schema: the full parse below reports it
                    return SchemaAndValue(known, self._decode(known, payload))
        try:
            node = _loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise DataException(f"Converting byte[] to Kafka Connect data failed due to serialization error: {e}") from e
        if self.schemas_enabled:
            if not isinstance(node, dict) or len(node) != 2 or "schema" not in node or "payload" not in node:
                raise DataException(_ENVELOPE_ERROR)
            schema = self.as_connect_schema(node["schema"])
            payload = node["payload"]
            # remember the schema's bytes (as written by Kafka and Strom, which parse back to the same schema)
            prefix = b'{"schema":' + dumps_jackson(node["schema"]) + b',"payload":'
            if not any(p == prefix for p, _ in self._recent_prefixes):
                self._recent_prefixes.insert(0, (prefix, schema))
                del self._recent_prefixes[_RECENT_SCHEMAS:]
        else:
            schema, payload = None, node
        return SchemaAndValue(schema, self._decode(schema, payload))

    # Readers compiled once per schema, as the writers: the same values as _to_connect (the reference, still
    # used for schemaless data, maps, logical types and anything unexpected, which it reports).

    def _decode(self, schema: Schema | None, node: Any) -> Any:
        if schema is None:
            return _schemaless(node)
        decoder = self._decoders.get(schema)
        if decoder is None:
            decoder = self._decoder(schema)
            if len(self._decoders) < self._cache_size:
                self._decoders[schema] = decoder
        return decoder(node)

    def _decoder(self, schema: Schema) -> Callable[[Any], Any]:
        def generic(node: Any) -> Any:
            return self._to_connect(schema, node)

        if schema.name is not None and schema.name in _LOGICAL_NAMES:
            return generic
        t = schema.type
        if t in _INT_BITS:
            bits = _INT_BITS[t]
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

            def read_int(node: Any) -> Any:
                return node if type(node) is int and lo <= node <= hi else generic(node)

            return read_int
        if t is Type.STRING:

            def read_string(node: Any) -> Any:
                return node if type(node) is str else generic(node)

            return read_string
        if t is Type.BOOLEAN:

            def read_boolean(node: Any) -> Any:
                return node if node is True or node is False else generic(node)

            return read_boolean
        if t is Type.FLOAT64:

            def read_double(node: Any) -> Any:
                return float(node) if type(node) is decimal.Decimal else generic(node)

            return read_double
        if t is Type.ARRAY and schema.value_schema is not None:
            read_element = self._decoder(schema.value_schema)

            def read_array(node: Any) -> Any:
                return [read_element(e) for e in node] if type(node) is list else generic(node)

            return read_array
        if t is Type.STRUCT:
            fields = [(f.name, f.index, self._decoder(f.schema)) for f in schema.fields()]
            size = len(fields)

            def read_struct(node: Any) -> Any:
                if type(node) is not dict:
                    return generic(node)
                values: list[Any] = [None] * size
                get = node.get
                for name, index, read_field in fields:
                    values[index] = read_field(get(name))
                return Struct._of(schema, values)

            return read_struct
        return generic

    def as_connect_schema(self, node: Any) -> Schema | None:
        """The envelope's "schema" object as a Schema (Java's asConnectSchema)."""
        if node is None:
            return None
        if not isinstance(node, dict):
            raise DataException("Schema must contain 'type' field")
        cache_key = json.dumps(node, sort_keys=True, default=str)
        if cache_key in self._to_cache:
            return self._to_cache[cache_key]
        type_name = node.get("type")
        if not isinstance(type_name, str):
            raise DataException("Schema must contain 'type' field")
        if type_name == "array":
            items = node.get("items")
            if items is None:
                raise DataException("Array schema did not specify the element type")
            builder = SchemaBuilder.array(self._required_schema(items))
        elif type_name == "map":
            if "keys" not in node:
                raise DataException("Map schema did not specify the key type")
            if "values" not in node:
                raise DataException("Map schema did not specify the value type")
            builder = SchemaBuilder.map(self._required_schema(node["keys"]), self._required_schema(node["values"]))
        elif type_name == "struct":
            builder = SchemaBuilder.struct()
            fields = node.get("fields")
            if not isinstance(fields, list):
                raise DataException('Struct schema\'s "fields" argument is not an array.')
            for field_node in fields:
                field_name = field_node.get("field") if isinstance(field_node, dict) else None
                if not isinstance(field_name, str):
                    raise DataException("Struct schema's field name not specified properly")
                builder.field(field_name, self._required_schema(field_node))
        elif type_name in _SCHEMA_TYPES:
            builder = SchemaBuilder(_SCHEMA_TYPES[type_name])
        else:
            raise DataException(f"Unknown schema type: {type_name}")
        if node.get("optional") is True:
            builder.optional()
        else:
            builder.required()
        name = node.get("name")
        if isinstance(name, str):
            builder.name(name)
        version = node.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            builder.version(_wrap(version, 32))
        doc = node.get("doc")
        if isinstance(doc, str):
            builder.doc(doc)
        params = node.get("parameters")
        if isinstance(params, dict):
            for k, v in params.items():
                if not isinstance(v, str):
                    raise DataException("Schema parameters must have string values.")
                builder.parameter(k, v)
        if "default" in node:
            builder.default_value(self._to_connect(builder.build(), node["default"]))
        schema = builder.build()
        if len(self._to_cache) < self._cache_size:
            self._to_cache[cache_key] = schema
        return schema

    def _required_schema(self, node: Any) -> Schema:
        schema = self.as_connect_schema(node)
        if schema is None:
            raise DataException("Schema must contain 'type' field")
        return schema

    def _to_connect(self, schema: Schema | None, node: Any) -> Any:
        if schema is not None:
            schema_type: Type | None = schema.type
            if node is None:
                if schema.default is not None and self.replace_null_with_default:
                    return schema.default
                if schema.optional:
                    return None
                raise DataException(f"Invalid null value for required {schema.type} field")
        else:
            if node is None:
                return None
            schema_type = _infer_node_type(node)
        if schema_type is None:
            raise DataException(f"Unknown schema type: {schema_type}")
        if schema is not None and schema.name is not None:
            logical = self._logical_to_connect(schema, node)
            if logical is not _NOT_LOGICAL:
                return logical
        if schema_type is Type.BOOLEAN:
            return node is True
        if schema_type in _INT_BITS:
            return _int_value(node, _INT_BITS[schema_type])
        if schema_type is Type.FLOAT32:
            return to_float32(_float_value(node))
        if schema_type is Type.FLOAT64:
            return _float_value(node)
        if schema_type is Type.BYTES:
            return _binary_value(node)
        if schema_type is Type.STRING:
            return node if isinstance(node, str) else None
        if schema_type is Type.ARRAY:
            element_schema = schema.value_schema if schema is not None else None
            items = node if isinstance(node, list) else list(node.values()) if isinstance(node, dict) else []
            return [self._to_connect(element_schema, v) for v in items]
        if schema_type is Type.MAP:
            key_schema = schema.key_schema if schema is not None else None
            value_schema = schema.value_schema if schema is not None else None
            if schema is None or (key_schema is not None and key_schema.type is Type.STRING):
                if not isinstance(node, dict):
                    raise DataException(f"Maps with string fields should be encoded as JSON objects, but found {_node_type(node)}")
                return {k: self._to_connect(value_schema, v) for k, v in node.items()}
            if not isinstance(node, list):
                raise DataException(f"Maps with non-string fields should be encoded as JSON array of tuples, but found {_node_type(node)}")
            result: dict[Any, Any] = {}
            for entry in node:
                if not isinstance(entry, list):
                    raise DataException(f"Found invalid map entry instead of array tuple: {_node_type(entry)}")
                if len(entry) != 2:
                    raise DataException(f"Found invalid map entry, expected length 2 but found :{len(entry)}")
                result[self._to_connect(key_schema, entry[0])] = self._to_connect(value_schema, entry[1])
            return result
        # STRUCT
        assert schema is not None
        if not isinstance(node, dict):
            raise DataException(f"Structs should be encoded as JSON objects, but found {_node_type(node)}")
        struct_value = Struct(schema)
        for f in schema.fields():
            field_value = self._to_connect(f.schema, node.get(f.name))
            if field_value is not None:
                struct_value._put_unchecked(f, field_value)
        return struct_value

    def _logical_to_connect(self, schema: Schema, node: Any) -> Any:
        name = schema.name
        if name == Decimal.LOGICAL_NAME:
            if isinstance(node, decimal.Decimal):
                return node
            if isinstance(node, int) and not isinstance(node, bool):
                return decimal.Decimal(node)
            if isinstance(node, str):
                try:
                    raw = _binary_value(node)
                    assert raw is not None
                    return Decimal.to_logical(schema, raw)
                except DataException as e:
                    raise DataException("Invalid bytes for Decimal field") from e
            raise DataException(
                f"Invalid type for Decimal, underlying representation should be numeric or bytes but was {_node_type(node)}"
            )
        if name == Date.LOGICAL_NAME:
            if not _is_java_int(node):
                raise DataException(f"Invalid type for Date, underlying representation should be integer but was {_node_type(node)}")
            return Date.to_logical(schema, node)
        if name == Time.LOGICAL_NAME:
            if not _is_java_int(node):
                raise DataException(f"Invalid type for Time, underlying representation should be integer but was {_node_type(node)}")
            return Time.to_logical(schema, node)
        if name == Timestamp.LOGICAL_NAME:
            if not isinstance(node, int) or isinstance(node, bool):
                raise DataException(f"Invalid type for Timestamp, underlying representation should be integral but was {_node_type(node)}")
            return Timestamp.to_logical(schema, _wrap(node, 64))
        return _NOT_LOGICAL

    # -- headers: the same format

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)


def _schemaless(node: Any) -> Any:
    """What _to_connect(None, node) gives, faster: JSON's own types, decimals as FLOAT64, integers as INT64."""
    kind = type(node)
    if kind is str or kind is bool or node is None:
        return node
    if kind is int:
        return node if -(1 << 63) <= node < (1 << 63) else _wrap(node, 64)
    if kind is decimal.Decimal:
        return float(node)
    if kind is dict:
        return {k: _schemaless(v) for k, v in node.items()}
    if kind is list:
        return [_schemaless(v) for v in node]
    raise DataException(f"Unknown schema type: {kind}")


_NOT_LOGICAL: Any = object()
_LOGICAL_NAMES = {Decimal.LOGICAL_NAME, Date.LOGICAL_NAME, Time.LOGICAL_NAME, Timestamp.LOGICAL_NAME}


class _LazyNull:
    """A field's null text, computed on first need (a required field without a default raises only when null)."""

    __slots__ = ("converter", "schema", "_text")

    def __init__(self, converter: JsonConverter, schema: Schema) -> None:
        self.converter = converter
        self.schema = schema
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            self._text = self.converter._null_text(self.schema)
        return self._text


_RECENT_SCHEMAS = 8


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


# One decoder for every record: json.loads(..., parse_float=...) builds a new JSONDecoder per call.
_DECODER = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_reject_constant)


def _loads(data: bytes) -> Any:
    """json.loads(data, parse_float=Decimal, parse_constant=_reject_constant): the same encoding detection, with
    the usual case (an object in UTF-8) decided from its first two bytes."""
    if data[:1] == b"{" and data[1:2] != b"\x00":
        text = data.decode("utf-8", "surrogatepass")
    else:
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    return _DECODER.decode(text)


def _is_java_int(node: Any) -> bool:
    return isinstance(node, int) and not isinstance(node, bool) and -(2**31) <= node < 2**31


def _as_text(node: Any) -> str:
    """Jackson's JsonNode.asText() of a map key written in object mode."""
    if isinstance(node, str):
        return node
    if node is None:
        return "null"
    buf: list[str] = []
    _write(node, buf)
    return "".join(buf)


def _infer_type(value: Any) -> Type | None:
    """Java's ConnectSchema.schemaType(Class) for a schemaless value."""
    if isinstance(value, bool):
        return Type.BOOLEAN
    if isinstance(value, int):
        return Type.INT64 if not -(2**31) <= value < 2**31 else Type.INT32
    if isinstance(value, float):
        return Type.FLOAT64
    if isinstance(value, str):
        return Type.STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Type.BYTES
    if isinstance(value, (list, tuple)):
        return Type.ARRAY
    if isinstance(value, Mapping):
        return Type.MAP
    if isinstance(value, Struct):
        return Type.STRUCT
    return None


def _infer_node_type(node: Any) -> Type | None:
    if isinstance(node, bool):
        return Type.BOOLEAN
    if isinstance(node, int):
        return Type.INT64
    if isinstance(node, decimal.Decimal):
        return Type.FLOAT64
    if isinstance(node, list):
        return Type.ARRAY
    if isinstance(node, dict):
        return Type.MAP
    if isinstance(node, str):
        return Type.STRING
    return None


class SimpleHeaderConverter(HeaderConverter):
    """Kafka's default header converter: a value as its string form (Values.convertToString), text read back
    with the schema inferred from it (Values.parseString), so headers round-trip with Kafka's workers."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        pass

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        text = convert_to_string(schema, value)
        return text.encode("utf-8") if text is not None else None

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(None, None)
        return parse_string(bytes(value).decode("utf-8", errors="replace"))
