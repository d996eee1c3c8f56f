"""JsonConverter: Kafka's bytes (golden file written by Kafka 3.9's own JsonConverter, see
tests/integration/connect_java/JsonGolden.java), round trips of generated schemas and values, Kafka's errors."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.connect.config import ConfigException
from strom.connect.converters import (
    ByteArrayConverter,
    JsonConverter,
    StringConverter,
    dumps_jackson,
    java_double_to_string,
    java_float_to_string,
    to_float32,
)
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
    unscaled_decimal,
)

GOLDEN_FILE = Path(__file__).parent / "json_converter_golden.txt"


def read_golden() -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for line in GOLDEN_FILE.read_text().splitlines():
        name, hexed = line.split(" ", 1)
        out[name] = None if hexed == "null" else bytes.fromhex(hexed)
    return out


def converter(schemas: bool = True, decimal_format: str = "BASE64", replace_null: bool = True) -> JsonConverter:
    c = JsonConverter()
    c.configure({"schemas.enable": str(schemas).lower(), "decimal.format": decimal_format, "replace.null.with.default": str(replace_null)})
    return c


UTC = dt.UTC
INNER = SchemaBuilder.struct().name("com.example.Inner").optional().field("x", Schema.INT32_SCHEMA).build()
ALL = (
    SchemaBuilder.struct()
    .name("com.example.All")
    .version(2)
    .doc("every type")
    .parameter("p1", "v1")
    .field("i8", Schema.INT8_SCHEMA)
    .field("i16", Schema.INT16_SCHEMA)
    .field("i32", Schema.INT32_SCHEMA)
    .field("i64", Schema.INT64_SCHEMA)
    .field("f32", Schema.FLOAT32_SCHEMA)
    .field("f64", Schema.FLOAT64_SCHEMA)
    .field("bool", Schema.BOOLEAN_SCHEMA)
    .field("str", Schema.STRING_SCHEMA)
    .field("bytes", Schema.BYTES_SCHEMA)
    .field("opt", Schema.OPTIONAL_STRING_SCHEMA)
    .field("dflt", SchemaBuilder.int32().optional().default_value(42))
    .field("dec", Decimal.schema(2))
    .field("date", Date.SCHEMA)
    .field("time", Time.SCHEMA)
    .field("ts", Timestamp.SCHEMA)
    .field("arr", SchemaBuilder.array(Schema.STRING_SCHEMA))
    .field("smap", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA))
    .field("imap", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA))
    .field("inner", INNER)
    .build()
)
ALL_VALUE = (
    Struct(ALL)
    .put("i8", -8)
    .put("i16", 1600)
    .put("i32", -32000000)
    .put("i64", 6400000000000)
    .put("f32", 0.1)
    .put("f64", 1.0e20)
    .put("bool", True)
    .put("str", 'a"b\\c\n\t\x01\x1f\x7f\u00e9\u20ac\U0001f600/<>')
    .put("bytes", b"\x00\x01\x02\xff")
    .put("dec", decimal.Decimal("-12.34"))
    .put("date", dt.date(1970, 1, 1) + dt.timedelta(days=19000))
    .put("time", dt.time(12, 34, 56, 789000))
    .put("ts", dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC))
    .put("arr", ["x", "y"])
    .put("smap", {"k1": 1, "k2": 2})
    .put("imap", {7: "seven", 8: None})
    .put("inner", Struct(INNER).put("x", 5))
)
DEFAULTS = (
    SchemaBuilder.struct()
    .name("D")
    .field("s", SchemaBuilder.string().default_value("x"))
    .field("l", SchemaBuilder.array(Schema.INT16_SCHEMA).default_value([1, 2]))
    .field("b", SchemaBuilder.bytes().optional().default_value(b"\x09"))
    .field("ts", Timestamp.builder().default_value(dt.datetime(1970, 1, 1, tzinfo=UTC)))
    .build()
)


def strom_cases() -> dict[str, bytes | None]:
    doubles = [0.0, -0.0, 1.0, 0.001, 9.99e-4, 1234567.0, 1.0e7, 123456.789, 1.0e-5, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, -3.5e-7]
    floats = [0.1, 1.0e-10, 3.4028235e38, 16777216.0, 1.4e-45, -2.5, 1234567.0, 3.14159]
    return {
        "all_schemas": converter().from_connect_data("t", ALL, ALL_VALUE),
        "all_plain": converter(schemas=False).from_connect_data("t", ALL, ALL_VALUE),
        "all_numeric": converter(decimal_format="NUMERIC").from_connect_data("t", ALL, ALL_VALUE),
        "all_no_replace": converter(replace_null=False).from_connect_data("t", ALL, ALL_VALUE),
        "doubles": converter().from_connect_data("t", SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build(), doubles),
        "floats": converter().from_connect_data("t", SchemaBuilder.array(Schema.FLOAT32_SCHEMA).build(), floats),
        "schemaless": converter().from_connect_data("t", None, {"a": 1, "b": [True, None, "s"], "c": 2.5, "d": 12345678901}),
        "schemaless_plain": converter(schemas=False).from_connect_data("t", None, {"a": 1}),
        "schemaless_int_keys": converter().from_connect_data("t", None, {1: "x", 2: "y"}),
        "tombstone": converter().from_connect_data("t", None, None),
        "optional_null": converter().from_connect_data("t", Schema.OPTIONAL_STRING_SCHEMA, None),
        "default_top": converter().from_connect_data("t", SchemaBuilder.string().optional().default_value("d").build(), None),
        "decimal_negative_scale": converter(decimal_format="NUMERIC").from_connect_data("t", Decimal.schema(-2), decimal.Decimal("1.2E+3")),
        "decimal_small": converter(decimal_format="NUMERIC").from_connect_data("t", Decimal.schema(10), decimal.Decimal("1.23E-8")),
        "decimal_small_base64": converter().from_connect_data(
            "t", Decimal.schema(10), unscaled_decimal(-123456789012345678901234567890, 10)
        ),
        "schema_defaults": converter().from_connect_data("t", DEFAULTS, Struct(DEFAULTS)),
        "plain_string": converter(schemas=False).from_connect_data("t", Schema.STRING_SCHEMA, "hello"),
        "plain_bool": converter(schemas=False).from_connect_data("t", Schema.BOOLEAN_SCHEMA, False),
    }


def test_bytes_equal_kafkas_json_converter() -> None:
    golden = read_golden()
    ours = strom_cases()
    assert set(ours) == set(golden)
    for name, expected in golden.items():
        assert ours[name] == expected, name


def test_reads_kafkas_bytes_back() -> None:
    golden = read_golden()
    back = converter().to_connect_data("t", golden["all_schemas"])
    assert back.schema == ALL
    expected = Struct(ALL)
    for f in ALL.fields():
        expected.put(f, ALL_VALUE.get(f))  # the default was written for the null field
    expected.put("f32", to_float32(0.1))
    assert back.value == expected
    numeric = converter(decimal_format="NUMERIC").to_connect_data("t", golden["all_numeric"])
    assert numeric.value.get("dec") == decimal.Decimal("-12.34")
    no_replace = converter(replace_null=False).to_connect_data("t", golden["all_no_replace"])
    assert no_replace.value.get_without_default("dflt") is None
    schemaless = converter().to_connect_data("t", golden["schemaless"])
    assert schemaless == SchemaAndValue(None, {"a": 1, "b": [True, None, "s"], "c": 2.5, "d": 12345678901})
    assert converter().to_connect_data("t", golden["schemaless_int_keys"]).value == [[1, "x"], [2, "y"]]  # arrays without a schema
    small = converter().to_connect_data("t", golden["decimal_small_base64"]).value
    assert small == decimal.Decimal("-12345678901234567890.1234567890")
    defaults = converter().to_connect_data("t", golden["schema_defaults"])
    assert defaults.schema == DEFAULTS
    assert converter(schemas=False).to_connect_data("t", golden["plain_bool"]) == SchemaAndValue(None, False)
    assert converter().to_connect_data("t", None) == SchemaAndValue.NULL


def test_java_number_formatting() -> None:
    assert [java_double_to_string(x) for x in (1e7, 9999999.0, 1e-3, 9.99e-4, -0.0, math.inf, 5e-324)] == [
        "1.0E7",
        "9999999.0",
        "0.001",
        "9.99E-4",
        "-0.0",
        "Infinity",
        "4.9E-324",
    ]
    assert [java_float_to_string(x) for x in (0.1, 3.4028235e38, 1.4e-45, 16777216.0, 1.1)] == [
        "0.1",
        "3.4028235E38",
        "1.4E-45",
        "1.6777216E7",
        "1.1",
    ]


def test_errors_as_kafka() -> None:
    c = converter()
    with pytest.raises(DataException, match='requires "schema" and "payload" fields'):
        c.to_connect_data("t", b'{"a": 1}')
    with pytest.raises(DataException, match="Converting byte\\[\\] to Kafka Connect data failed due to serialization error"):
        c.to_connect_data("t", b"{nope")
    with pytest.raises(DataException, match="Unknown schema type: int128"):
        c.to_connect_data("t", b'{"schema":{"type":"int128"},"payload":1}')
    with pytest.raises(DataException, match="Invalid null value for required INT32 field"):
        c.to_connect_data("t", b'{"schema":{"type":"int32","optional":false},"payload":null}')
    with pytest.raises(DataException, match="Maps with string fields should be encoded as JSON objects, but found ARRAY"):
        c.to_connect_data("t", b'{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":[]}')
    with pytest.raises(DataException, match="Conversion error: null value for field that is required and has no default value"):
        c.from_connect_data("t", Schema.STRING_SCHEMA, None)
    with pytest.raises(DataException, match="Invalid type for Decimal, expected BigDecimal"):
        c.from_connect_data("t", Decimal.schema(2), 1.5)
    with pytest.raises(DataException, match="Mismatching schema."):
        c.from_connect_data("t", ALL, Struct(INNER).put("x", 1))


def test_plain_json_with_schemas_disabled() -> None:
    c = converter(schemas=False)
    value = c.to_connect_data("t", b'{"id": 7, "price": 1.25, "tags": ["a"], "ok": true, "none": null}').value
    assert value == {"id": 7, "price": 1.25, "tags": ["a"], "ok": True, "none": None}
    assert c.from_connect_data("t", None, value) == b'{"id":7,"price":1.25,"tags":["a"],"ok":true,"none":null}'


def test_encodings_detected_and_decimals_kept_as_json_loads_does() -> None:
    """The shared decoder (one per process, not one per record) still detects UTF-16/32 and a UTF-8 BOM from
    the first bytes, as Jackson does, keeps JSON numbers with a fraction exact, and rejects NaN."""
    c = converter(schemas=False)
    text = '{"price": 0.1, "name": "\u00e9t\u00e9"}'
    for data in (text.encode(), text.encode("utf-8-sig"), text.encode("utf-16-le"), text.encode("utf-16"), text.encode("utf-32")):
        value = c.to_connect_data("t", data).value
        assert value == {"price": 0.1, "name": "\u00e9t\u00e9"}
        assert c.from_connect_data("t", None, value) == b'{"price":0.1,"name":"\xc3\xa9t\xc3\xa9"}'
    assert converter().to_connect_data("t", b'{"schema":{"type":"double"},"payload":0.1}').value == 0.1
    with pytest.raises(DataException, match="serialization error"):
        c.to_connect_data("t", b'{"a": NaN}')


def test_string_and_byte_array_converters() -> None:
    s = StringConverter()
    s.configure({}, False)
    assert s.from_connect_data("t", Schema.STRING_SCHEMA, "h\u00e9") == "h\u00e9".encode()
    assert s.from_connect_data("t", None, 1.0) == b"1.0" and s.from_connect_data("t", None, True) == b"true"
    assert s.to_connect_data("t", b"x") == SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, "x")
    assert s.to_connect_data("t", None) == SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, None)
    latin = StringConverter()
    latin.configure({"converter.encoding": "ISO-8859-1"}, False)
    assert latin.from_connect_data("t", None, "\u00e9") == b"\xe9"
    b = ByteArrayConverter()
    b.configure({}, True)
    assert b.from_connect_data("t", Schema.BYTES_SCHEMA, b"\x00") == b"\x00"
    assert b.to_connect_data("t", b"\x01") == SchemaAndValue(Schema.OPTIONAL_BYTES_SCHEMA, b"\x01")
    with pytest.raises(DataException, match="Invalid schema type for ByteArrayConverter: STRING"):
        b.from_connect_data("t", Schema.STRING_SCHEMA, b"x")


# -- round trips of generated schemas and values

PRIMITIVES = [Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.BOOLEAN, Type.STRING, Type.BYTES]
LOGICAL = [Decimal.schema(0), Decimal.schema(3), Decimal.schema(-2), Date.SCHEMA, Time.SCHEMA, Timestamp.SCHEMA]


def _decorate(draw: st.DrawFn, builder: SchemaBuilder) -> Schema:
    if draw(st.booleans()):
        builder.optional()
    if draw(st.booleans()):
        builder.name(draw(st.text(min_size=1, max_size=8)))
    if draw(st.booleans()):
        builder.version(draw(st.integers(0, 2**31 - 1)))
    if draw(st.booleans()):
        builder.doc(draw(st.text(max_size=8)))
    if draw(st.booleans()):
        builder.parameters(draw(st.dictionaries(st.text(max_size=4), st.text(max_size=4), min_size=1, max_size=2)))
    return builder.build()


@st.composite
def schemas(draw: st.DrawFn, depth: int = 0) -> Schema:
    kind = draw(st.sampled_from(["primitive", "logical", "array", "map", "struct"] if depth < 2 else ["primitive", "logical"]))
    if kind == "primitive":
        return _decorate(draw, SchemaBuilder(draw(st.sampled_from(PRIMITIVES))))
    if kind == "logical":
        base = draw(st.sampled_from(LOGICAL))
        if not draw(st.booleans()):
            return base
        optional = SchemaBuilder(base.type).name(base.name).version(1).optional()
        return (optional.parameters(base.parameters) if base.parameters else optional).build()
    if kind == "array":
        return _decorate(draw, SchemaBuilder.array(draw(schemas(depth + 1))))
    if kind == "map":
        key = SchemaBuilder(draw(st.sampled_from(PRIMITIVES))).build()
        return _decorate(draw, SchemaBuilder.map(key, draw(schemas(depth + 1))))
    builder = SchemaBuilder.struct()
    for name in draw(st.lists(st.text(min_size=1, max_size=6), max_size=4, unique=True)):
        builder.field(name, draw(schemas(depth + 1)))
    return _decorate(draw, builder)


_INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}


def values_for(schema: Schema, nullable: bool = True) -> st.SearchStrategy[Any]:
    strategy = _non_null_values(schema)
    return st.one_of(st.none(), strategy) if schema.optional and nullable else strategy


def _non_null_values(schema: Schema) -> st.SearchStrategy[Any]:
    if schema.name == Decimal.LOGICAL_NAME:
        scale = int((schema.parameters or {})["scale"])
        return st.integers(-(10**30), 10**30).map(lambda u: unscaled_decimal(u, scale))
    if schema.name == Date.LOGICAL_NAME:
        return st.dates(min_value=dt.date(1, 1, 1))
    if schema.name == Time.LOGICAL_NAME:
        return st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
    if schema.name == Timestamp.LOGICAL_NAME:
        return st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)).map(
            lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=UTC)
        )
    t = schema.type
    if t in _INT_BITS:
        bits = _INT_BITS[t]
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if t is Type.FLOAT32:
        return st.floats(width=32, allow_nan=False, allow_infinity=False)
    if t is Type.FLOAT64:
        return st.floats(allow_nan=False, allow_infinity=False)
    if t is Type.BOOLEAN:
        return st.booleans()
    if t is Type.STRING:
        return st.text(max_size=10)
    if t is Type.BYTES:
        return st.binary(max_size=10)
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        return st.lists(values_for(schema.value_schema), max_size=3)
    if t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        return st.dictionaries(values_for(schema.key_schema), values_for(schema.value_schema), max_size=3)

    @st.composite
    def structs(draw: st.DrawFn) -> Struct:
        s = Struct(schema)
        for f in schema.fields():
            s.put(f, draw(values_for(f.schema)))
        return s

    return structs()


@st.composite
def schema_and_value(draw: st.DrawFn) -> tuple[Schema, Any]:
    schema = draw(schemas())
    return schema, draw(values_for(schema))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_and_value(), st.sampled_from(["BASE64", "NUMERIC"]))
def test_round_trip_with_schemas(sv: tuple[Schema, Any], decimal_format: str) -> None:
    schema, value = sv
    c = converter(decimal_format=decimal_format)
    data = c.from_connect_data("t", schema, value)
    # the writers compiled per schema write what the reference (a JSON tree, then Jackson's text) writes
    assert (
        data == b'{"schema":' + dumps_jackson(c.as_json_schema(schema)) + b',"payload":' + dumps_jackson(c._to_json(schema, value)) + b"}"
    )
    back = c.to_connect_data("t", data)
    assert back.schema == schema
    assert back.value == value
    assert converter(decimal_format=decimal_format).from_connect_data("t", back.schema, back.value) == data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(json_values, st.booleans())
def test_round_trip_schemaless(value: Any, schemas_enabled: bool) -> None:
    c = converter(schemas=schemas_enabled)
    data = c.from_connect_data("t", None, value)
    if value is None:
        assert data is None
        return
    assert c.to_connect_data("t", data) == SchemaAndValue(None, value)


def test_schema_bytes_seen_before_are_not_parsed_again_but_still_checked() -> None:
    c = converter()
    first = c.to_connect_data("t", b'{"schema":{"type":"int32","optional":false},"payload":1}')
    again = c.to_connect_data("t", b'{"schema":{"type":"int32","optional":false},"payload":2}')
    assert (first.value, again.value) == (1, 2) and again.schema == Schema.INT32_SCHEMA
    with pytest.raises(DataException, match='requires "schema" and "payload" fields'):
        c.to_connect_data("t", b'{"schema":{"type":"int32","optional":false},"payload":3,"extra":1}')
    with pytest.raises(DataException, match="serialization error"):
        c.to_connect_data("t", b'{"schema":{"type":"int32","optional":false},"payload":3 4}')
    other = c.to_connect_data("t", b'{"schema":{"type":"int32","optional":false} , "payload":5}')  # other spacing
    assert other == SchemaAndValue(Schema.INT32_SCHEMA, 5)


def test_settings_as_kafka() -> None:
    c = JsonConverter()
    c.configure({"decimal.format": "Numeric", "schemas.enable": "FALSE", "unrelated": "x"}, True)
    assert c.decimal_numeric and not c.schemas_enabled and c.is_key
    with pytest.raises(ConfigException, match="String must be one of \\(case insensitive\\): BASE64, NUMERIC"):
        JsonConverter().configure({"decimal.format": "hex"})
