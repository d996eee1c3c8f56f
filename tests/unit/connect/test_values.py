"""Header values as text (Kafka's Values via SimpleHeaderConverter): expectations are what Kafka 3.9's
SimpleHeaderConverter gives for the same values and texts (captured from Kafka's classes)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from strom.connect.converters import SimpleHeaderConverter
from strom.connect.data import Date, Decimal, Schema, SchemaAndValue, SchemaBuilder, Struct, Time, Timestamp, Type, unscaled_decimal

UTC = dt.UTC
STRUCT = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.STRING_SCHEMA).build()

WRITTEN: list[tuple[Schema | None, Any, str]] = [
    (SchemaBuilder.array(Schema.INT32_SCHEMA).build(), [1, 2], "[1,2]"),
    (SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), {"a": 1}, '{"a":1}'),
    (STRUCT, Struct(STRUCT).put("a", 1).put("b", "x y"), '{"a":1,"b":"x y"}'),
    (Schema.BYTES_SCHEMA, b"\x01\x02\x03", "AQID"),
    (Schema.FLOAT32_SCHEMA, 0.1, "0.1"),
    (Schema.FLOAT64_SCHEMA, 1e20, "1.0E20"),
    (Decimal.schema(2), decimal.Decimal("12.34"), "12.34"),
    (Decimal.schema(-3), unscaled_decimal(1, -3), "1E+3"),
    (Decimal.schema(10), unscaled_decimal(1, 10), "1E-10"),
    (Date.SCHEMA, dt.date(1970, 1, 2), "1970-01-02"),
    (Time.SCHEMA, dt.time(12, 34, 56, 789000), "12:34:56.789Z"),
    (Timestamp.SCHEMA, dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC), "2023-11-14T22:13:20.123Z"),
    (Schema.STRING_SCHEMA, 'he said "hi"', 'he said "hi"'),
    (SchemaBuilder.array(Schema.STRING_SCHEMA).build(), ["a b", "c"], '["a b","c"]'),
    (SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(), ['q"b\\s\nn', None], '["q\\"b\\\\s\nn",null]'),
    (SchemaBuilder.array(Schema.BYTES_SCHEMA).build(), [b"\x01"], '["AQ=="]'),
    (None, "plain", "plain"),
    (None, 5, "5"),
    (Schema.FLOAT64_SCHEMA, 0.1, "0.1"),
]


@pytest.mark.parametrize(("schema", "value", "text"), WRITTEN)
def test_written_as_kafka(schema: Schema | None, value: Any, text: str) -> None:
    assert SimpleHeaderConverter().from_connect_header("t", "h", schema, value) == text.encode()


def _describe(schema: Schema | None) -> str:
    if schema is None:
        return "null"
    text = str(schema.type) + ("/" + schema.name.rsplit(".", 1)[-1] if schema.name else "")
    if schema.type is Type.ARRAY:
        text += f"<{_describe(schema.value_schema)}>"
    if schema.type is Type.MAP:
        text += f"<{_describe(schema.key_schema)},{_describe(schema.value_schema)}>"
    return text


READ: list[tuple[str, str, Any]] = [
    ("5", "INT8", 5),
    ("300", "INT16", 300),
    ("70000", "INT32", 70000),
    ("2147483648", "INT64", 2147483648),
    ("9223372036854775808", "BYTES/Decimal", decimal.Decimal("9223372036854775808")),
    ("1.5", "FLOAT32", 1.5),
    ("1e3", "INT16", 1000),
    ("1.0E20", "FLOAT32", 1.0000000200408773e20),
    ("", "STRING", ""),
    (" 5 ", "INT8", 5),
    ("true", "BOOLEAN", True),
    (" true ", "BOOLEAN", True),
    ("TRUE", "STRING", "TRUE"),
    ("[1,2]", "ARRAY<INT8>", [1, 2]),
    ("[1, 2]", "ARRAY<INT8>", [1, 2]),
    ("[1,300]", "ARRAY<INT16>", [1, 300]),
    ("[1.5,2]", "ARRAY<FLOAT32>", [1.5, 2.0]),
    ('[1,"x"]', "ARRAY<null>", [1, "x"]),
    ("[]", "ARRAY<null>", []),
    ("[[1],[2]]", "ARRAY<ARRAY<INT8>>", [[1], [2]]),
    ("[null,1]", "STRING", "[null,1]"),
    ('{"a":1}', "MAP<STRING,INT8>", {"a": 1}),
    ('{"a":1,"b":"x"}', "MAP<STRING,null>", {"a": 1, "b": "x"}),
    ("{}", "MAP<null,null>", {}),
    ("2024-01-01", "INT32/Date", dt.date(2024, 1, 1)),
    ("12:00:00.000Z", "INT32/Time", dt.time(12)),
    ("2024-01-01T12:00:00.000Z", "INT64/Timestamp", dt.datetime(2024, 1, 1, 12, tzinfo=UTC)),
    ("hello world", "STRING", "hello world"),
    ("null", "null", None),
    ("0.1", "FLOAT32", 0.10000000149011612),
    ("-0", "INT8", 0),
    ("1.", "INT8", 1),
    (".5", "STRING", ".5"),
    ("+5", "INT8", 5),
    ("1_000", "STRING", "1_000"),
    ("0x10", "STRING", "0x10"),
    ("NaN", "STRING", "NaN"),
    ('"quoted"', "STRING", '"quoted"'),
    ("a,b", "STRING", "a,b"),
    ("1.23456789012", "FLOAT32", 1.2345678806304932),
    ("100000000000000000000.5", "FLOAT32", 1.0000000200408773e20),
    ("1e39", "FLOAT64", 1e39),
]


@pytest.mark.parametrize(("text", "schema", "value"), READ)
def test_read_as_kafka(text: str, schema: str, value: Any) -> None:
    read = SimpleHeaderConverter().to_connect_header("t", "h", text.encode())
    assert (_describe(read.schema), read.value) == (schema, value)


def test_null_header() -> None:
    h = SimpleHeaderConverter()
    assert h.to_connect_header("t", "h", None) == SchemaAndValue(None, None)
    assert h.from_connect_header("t", "h", Schema.OPTIONAL_STRING_SCHEMA, None) is None
