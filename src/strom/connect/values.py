"""Connect values as text and back (Java's org.apache.kafka.connect.data.Values, the part headers use).

`convert_to_string` writes a value as Kafka's SimpleHeaderConverter does; `parse_string` infers a schema from
text as Kafka does: booleans, the smallest integer type that holds an integral number, FLOAT32 for other numbers
(FLOAT64 or Decimal when a float cannot hold them), ISO-8601 dates, times and timestamps, and `[...]` / `{...}`
with a common element schema. Anything else is a STRING."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from strom.connect.data import Date, Decimal, Schema, SchemaAndValue, Struct, Time, Timestamp, Type
from strom.connect.java_text import java_double_to_string, java_float_to_string, to_float32

__all__ = ["convert_to_string", "parse_string"]

_INT_SCHEMAS = (
    (Type.INT8, Schema.INT8_SCHEMA, 8),
    (Type.INT16, Schema.INT16_SCHEMA, 16),
    (Type.INT32, Schema.INT32_SCHEMA, 32),
    (Type.INT64, Schema.INT64_SCHEMA, 64),
)
_INT_ORDER = {Type.INT8: 0, Type.INT16: 1, Type.INT32: 2, Type.INT64: 3}
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3}Z")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


# -- to text


def convert_to_string(schema: Schema | None, value: Any) -> str | None:
    """Java's Values.convertToString: top-level strings as they are, containers with quoted strings."""
    if value is None:
        return None
    out: list[str] = []
    _append(out, schema, value, embedded=False)
    return "".join(out)


def _append(out: list[str], schema: Schema | None, value: Any, embedded: bool) -> None:
    name = schema.name if schema is not None else None
    if value is None:
        out.append("null")
    elif name == Date.LOGICAL_NAME and isinstance(value, dt.date):
        out.append(value.isoformat()[:10] if not isinstance(value, dt.datetime) else value.date().isoformat())
    elif name == Time.LOGICAL_NAME and isinstance(value, dt.time):
        out.append(f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}Z")
    elif name == Timestamp.LOGICAL_NAME and isinstance(value, dt.datetime):
        utc = value if value.tzinfo is None else value.astimezone(dt.UTC)
        out.append(f"{utc.date().isoformat()}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z")
    elif isinstance(value, str):
        out.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if embedded else value)
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, float):
        out.append(java_float_to_string(value) if schema is not None and schema.type is Type.FLOAT32 else java_double_to_string(value))
    elif isinstance(value, (int, decimal.Decimal)):
        out.append(str(value))
    elif isinstance(value, (bytes, bytearray, memoryview)):
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        out.append(f'"{encoded}"' if embedded else encoded)
    elif isinstance(value, (list, tuple)):
        element_schema = schema.value_schema if schema is not None else None
        out.append("[")
        for i, element in enumerate(value):
            if i:
                out.append(",")
            _append(out, element_schema, element, embedded=True)
        out.append("]")
    elif isinstance(value, Mapping):
        key_schema = schema.key_schema if schema is not None else None
        value_schema = schema.value_schema if schema is not None else None
        _append_entries(out, ((key_schema, k, value_schema, v) for k, v in value.items()))
    elif isinstance(value, Struct):
        _append_entries(out, ((Schema.STRING_SCHEMA, f.name, f.schema, value.get(f)) for f in value.schema.fields()))
    else:
        out.append(str(value))


def _append_entries(out: list[str], entries: Any) -> None:
    out.append("{")
    for i, (key_schema, key, value_schema, value) in enumerate(entries):
        if i:
            out.append(",")
        _append(out, key_schema, key, embedded=True)
        out.append(":")
        _append(out, value_schema, value, embedded=True)
    out.append("}")


# -- from text


def parse_string(text: str | None) -> SchemaAndValue:
    """Java's Values.parseString: the value `text` stands for, with the schema inferred from it."""
    if text is None:
        return SchemaAndValue(None, None)
    if text == "":
        return SchemaAndValue(Schema.STRING_SCHEMA, "")
    parsed = _parse_scalar_or_container(text.strip())
    return parsed if parsed is not None else SchemaAndValue(Schema.STRING_SCHEMA, text)


