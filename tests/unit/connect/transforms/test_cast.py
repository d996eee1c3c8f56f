"""Cast with Java's conversion rules (the cases of Kafka's CastTest)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from strom.connect.api import ConfigException
from strom.connect.data import Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp
from strom.connect.errors import DataException
from strom.connect.transforms.cast import Cast

from .conftest import source


def cast(spec: str, key: bool = False) -> Any:
    xform = Cast.Key() if key else Cast.Value()
    xform.configure({"spec": spec})
    return xform


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("int8", 42, 42),
        ("int8", 300, 44),  # Java's (byte) wraps
        ("int16", 70000, 4464),
        ("int32", -1.9, -1),  # toward zero
        ("int64", 1e30, 2**63 - 1),  # saturating double->long
        ("int8", 1e30, -1),  # (byte)(int) of a huge double
        ("float32", 0.1, 0.10000000149011612),
        ("float64", 42, 42.0),
        ("boolean", 0, False),
        ("boolean", 2, True),
        ("boolean", "TRUE", True),
        ("boolean", "yes", False),
        ("string", 42, "42"),
        ("string", 1e7, "1.0E7"),
        ("string", 0.001, "0.001"),
        ("string", True, "true"),
        ("string", b"\xfe\xdc\xba\x98", "/ty6mA=="),
        ("int32", "42", 42),
        ("int32", "+42", 42),
        ("float64", " 1.5e3 ", 1500.0),
        ("int64", True, 1),
    ],
)
def test_whole_value_schemaless(spec: str, value: Any, expected: Any) -> None:
    out = cast(spec).apply(source(value))
    assert out.value == expected and type(out.value) is type(expected)


def test_unparseable_strings_are_out_of_range() -> None:
    for spec, value in (("int8", "300"), ("int32", "4.2"), ("int32", " 1"), ("float64", "abc")):
        with pytest.raises(DataException, match=r"Value \(.*\) was out of range for requested data type"):
            cast(spec).apply(source(value))


def test_whole_value_with_schema() -> None:
    out = cast("int8", key=True).apply(source(key=42, key_schema=Schema.INT32_SCHEMA))
    assert (out.key_schema.type.name, out.key) == ("INT8", 42)
    out = cast("string").apply(source(decimal.Decimal("42"), Decimal.schema(0)))
    assert out.value == "42"
    millis = 86_400_000 + 1
    stamp = Timestamp.to_logical(Timestamp.SCHEMA, millis)
    assert cast("string").apply(source(stamp, Timestamp.SCHEMA)).value == "1970-01-02T00:00:00.001Z"
    assert cast("string").apply(source(dt.date(2020, 2, 3), Date.SCHEMA)).value == "2020-02-03"
    assert cast("string").apply(source(dt.time(1, 2, 3, 4000), Time.SCHEMA)).value == "01:02:03.004Z"
    assert cast("string").apply(source(1.1, Schema.FLOAT32_SCHEMA)).value == "1.1"
    assert cast("int64").apply(source(stamp, Timestamp.SCHEMA)).value == millis
    assert cast("int32").apply(source(decimal.Decimal("12.75"), Decimal.schema(2))).value == 12


def test_fields_with_schema() -> None:
    schema = (
        SchemaBuilder.struct()
        .name("row")
        .field("int8", Schema.INT8_SCHEMA)
        .field("opt", SchemaBuilder.int32().optional().default_value(7).build())
        .field("date", Date.SCHEMA)
        .field("bytes", Schema.BYTES_SCHEMA)
        .field("keep", Schema.STRING_SCHEMA)
        .build()
    )
    value = Struct(schema).put("int8", 8).put("date", dt.date(1970, 1, 11)).put("bytes", b"\x01").put("keep", "k")
    out = cast("int8:int32,opt:string,date:int32,bytes:string").apply(source(value, schema))
    fields = {f.name: f.schema for f in out.value_schema.fields()}
    assert out.value_schema.name == "row"
    assert fields["int8"] == Schema.INT32_SCHEMA
    assert fields["opt"] == SchemaBuilder.string().optional().default_value("7").build()
    assert fields["date"] == Schema.INT32_SCHEMA
    assert fields["bytes"] == Schema.STRING_SCHEMA
    assert fields["keep"] == Schema.STRING_SCHEMA
    assert [out.value.get(n) for n in ("int8", "opt", "date", "bytes", "keep")] == [8, "7", 10, "AQ==", "k"]


def test_fields_schemaless_and_tombstones() -> None:
    xform = cast("a:int16,b:string,missing:int8")
    assert xform.apply(source({"a": "12", "b": 1.5, "c": "x"})).value == {"a": 12, "b": "1.5", "c": "x", "missing": None}
    tombstone = source(None, key="k")
    assert xform.apply(tombstone) is tombstone


def test_config_errors() -> None:
    with pytest.raises(ConfigException, match="Invalid type found in casting spec: faketype"):
        cast("foo:faketype")
    with pytest.raises(ConfigException, match="Cast transformation does not support casting to BYTES"):
        cast("foo:bytes")
    with pytest.raises(ConfigException, match="Cast transformation does not support casting to ARRAY"):
        cast("array")
    with pytest.raises(ConfigException, match="may ony specify a single cast in their spec"):
        cast("int8,foo:int16")
    with pytest.raises(ConfigException, match="Must specify at least one field to cast."):
        cast("")


def test_unsupported_inputs() -> None:
    with pytest.raises(DataException, match="does not support casting from MAP"):
        cast("string").apply(source({"a": 1}))
    with pytest.raises(DataException, match="which is not supported by Connect's data API"):
        cast("string").apply(source(object()))
    with pytest.raises(DataException, match=r"Only Map objects supported in absence of schema for \[cast types\]"):
        cast("a:int8").apply(source(5))
