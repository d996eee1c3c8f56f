"""PostgreSQL text values -> Debezium's Connect values and schemas (decimal.handling.mode, time.precision.mode)."""

from __future__ import annotations

import decimal

from strom.connect.connectors.postgres import values as v
from strom.connect.connectors.postgres.pgoutput import UNCHANGED_TOAST
from strom.connect.connectors.postgres.schema import ColumnInfo, TableSchema, topic_name
from strom.connect.data import Decimal, Struct, Type


def convert(oid: int, text: str, typmod: int = -1, **modes: str) -> object:
    return v.column_type(oid, typmod, **modes).convert(text)


def test_integers_floats_booleans() -> None:
    assert convert(v.INT2, "-7") == -7 and v.column_type(v.INT2, -1).connect_type == "INT16"
    assert convert(v.INT8, "9223372036854775807") == 2**63 - 1
    assert convert(v.FLOAT8, "1.5e-10") == 1.5e-10
    assert convert(v.BOOL, "t") is True and convert(v.BOOL, "f") is False
    assert convert(v.BIT, "1", 1) is True


def test_numeric_modes() -> None:
    typmod = ((10 << 16) | 2) + 4  # numeric(10,2)
    t = v.column_type(v.NUMERIC, typmod)
    assert (t.connect_type, t.name, t.parameters) == ("BYTES", Decimal.LOGICAL_NAME, {"scale": "2", "connect.decimal.precision": "10"})
    assert t.convert("1.5") == decimal.Decimal("1.50")
    assert convert(v.NUMERIC, "1.5", typmod, decimal_handling_mode="double") == 1.5
    assert convert(v.NUMERIC, "1.5", typmod, decimal_handling_mode="string") == "1.50"
    unconstrained = v.column_type(v.NUMERIC, -1)
    assert (unconstrained.connect_type, unconstrained.name) == ("STRUCT", "io.debezium.data.VariableScaleDecimal")
    assert unconstrained.convert("-12.345") == {"scale": 3, "value": (-12345).to_bytes(2, "big", signed=True)}
    assert convert(v.MONEY, "-$1,234.50") == decimal.Decimal("-1234.50")


def test_temporal_adaptive() -> None:
    assert convert(v.DATE, "2024-01-02") == 19724
    assert convert(v.DATE, "1969-12-31") == -1
    micro_time = v.column_type(v.TIME, -1)
    assert (micro_time.name, micro_time.convert("10:11:12.5")) == ("io.debezium.time.MicroTime", 36_672_500_000)
    milli_time = v.column_type(v.TIME, 3)
    assert (milli_time.name, milli_time.convert("10:11:12.5")) == ("io.debezium.time.Time", 36_672_500)
    ts = v.column_type(v.TIMESTAMP, -1)
    assert (ts.name, ts.convert("2024-01-02 03:04:05.678")) == ("io.debezium.time.MicroTimestamp", 1_704_164_645_678_000)
    assert v.column_type(v.TIMESTAMP, 3).convert("2024-01-02 03:04:05.678") == 1_704_164_645_678
    assert convert(v.TIMESTAMP, "2024-01-02 03:04:05", time_precision_mode="connect") == 1_704_164_645_000
    assert convert(v.INTERVAL, "1 day 02:00:00") == 93_600_000_000
    assert convert(v.INTERVAL, "1 mon -00:00:01") == int(30.4375 * 86_400e6) - 1_000_000


def test_zoned_values_are_utc_iso8601() -> None:
    assert convert(v.TIMESTAMPTZ, "2024-01-02 03:04:05.123456+00") == "2024-01-02T03:04:05.123456Z"
    # the fraction as wide as the column's precision (6 by default), as Debezium 2.5 writes it
    assert convert(v.TIMESTAMPTZ, "2024-01-02 03:04:05.5+05:30") == "2024-01-01T21:34:05.500000Z"
    assert convert(v.TIMESTAMPTZ, "2024-01-02 03:04:05-08") == "2024-01-02T11:04:05.000000Z"
    assert convert(v.TIMESTAMPTZ, "2024-01-02 03:04:05.5+00", 2) == "2024-01-02T03:04:05.50Z"
    assert convert(v.TIMESTAMPTZ, "2024-01-02 03:04:05+00", 0) == "2024-01-02T03:04:05Z"
    assert convert(v.TIMETZ, "10:00:00.25+02") == "08:00:00.25Z"


