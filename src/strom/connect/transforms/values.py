"""The part of Kafka's Values.parseString that InsertHeader uses: a literal becomes a typed value -- integers
the smallest of int8..int64 that holds them (a Decimal beyond), other numbers float32 when in its range else
float64, true/false booleans, anything else the string itself."""

from __future__ import annotations

import decimal
import math
import re

from strom.connect.converters import to_float32
from strom.connect.data import Decimal, Schema, SchemaAndValue

__all__ = ["parse_string"]

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_INT_SCHEMAS = [(8, Schema.INT8_SCHEMA), (16, Schema.INT16_SCHEMA), (32, Schema.INT32_SCHEMA), (64, Schema.INT64_SCHEMA)]


def parse_string(text: str) -> SchemaAndValue:
    stripped = text.strip()
    if stripped.lower() in ("true", "false"):
        return SchemaAndValue(Schema.BOOLEAN_SCHEMA, stripped.lower() == "true")
    if _INTEGER.fullmatch(stripped):
        number = int(stripped)
        for bits, schema in _INT_SCHEMAS:
            if -(1 << (bits - 1)) <= number < (1 << (bits - 1)):
                return SchemaAndValue(schema, number)
        return SchemaAndValue(Decimal.schema(0), decimal.Decimal(number))
    if _DECIMAL.fullmatch(stripped):
        number_f = float(stripped)
        if not math.isinf(to_float32(number_f)):
            return SchemaAndValue(Schema.FLOAT32_SCHEMA, number_f)
        return SchemaAndValue(Schema.FLOAT64_SCHEMA, number_f)
    return SchemaAndValue(Schema.STRING_SCHEMA, text)
