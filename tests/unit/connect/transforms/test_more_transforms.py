"""TimestampConverter, SetSchemaMetadata, InsertHeader, DropHeaders and HeaderFrom."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from strom.connect.api import ConfigException
from strom.connect.data import Date, Schema, SchemaBuilder, Struct, Time, Timestamp
from strom.connect.errors import DataException
from strom.connect.transforms import _java
from strom.connect.transforms.headers import DropHeaders, HeaderFrom, InsertHeader
from strom.connect.transforms.set_schema_metadata import SetSchemaMetadata
from strom.connect.transforms.timestamp_converter import TimestampConverter

from .conftest import source

TS = 1483425001864  # 2017-01-03T06:30:01.864Z
STAMP = dt.datetime(2017, 1, 3, 6, 30, 1, 864000, tzinfo=dt.UTC)


def configured(cls: type, **props: str) -> Any:
    transform = cls()
    transform.configure({k.replace("_", "."): v for k, v in props.items()})
    return transform


def test_timestamp_converter_schemaless() -> None:
    to_string = configured(TimestampConverter.Value, field="ts", target_type="string", format="yyyy-MM-dd HH:mm:ss.SSS")
    assert to_string.apply(source({"ts": TS, "x": 1})).value == {"ts": "2017-01-03 06:30:01.864", "x": 1}
    to_unix = configured(TimestampConverter.Value, target_type="unix", format="yyyy-MM-dd HH:mm:ss.SSS")
    assert to_unix.apply(source("2017-01-03 06:30:01.864")).value == TS
    seconds = configured(TimestampConverter.Value, target_type="Timestamp", unix_precision="seconds")
    assert seconds.apply(source(TS // 1000)).value == STAMP.replace(microsecond=0)
    to_stamp = configured(TimestampConverter.Value, target_type="Timestamp")
    assert to_stamp.apply(source(TS)).value == STAMP
    assert to_stamp.apply(source(None)).value is None


def test_timestamp_converter_with_schema() -> None:
    schema = SchemaBuilder.struct().field("ts", Timestamp.SCHEMA).field("other", Schema.STRING_SCHEMA).build()
    value = Struct(schema).put("ts", STAMP).put("other", "o")
    out = configured(TimestampConverter.Value, field="ts", target_type="Date").apply(source(value, schema))
    assert out.value_schema.field("ts").schema == Date.SCHEMA
    assert (out.value.get("ts"), out.value.get("other")) == (dt.date(2017, 1, 3), "o")
    out = configured(TimestampConverter.Value, field="ts", target_type="Time").apply(source(value, schema))
    assert out.value_schema.field("ts").schema == Time.SCHEMA and out.value.get("ts") == dt.time(6, 30, 1, 864000)
    whole = configured(TimestampConverter.Key, target_type="unix").apply(source(key=STAMP, key_schema=Timestamp.SCHEMA))
    assert (whole.key_schema, whole.key) == (Schema.INT64_SCHEMA, TS)


def test_timestamp_converter_errors() -> None:
    with pytest.raises(ConfigException, match="String must be one of: string, unix, Date, Time, Timestamp"):
        configured(TimestampConverter.Value, target_type="date")
    with pytest.raises(ConfigException, match="requires format option"):
        configured(TimestampConverter.Value, target_type="string")
    bad = configured(TimestampConverter.Value, target_type="unix", format="yyyy-MM-dd")
    with pytest.raises(DataException, match=r"Could not parse timestamp: value \(x\) does not match pattern \(yyyy-MM-dd\)"):
        bad.apply(source("x"))


@pytest.mark.parametrize(
    ("pattern", "text", "millis"),
    [
        ("yyyy-MM-dd HH:mm:ss.SSS", "2017-01-03 06:30:01.864", TS),
        ("yyyyMMdd", "20170103", 1483401600000),
        ("yyyyMMdd", "20171303 trailing text", 1514937600000),  # lenient: month 13 is next January
        ("yyyy-MM-dd'T'HH:mm:ssXXX", "2017-01-03T06:30:01+01:30", TS - 864 - 5_400_000),
        ("yyyy-MM-dd HH:mm Z", "2017-01-03 06:30 -0100", 1483428600000),
        ("d MMM yyyy hh:mm a", "3 Jan 2017 06:30 PM", 1483468200000),
    ],
)
def test_simple_date_format_parsing(pattern: str, text: str, millis: int) -> None:
    assert _java.SimpleDateFormat(pattern).parse_millis(text) == millis


def test_set_schema_metadata() -> None:
    schema = SchemaBuilder.struct().name("old").version(1).field("a", Schema.INT32_SCHEMA).build()
    out = configured(SetSchemaMetadata.Value, schema_name="new", schema_version="2").apply(source(Struct(schema).put("a", 1), schema))
    assert (out.value_schema.name, out.value_schema.version, out.value.get("a")) == ("new", 2, 1)
    assert out.value.schema is out.value_schema
    with pytest.raises(DataException, match=r"Schema required for \[updating schema metadata\]"):
        configured(SetSchemaMetadata.Value, schema_name="x").apply(source({"a": 1}))
    with pytest.raises(ConfigException, match="Neither schema name nor version configured"):
        configured(SetSchemaMetadata.Value)


def test_insert_and_drop_headers() -> None:
    record = source({"a": 1})
    record.headers.add_string("keep", "k").add_string("drop", "d1").add_string("drop", "d2")
    out = configured(InsertHeader, header="n", value_literal="42").apply(record)
    assert [(h.key, h.schema, h.value) for h in out.headers][-1] == ("n", Schema.INT8_SCHEMA, 42)
    assert len(record.headers) == 3  # the input record keeps its headers
    for literal, schema in (("1.5", Schema.FLOAT32_SCHEMA), ("true", Schema.BOOLEAN_SCHEMA), ("a b", Schema.STRING_SCHEMA)):
        header = configured(InsertHeader, header="n", value_literal=literal).apply(source({})).headers.last_with_name("n")
        assert header is not None and header.schema == schema
    dropped = configured(DropHeaders, headers="drop").apply(record)
    assert [h.key for h in dropped.headers] == ["keep"]


def test_header_from() -> None:
    move = configured(HeaderFrom.Value, fields="a,b", headers="ha,hb", operation="move")
    out = move.apply(source({"a": 1, "b": "x", "c": True}))
    assert out.value == {"c": True}
    assert [(h.key, h.value) for h in out.headers] == [("ha", 1), ("hb", "x")]
    schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("c", Schema.BOOLEAN_SCHEMA).build()
    out = configured(HeaderFrom.Value, fields="a", headers="ha", operation="copy").apply(
        source(Struct(schema).put("a", 5).put("c", False), schema)
    )
    assert out.value_schema is schema and out.headers.last_with_name("ha").schema == Schema.INT32_SCHEMA
    move_a = configured(HeaderFrom.Value, fields="a", headers="ha", operation="move")
    moved = move_a.apply(source(Struct(schema).put("a", 5).put("c", False), schema))
    assert [f.name for f in moved.value_schema.fields()] == ["c"]
    with pytest.raises(ConfigException, match="'fields' config must have the same number of elements as 'headers'"):
        configured(HeaderFrom.Value, fields="a", headers="x,y", operation="copy")
