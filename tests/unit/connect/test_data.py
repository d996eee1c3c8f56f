"""Connect's data model: schemas, builder, structs, logical types (org.apache.kafka.connect.data)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from strom.connect.data import (
    DataException,
    Date,
    Decimal,
    Schema,
    SchemaAndValue,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
    copy_schema_basics,
)


def test_builder_builds_equal_hashable_schemas() -> None:
    def make() -> Schema:
        return (
            SchemaBuilder.struct()
            .name("com.example.Value")
            .version(3)
            .doc("a row")
            .parameter("p", "v")
            .field("id", Schema.INT64_SCHEMA)
            .field("name", SchemaBuilder.string().optional())
            .build()
        )

    a, b = make(), make()
    assert a == b and hash(a) == hash(b)
    assert [f.name for f in a.fields()] == ["id", "name"]
    assert a.field("name") is not None and a.field("name").index == 1  # type: ignore[union-attr]
    assert a.field("missing") is None
    assert a != SchemaBuilder.struct().name("com.example.Value").build()
    with pytest.raises(DataException, match="Cannot list fields on non-struct type"):
        Schema.STRING_SCHEMA.fields()


def test_builder_sets_each_property_once() -> None:
    with pytest.raises(DataException, match="Invalid SchemaBuilder call: name has already been set."):
        SchemaBuilder.int32().name("a").name("b")
    with pytest.raises(DataException, match="field name duplication"):
        SchemaBuilder.struct().field("a", Schema.INT8_SCHEMA).field("a", Schema.INT8_SCHEMA)
    with pytest.raises(DataException):
        SchemaBuilder.int8().default_value(1000)  # out of INT8's range


def test_struct_put_validates_and_get_falls_back_to_default() -> None:
    schema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", SchemaBuilder.string().default_value("x")).build()
    s = Struct(schema).put("a", 1)
    assert s.get("b") == "x" and s.get_without_default("b") is None
    s.validate()
    with pytest.raises(DataException, match='Invalid value: null used for required field: "a", schema type: INT32'):
        Struct(schema).validate()
    with pytest.raises(DataException, match="with type INT32"):
        s.put("a", "not an int")
    with pytest.raises(DataException, match="nope is not a valid field name"):
        s.get("nope")
    assert s == Struct(schema).put("a", 1) and s != Struct(schema).put("a", 2)
    assert repr(s) == "Struct{a=1}"


def test_decimal_bytes_are_java_big_integer_two_complement() -> None:
    schema = Decimal.schema(2)
    assert schema.name == "org.apache.kafka.connect.data.Decimal" and schema.parameters == {"scale": "2"}
    cases = {"0.00": b"\x00", "1.27": b"\x7f", "1.28": b"\x00\x80", "-1.28": b"\x80", "-1.29": b"\xff\x7f", "12.34": b"\x04\xd2"}
    for text, raw in cases.items():
        assert Decimal.from_logical(schema, decimal.Decimal(text)) == raw
        assert Decimal.to_logical(schema, raw) == decimal.Decimal(text)
    with pytest.raises(DataException, match="mismatching scale"):
        Decimal.from_logical(schema, decimal.Decimal("1.5"))


def test_date_time_timestamp() -> None:
    assert Date.from_logical(Date.SCHEMA, dt.date(1970, 1, 2)) == 1
    assert Date.to_logical(Date.SCHEMA, -1) == dt.date(1969, 12, 31)
    assert Time.from_logical(Time.SCHEMA, dt.time(1, 2, 3, 4000)) == 3_723_004
    assert Time.to_logical(Time.SCHEMA, 3_723_004) == dt.time(1, 2, 3, 4000)
    ts = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC)
    assert Timestamp.to_logical(Timestamp.SCHEMA, Timestamp.from_logical(Timestamp.SCHEMA, ts)) == ts
    assert Timestamp.from_logical(Timestamp.SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 1)) == 1000  # naive = UTC
    with pytest.raises(DataException, match="should not have any time fields"):
        Date.from_logical(Date.SCHEMA, dt.datetime(2020, 1, 1, 1))
    with pytest.raises(DataException, match="schema does not match"):
        Date.to_logical(Schema.INT32_SCHEMA, 1)


def test_constants_and_copy_basics() -> None:
    assert Schema.OPTIONAL_STRING_SCHEMA.optional and not Schema.STRING_SCHEMA.optional
    assert Schema.INT16_SCHEMA.type is Type.INT16 and str(Type.INT16) == "INT16" and Type.INT16.get_name() == "int16"
    copied = copy_schema_basics(Timestamp.SCHEMA).build()
    assert copied == Timestamp.SCHEMA
    assert SchemaAndValue.NULL == SchemaAndValue(None, None)