def test_text_like_and_binary() -> None:
    assert convert(v.BYTEA, "\\x0102ff") == b"\x01\x02\xff"
    assert convert(v.BYTEA, "a\\\\b\\001") == b"a\\b\x01"
    assert v.column_type(v.UUID, -1).name == "io.debezium.data.Uuid"
    assert v.column_type(v.JSONB, -1).name == "io.debezium.data.Json"
    assert convert(v.BIT, "101", 3) == b"\x05"
    assert v.column_type(12345, -1).connect_type == "STRING"  # unknown types: their text


def test_table_schema_names_fallbacks_and_toast() -> None:
    cols = [ColumnInfo("id", v.INT4, -1, False), ColumnInfo("name", v.TEXT, -1, False), ColumnInfo("note", v.TEXT, -1, True)]
    t = TableSchema("srv", "public", "t", cols, ["id"])
    assert t.topic == "srv.public.t" and topic_name("srv", "my schema", "t$1") == "srv.my_schema.t_1"
    assert t.key_schema is not None and t.key_schema.name == "srv.public.t.Key"
    assert t.value_schema.name == "srv.public.t.Value" and t.value_schema.optional
    assert t.envelope_schema.name == "srv.public.t.Envelope"
    assert [f.name for f in t.envelope_schema.fields()] == ["before", "after", "source", "op", "ts_ms", "transaction"]
    assert [(f.name, f.schema.type, f.schema.optional) for f in t.value_schema.fields()] == [
        ("id", Type.INT32, False),
        ("name", Type.STRING, False),
        ("note", Type.STRING, True),
    ]
    # a delete under REPLICA IDENTITY DEFAULT carries only the key: NOT NULL columns get Debezium's fallback
    before = t.row((b"7", None, None))
    assert (before.get("id"), before.get("name"), before.get("note")) == (7, "", None)
    toasted = t.row((b"7", UNCHANGED_TOAST, UNCHANGED_TOAST))
    assert toasted.get("name") == "__debezium_unavailable_value"
    key = t.key((b"7", b"x", None))
    assert isinstance(key, Struct) and key.get("id") == 7
    assert TableSchema("srv", "public", "nopk", cols, []).key((b"1", b"x", None)) is None


def test_infinities_and_nan_as_debezium_writes_them() -> None:
    assert (convert(v.DATE, "infinity"), convert(v.DATE, "-infinity")) == (-2_147_472_692, -2_147_472_691)  # streamed
    assert v.SNAPSHOT_INFINITE_DAYS == {"infinity": -622_191_234, "-infinity": -625_821_272}
    assert convert(v.TIMESTAMP, "infinity") == 9_223_372_036_825_200_000
    assert convert(v.TIMESTAMP, "-infinity", 3) == -9_223_372_036_832_400
    assert convert(v.TIMESTAMPTZ, "-infinity") == "-infinity"
    assert convert(v.NUMERIC, "NaN", ((6 << 16) | 2) + 4) is None and convert(v.NUMERIC, "NaN") is None
    assert convert(v.FLOAT8, "-Infinity") == float("-inf")


def test_array_text() -> None:
    assert v.parse_array("{}") == []
    assert v.parse_array("{1,NULL,3}") == ["1", None, "3"]
    assert v.parse_array('{"a b","c,d",NULL,"e\\"f","NULL",""}') == ["a b", "c,d", None, 'e"f', "NULL", ""]
    assert v.parse_array("{{1,2},{3,4}}") == [None, None]  # nested: as Debezium 2.5
    assert v.parse_array("[0:1]={7,8}") == ["7", "8"]


