"""InsertField, ReplaceField, ExtractField, HoistField, ValueToKey, Flatten and MaskField, with and without
schemas, checked against the outputs Kafka's own tests expect."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from strom.connect.api import ConfigException
from strom.connect.data import Date, Decimal, Schema, SchemaBuilder, Struct, Timestamp
from strom.connect.errors import DataException
from strom.connect.transforms.extract_field import ExtractField
from strom.connect.transforms.flatten import Flatten
from strom.connect.transforms.hoist_field import HoistField
from strom.connect.transforms.insert_field import InsertField
from strom.connect.transforms.mask_field import MaskField
from strom.connect.transforms.replace_field import ReplaceField
from strom.connect.transforms.value_to_key import ValueToKey

from .conftest import sink, source


def configured(cls: type, **props: str) -> Any:
    transform = cls()
    transform.configure({k.replace("_", "."): v for k, v in props.items()})
    return transform


INSERT_ALL = {
    "topic_field": "topic_field!",
    "partition_field": "partition_field",
    "timestamp_field": "timestamp_field?",
    "static_field": "instance_id",
    "static_value": "my-instance-id",
}


# -- InsertField


def test_insert_field_with_schema() -> None:
    xform = configured(InsertField.Value, **INSERT_ALL)
    schema = SchemaBuilder.struct().name("name").version(1).doc("doc").field("magic", Schema.OPTIONAL_INT64_SCHEMA).build()
    out = xform.apply(source(Struct(schema).put("magic", 42), schema, timestamp=1483425001864))
    s = out.value_schema
    assert (s.name, s.version, s.doc) == ("name", 1, "doc")
    assert s.field("magic").schema == Schema.OPTIONAL_INT64_SCHEMA
    assert s.field("topic_field").schema == Schema.STRING_SCHEMA
    assert s.field("partition_field").schema == Schema.OPTIONAL_INT32_SCHEMA
    assert s.field("timestamp_field").schema == Timestamp.builder().optional().build()
    assert s.field("instance_id").schema == Schema.OPTIONAL_STRING_SCHEMA
    assert out.value.get("magic") == 42
    assert out.value.get("topic_field") == "test"
    assert out.value.get("partition_field") == 0
    assert out.value.get("timestamp_field") == dt.datetime(2017, 1, 3, 6, 30, 1, 864000, tzinfo=dt.UTC)
    assert out.value.get("instance_id") == "my-instance-id"
    # the derived schema is cached: a second record gets the same schema object
    again = xform.apply(source(Struct(schema).put("magic", 1), schema, timestamp=0))
    assert again.value_schema is out.value_schema


def test_insert_field_schemaless_and_sink_offset() -> None:
    xform = configured(InsertField.Value, **INSERT_ALL)
    out = xform.apply(source({"magic": 42}, timestamp=1483425001864))
    assert out.value == {
        "magic": 42,
        "topic_field": "test",
        "partition_field": 0,
        "timestamp_field": 1483425001864,
        "instance_id": "my-instance-id",
    }
    offset = configured(InsertField.Value, offset_field="off")
    assert offset.apply(sink({"a": 1}, offset=7)).value == {"a": 1, "off": 7}
    with pytest.raises(DataException, match=r"Only SinkRecord supported for \[field insertion\]"):
        offset.apply(source({"a": 1}))


def test_insert_field_tombstones_pass_and_key_variant() -> None:
    xform = configured(InsertField.Value, **INSERT_ALL)
    tombstone = source(None, key="k")
    assert xform.apply(tombstone) is tombstone
    key = configured(InsertField.Key, static_field="x", static_value="y")
    out = key.apply(source(None, key={"id": 1}))
    assert out.key == {"id": 1, "x": "y"} and out.value is None
    with pytest.raises(DataException, match=r"Only Map objects supported in absence of schema for \[field insertion\]"):
        xform.apply(source("text"))


# -- ReplaceField


def test_replace_field_schemaless() -> None:
    xform = configured(ReplaceField.Value, exclude="dont", renames="abc:xyz,foo:bar")
    value = {"dont": "whatever", "abc": 42, "foo": True, "etc": "etc"}
    assert xform.apply(source(value)).value == {"xyz": 42, "bar": True, "etc": "etc"}
    include = configured(ReplaceField.Value, include="abc,foo", renames="abc:xyz,foo:bar")
    assert include.apply(source(value)).value == {"xyz": 42, "bar": True}


def test_replace_field_with_schema_and_deprecated_names() -> None:
    xform = configured(ReplaceField.Value, blacklist="dont", renames="abc:xyz,foo:bar")
    schema = (
        SchemaBuilder.struct()
        .field("dont", Schema.STRING_SCHEMA)
        .field("abc", Schema.INT32_SCHEMA)
        .field("foo", Schema.BOOLEAN_SCHEMA)
        .field("etc", Schema.STRING_SCHEMA)
        .build()
    )
    value = Struct(schema).put("dont", "whatever").put("abc", 42).put("foo", True).put("etc", "etc")
    out = xform.apply(source(value, schema))
    assert [f.name for f in out.value_schema.fields()] == ["xyz", "bar", "etc"]
    assert (out.value.get("xyz"), out.value.get("bar"), out.value.get("etc")) == (42, True, "etc")
    assert xform.apply(source(None, schema)).value is None


def test_replace_field_bad_rename() -> None:
    with pytest.raises(ConfigException, match="Invalid value \\[a\\] for configuration renames: Invalid rename mapping: a"):
        configured(ReplaceField.Value, renames="a")


# -- ExtractField / HoistField / ValueToKey


def test_extract_field() -> None:
    xform = configured(ExtractField.Key, field="magic")
    assert xform.apply(source(key={"magic": 42})).key == 42
    assert xform.apply(source(key=None)).key is None
    schema = SchemaBuilder.struct().field("magic", Schema.INT32_SCHEMA).build()
    out = xform.apply(source(key=Struct(schema).put("magic", 42), key_schema=schema))
    assert (out.key_schema, out.key) == (Schema.INT32_SCHEMA, 42)
    with pytest.raises(ValueError, match="Unknown field: nope"):
        configured(ExtractField.Key, field="nope").apply(source(key=Struct(schema).put("magic", 1), key_schema=schema))


def test_extract_field_v2_paths() -> None:
    nested = {"a.b": {"c": 1}, "a": {"b": {"c": 2}}}
    assert configured(ExtractField.Value, field="a.b.c", field_syntax_version="V2").apply(source(nested)).value == 2
    assert configured(ExtractField.Value, field="`a.b`.c", field_syntax_version="v2").apply(source(nested)).value == 1
    assert configured(ExtractField.Value, field="a.b", field_syntax_version="V1").apply(source(nested)).value == {"c": 1}
    inner = SchemaBuilder.struct().field("c", Schema.INT64_SCHEMA).build()
    outer = SchemaBuilder.struct().field("a", inner).build()
    value = Struct(outer).put("a", Struct(inner).put("c", 9))
    out = configured(ExtractField.Value, field="a.c", field_syntax_version="V2").apply(source(value, outer))
    assert (out.value_schema, out.value) == (Schema.INT64_SCHEMA, 9)
    with pytest.raises(ConfigException, match="Incomplete backtick pair in path: \\[`a.b\\]"):
        configured(ExtractField.Value, field="`a.b", field_syntax_version="V2")


def test_hoist_field() -> None:
    xform = configured(HoistField.Key, field="magic")
    assert xform.apply(source(key=42)).key == {"magic": 42}
    out = xform.apply(source(key=42, key_schema=Schema.INT32_SCHEMA))
    assert out.key_schema.field("magic").schema == Schema.INT32_SCHEMA
    assert out.key.get("magic") == 42


def test_value_to_key() -> None:
    xform = configured(ValueToKey, fields="a,b")
    out = xform.apply(source({"a": 1, "b": 2, "c": 3}, key="old"))
    assert out.key == {"a": 1, "b": 2} and out.key_schema is None
    schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.INT32_SCHEMA).field("c", Schema.INT32_SCHEMA).build()
    out = xform.apply(source(Struct(schema).put("a", 1).put("b", 2).put("c", 3), schema))
    assert [f.name for f in out.key_schema.fields()] == ["a", "b"]
    assert (out.key.get("a"), out.key.get("b")) == (1, 2)
    with pytest.raises(DataException, match="Field does not exist: nope"):
        configured(ValueToKey, fields="nope").apply(source(Struct(schema).put("a", 1).put("b", 2).put("c", 3), schema))
    with pytest.raises(ConfigException, match="Empty list"):
        configured(ValueToKey, fields="")


# -- Flatten


def test_flatten_schemaless_nested_maps() -> None:
    xform = configured(Flatten.Value)
    value = {"A": {"B": {"int8": 8, "string": "s", "array": [1], "null": None}}, "top": True}
    assert xform.apply(source(value)).value == {
        "A.B.int8": 8,
        "A.B.string": "s",
        "A.B.array": [1],
        "A.B.null": None,
        "top": True,
    }
    underscore = configured(Flatten.Value, delimiter="_")
    assert underscore.apply(source({"a": {"b": 1}})).value == {"a_b": 1}
    assert xform.apply(source(None)).value is None


def test_flatten_with_schema_optional_parents_and_arrays() -> None:
    inner = SchemaBuilder.struct().field("req", Schema.STRING_SCHEMA).optional().build()
    array = SchemaBuilder.array(Schema.INT32_SCHEMA).build()
    schema = SchemaBuilder.struct().name("row").field("maybe", inner).field("list", array).build()
    value = Struct(schema).put("maybe", Struct(inner).put("req", "x")).put("list", [1, 2])
    out = configured(Flatten.Value).apply(source(value, schema))
    assert out.value_schema.name == "row"
    # a required field under an optional parent becomes optional; arrays are kept as they are
    assert out.value_schema.field("maybe.req").schema == Schema.OPTIONAL_STRING_SCHEMA
    assert out.value_schema.field("list").schema == array
    assert (out.value.get("maybe.req"), out.value.get("list")) == ("x", [1, 2])
    missing = configured(Flatten.Value).apply(source(Struct(schema).put("list", []), schema))
    assert missing.value.get("maybe.req") is None
    tombstone = source(None, schema)
    assert configured(Flatten.Value).apply(tombstone) is tombstone


def test_flatten_field_defaults_are_kept() -> None:
    inner = SchemaBuilder.struct().field("opt", SchemaBuilder.string().optional().default_value("dflt").build()).build()
    schema = SchemaBuilder.struct().field("child", inner).build()
    out = configured(Flatten.Value).apply(source(Struct(schema).put("child", Struct(inner)), schema))
    assert out.value_schema.field("child.opt").schema == SchemaBuilder.string().optional().default_value("dflt").build()
    assert out.value.get("child.opt") == "dflt"


def test_flatten_schemaless_refuses_structs() -> None:
    schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    with pytest.raises(DataException, match="Flatten transformation does not support"):
        configured(Flatten.Value).apply(source({"s": Struct(schema).put("a", 1)}))


# -- MaskField


def test_mask_field_schemaless_and_with_schema() -> None:
    xform = configured(MaskField.Value, fields="int,str,bool,list,map,dec,date,missing")
    value = {"int": 5, "str": "secret", "bool": True, "list": [1], "map": {"a": 1}, "dec": decimal.Decimal("1.5")}
    assert xform.apply(source(value)).value == {
        "int": 0,
        "str": "",
        "bool": False,
        "list": [],
        "map": {},
        "dec": decimal.Decimal(0),
        "date": None,
        "missing": None,
    }
    schema = (
        SchemaBuilder.struct()
        .field("int", Schema.INT32_SCHEMA)
        .field("str", Schema.STRING_SCHEMA)
        .field("date", Date.SCHEMA)
        .field("dec", Decimal.schema(2))
        .field("keep", Schema.STRING_SCHEMA)
        .build()
    )
    struct = (
        Struct(schema).put("int", 5).put("str", "s").put("date", dt.date(2020, 1, 2)).put("dec", decimal.Decimal("1.50")).put("keep", "k")
    )
    out = xform.apply(source(struct, schema))
    assert out.value_schema is schema
    assert [out.value.get(n) for n in ("int", "str", "date", "keep")] == [0, "", dt.date(1970, 1, 1), "k"]


def test_mask_field_replacement() -> None:
    xform = configured(MaskField.Value, fields="int,str,float", replacement="123")
    assert xform.apply(source({"int": 5, "str": "x", "float": 1.5})).value == {"int": 123, "str": "123", "float": 123.0}
    with pytest.raises(DataException, match="Unable to convert abc"):
        configured(MaskField.Value, fields="int", replacement="abc").apply(source({"int": 5}))
    with pytest.raises(DataException, match="Cannot mask value of type java.lang.Boolean with custom replacement"):
        xform.apply(source({"int": True}))
    with pytest.raises(ConfigException, match="String must be non-empty"):
        configured(MaskField.Value, fields="a", replacement="")