def _parse_scalar_or_container(token: str) -> SchemaAndValue | None:
    if token == "null":
        return SchemaAndValue(None, None)
    if token == "true":
        return SchemaAndValue(Schema.BOOLEAN_SCHEMA, True)
    if token == "false":
        return SchemaAndValue(Schema.BOOLEAN_SCHEMA, False)
    if _NUMBER.fullmatch(token):
        return _parse_number(decimal.Decimal(token))
    if _TIMESTAMP.fullmatch(token):
        try:
            parsed = dt.datetime.strptime(token, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return None
        return SchemaAndValue(Timestamp.SCHEMA, parsed)
    if _DATE.fullmatch(token):
        try:
            return SchemaAndValue(Date.SCHEMA, dt.date.fromisoformat(token))
        except ValueError:
            return None
    if _TIME.fullmatch(token):
        try:
            return SchemaAndValue(Time.SCHEMA, dt.datetime.strptime(token, "%H:%M:%S.%fZ").time())
        except ValueError:
            return None
    if (token.startswith("[") and token.endswith("]")) or (token.startswith("{") and token.endswith("}")):
        try:
            node = json.loads(token, parse_float=decimal.Decimal, parse_int=decimal.Decimal, parse_constant=_reject)
        except ValueError:
            return None
        return _from_json(node)
    return None


def _reject(name: str) -> Any:
    raise ValueError(name)


def _parse_number(number: decimal.Decimal) -> SchemaAndValue:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if number == number.to_integral_value():
        integral = int(number)
        for _, schema, bits in _INT_SCHEMAS:
            if -(2 ** (bits - 1)) <= integral < 2 ** (bits - 1):
                return SchemaAndValue(schema, integral)
    if exponent != 0:
        as_float = float(number)
        if math.isfinite(to_float32(as_float)):
            return SchemaAndValue(Schema.FLOAT32_SCHEMA, to_float32(as_float))
        if math.isfinite(as_float):
            return SchemaAndValue(Schema.FLOAT64_SCHEMA, as_float)
    return SchemaAndValue(Decimal.schema(-exponent), number)


def _from_json(node: Any) -> SchemaAndValue | None:
    if node is None:
        return None  # Kafka cannot type a null element: the whole text is a string
    if isinstance(node, bool):
        return SchemaAndValue(Schema.BOOLEAN_SCHEMA, node)
    if isinstance(node, decimal.Decimal):
        return _parse_number(node)
    if isinstance(node, str):
        return SchemaAndValue(Schema.STRING_SCHEMA, node)
    if isinstance(node, list):
        elements = [_from_json(e) for e in node]
        if any(e is None for e in elements):
            return None
        items = [e for e in elements if e is not None]
        common = _common_schema([e.schema for e in items])
        values = [_widen(e.value, common) for e in items]
        return SchemaAndValue(Schema(Type.ARRAY, value_schema=common), values)
    if isinstance(node, dict):
        entries = [(SchemaAndValue(Schema.STRING_SCHEMA, k), _from_json(v)) for k, v in node.items()]
        if any(v is None for _, v in entries):
            return None
        key_schema = _common_schema([k.schema for k, _ in entries])
        value_schema = _common_schema([v.schema for _, v in entries if v is not None])
        return SchemaAndValue(
            Schema(Type.MAP, key_schema=key_schema, value_schema=value_schema),
            {k.value: _widen(v.value, value_schema) for k, v in entries if v is not None},
        )
    return None


def _common_schema(schemas: list[Schema | None]) -> Schema | None:
    """The schema all elements fit: the same one, the widest integer, or a float for mixed numbers; else None."""
    if not schemas or any(s is None for s in schemas):
        return None
    first = schemas[0]
    if all(s == first for s in schemas):
        return first
    types = {s.type for s in schemas if s is not None}
    if any(s is not None and s.name is not None for s in schemas):
        return None
    if types <= set(_INT_ORDER):
        widest = max(types, key=lambda t: _INT_ORDER[t])
        return next(s for t, s, _ in _INT_SCHEMAS if t is widest)
    if types <= set(_INT_ORDER) | {Type.FLOAT32, Type.FLOAT64}:
        return Schema.FLOAT64_SCHEMA if Type.FLOAT64 in types else Schema.FLOAT32_SCHEMA
    return None


def _widen(value: Any, schema: Schema | None) -> Any:
    if schema is not None and schema.type in (Type.FLOAT32, Type.FLOAT64) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