def test_enums_and_arrays_resolved_from_the_catalog() -> None:
    enum = v.resolved_type(v.PgType(16400, labels=("sad", "ok")), -1)
    assert (enum.connect_type, enum.name, enum.parameters, enum.convert("ok")) == (
        "STRING",
        "io.debezium.data.Enum",
        {"allowed": "sad,ok"},
        "ok",
    )
    numerics = v.resolved_type(v.PgType(1231, element=v.PgType(v.NUMERIC)), ((5 << 16) | 2) + 4)
    assert numerics.connect_type == "ARRAY" and numerics.element is not None and numerics.element.parameters["scale"] == "2"
    assert numerics.convert("{1.5,NULL}") == [decimal.Decimal("1.50"), None]


def test_hstore_point_ltree_and_unknown_geometry_as_debezium_gives_them() -> None:
    """hstore: a JSON object in java.util.HashMap's key order (io.debezium.data.Json) or, with
    hstore.handling.mode=map, a Connect MAP; point: io.debezium.data.geometry.Point with its WKB; ltree:
    io.debezium.data.Ltree; box, circle and the other geometric types Debezium does not know: left out."""
    assert v.parse_hstore('"a"=>"1", "b c"=>NULL, "q"=>"x\\"y\\\\z"') == {"a": "1", "b c": None, "q": 'x"y\\z'}
    assert v.parse_hstore("") == {}
    assert v.java_hash_map_order(["n", "b c", "a"]) == ["a", "b c", "n"]  # buckets 1, 4, 14 of 16
    # 13 keys: the map resized to 32 buckets; "k1".hashCode() = 3366 -> bucket 6, "k10" = 104394 ^ 1 -> 11, ...
    keys = [f"k{i}" for i in range(1, 14)]
    assert v.java_hash_map_order(keys) == ["k1", "k2", "k3", "k4", "k5", "k11", "k6", "k10", "k7", "k13", "k8", "k12", "k9"]
    hstore = v.resolved_type(v.PgType(16500, name="hstore"), -1)
    assert (hstore.connect_type, hstore.name) == ("STRING", "io.debezium.data.Json")
    assert hstore.convert('"n"=>NULL, "a"=>"1"') == '{"a":"1","n":null}'
    assert v.resolved_type(v.PgType(16500, name="hstore"), -1, hstore_handling_mode="map").convert('"a"=>"1"') == {"a": "1"}
    assert v.resolved_type(v.PgType(16600, name="ltree"), -1).name == "io.debezium.data.Ltree"
    assert v.point("(1.5,-2)") == {"x": 1.5, "y": -2.0, "wkb": bytes.fromhex("0101000000000000000000f83f00000000000000c0"), "srid": None}
    columns = [
        ColumnInfo("id", v.INT4, -1, False),
        ColumnInfo("pt", v.POINT, -1, True),
        ColumnInfo("bx", v.BOX, -1, True),
        ColumnInfo("hs", 16500, -1, True, pg_type=v.PgType(16500, name="hstore")),
    ]
    table = TableSchema("srv", "public", "g", columns, ["id"], hstore_handling_mode="map")
    assert [f.name for f in table.value_schema.fields()] == ["id", "pt", "hs"]
    pt = table.value_schema.field("pt").schema
    assert (pt.name, pt.doc) == ("io.debezium.data.geometry.Point", "Geometry (POINT)")
    assert [f.name for f in pt.fields()] == ["x", "y", "wkb", "srid"]
    assert table.value_schema.field("hs").schema.type is Type.MAP
    row = table.row([b"1", b"(0,0)", b"(1,1),(0,0)", b'"k"=>"v"'])
    assert row.get("pt").get("x") == 0.0 and row.get("hs") == {"k": "v"}
