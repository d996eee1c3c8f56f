"""Serdes: Java's byte formats (checked against known Java output here; against Java itself in a slow test)."""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.streams.errors import SerializationException
from strom.streams.serdes import (
    JsonSerde,
    Serde,
    Serdes,
    TimeWindowedDeserializer,
    WindowedSerdes,
    serde_from_config,
)
from strom.streams.windowed import SessionWindow, TimeWindow, Windowed

LONGS = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
INTS = st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1)
SHORTS = st.integers(min_value=-(1 << 15), max_value=(1 << 15) - 1)


def round_trip(serde: Serde, value, topic: str = "t"):
    return serde.deserializer().deserialize(topic, serde.serializer().serialize(topic, value))


@given(LONGS)
def test_long_round_trip(v: int) -> None:
    assert round_trip(Serdes.Long(), v) == v


@given(INTS)
def test_integer_round_trip(v: int) -> None:
    assert round_trip(Serdes.Integer(), v) == v


@given(SHORTS)
def test_short_round_trip(v: int) -> None:
    assert round_trip(Serdes.Short(), v) == v


@given(st.text())
def test_string_round_trip(v: str) -> None:
    assert round_trip(Serdes.String(), v) == v


@given(st.floats(allow_nan=False))
def test_double_round_trip(v: float) -> None:
    assert round_trip(Serdes.Double(), v) == v


@given(st.floats(width=32, allow_nan=False))
def test_float_round_trip(v: float) -> None:
    assert round_trip(Serdes.Float(), v) == v


@given(st.binary())
def test_bytes_round_trip(v: bytes) -> None:
    assert round_trip(Serdes.ByteArray(), v) == v
    assert round_trip(Serdes.Bytes(), v) == v


@given(st.uuids())
def test_uuid_round_trip(v: uuid.UUID) -> None:
    assert round_trip(Serdes.UUID(), v) == v


@settings(max_examples=40)
@given(st.recursive(st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=8))
def test_json_round_trip(v: object) -> None:
    assert round_trip(JsonSerde(), v) == v


def test_java_byte_layouts() -> None:
    """Bytes as Java's serializers write them."""
    assert Serdes.Long().serializer().serialize("t", 1) == b"\x00" * 7 + b"\x01"
    assert Serdes.Long().serializer().serialize("t", -1) == b"\xff" * 8
    assert Serdes.Integer().serializer().serialize("t", 258) == b"\x00\x00\x01\x02"
    assert Serdes.Short().serializer().serialize("t", -2) == b"\xff\xfe"
    assert Serdes.Double().serializer().serialize("t", 1.5) == bytes.fromhex("3ff8000000000000")
    assert Serdes.Float().serializer().serialize("t", 1.5) == bytes.fromhex("3fc00000")
    assert Serdes.String().serializer().serialize("t", "hé") == "hé".encode()
    assert Serdes.Boolean().serializer().serialize("t", True) == b"\x01"
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert Serdes.UUID().serializer().serialize("t", u) == b"12345678-1234-5678-1234-567812345678"
    assert JsonSerde().serializer().serialize("t", {"a": [1, "é"]}) == '{"a":[1,"é"]}'.encode()
    assert math.isnan(Serdes.Double().deserializer().deserialize("t", bytes.fromhex("7ff8000000000000")))


def test_nulls_stay_null() -> None:
    for serde in (Serdes.String(), Serdes.Long(), Serdes.Integer(), Serdes.Double(), Serdes.ByteArray(), Serdes.UUID(), JsonSerde()):
        assert serde.serializer().serialize("t", None) is None
        assert serde.deserializer().deserialize("t", None) is None


def test_wrong_sizes_and_values_fail() -> None:
    with pytest.raises(SerializationException, match="Size of data received by LongDeserializer is not 8"):
        Serdes.Long().deserializer().deserialize("t", b"\x00" * 4)
    with pytest.raises(SerializationException, match="IntegerDeserializer is not 4"):
        Serdes.Integer().deserializer().deserialize("t", b"\x00")
    with pytest.raises(SerializationException):
        Serdes.Long().serializer().serialize("t", 1 << 63)
    with pytest.raises(SerializationException):
        Serdes.String().deserializer().deserialize("t", b"\xff")
    with pytest.raises(ValueError, match="VoidDeserializer"):
        Serdes.Void().deserializer().deserialize("t", b"x")


def test_time_windowed_layout_and_round_trip() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.String(), 100)
    key = Windowed("k", TimeWindow(1000, 1100))
    data = serde.serializer().serialize("t", key)
    assert data == b"k" + (1000).to_bytes(8, "big")
    back = serde.deserializer().deserialize("t", data)
    assert back == key and str(back) == "[k@1000/1100]"
    # a changelog key carries a 4-byte sequence number after the start
    changelog = TimeWindowedDeserializer(Serdes.String().deserializer(), 100, is_changelog_topic=True)
    assert changelog.deserialize("t", data + b"\x00\x00\x00\x07") == key


def test_time_window_end_capped_at_long_max() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.Long(), 100)
    start = (1 << 63) - 50
    back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", Windowed(1, TimeWindow(start, start + 1))))
    assert back is not None and back.window.end_ms == (1 << 63) - 1


@given(st.text(), st.integers(0, 1 << 40), st.integers(0, 1 << 40))
def test_session_windowed_layout_and_round_trip(k: str, start: int, length: int) -> None:
    serde = WindowedSerdes.session_windowed_serde_from(Serdes.String())
    key = Windowed(k, SessionWindow(start, start + length))
    data = serde.serializer().serialize("t", key)
    assert data == k.encode() + (start + length).to_bytes(8, "big") + start.to_bytes(8, "big")
    assert serde.deserializer().deserialize("t", data) == key


def test_serde_from_config_names() -> None:
    assert isinstance(serde_from_config("org.apache.kafka.common.serialization.Serdes$StringSerde").serializer().serialize("t", "x"), bytes)
    assert serde_from_config("Serdes.Long").serializer().serialize("t", 2) == (2).to_bytes(8, "big")
    assert serde_from_config(Serdes.Integer).serializer().serialize("t", 2) == (2).to_bytes(4, "big")
    with pytest.raises(ValueError):
        serde_from_config("com.example.Nope")


@settings(max_examples=40)
@given(st.lists(st.none() | INTS), st.lists(st.none() | st.text()), st.lists(st.none() | st.uuids()))
def test_list_round_trip(ints: list, texts: list, uuids: list) -> None:
    assert round_trip(Serdes.ListSerde(Serdes.Integer()), ints) == ints
    assert round_trip(Serdes.ListSerde(Serdes.String()), texts) == texts
    assert round_trip(Serdes.ListSerde(Serdes.UUID()), uuids) == uuids


def test_list_java_layout() -> None:
    """Java's bytes (Kafka 3.9's ListSerializer; checked live in the slow Java golden test)."""
    assert Serdes.ListSerde(Serdes.Integer()).serializer().serialize("t", [1, None, -3]) == bytes.fromhex(
        "0000000001000000010000000300000001fffffffd"
    )
    assert Serdes.ListSerde(Serdes.String()).serializer().serialize("t", ["a", None, "bcd"]) == bytes.fromhex(
        "01000000030000000161ffffffff00000003626364"
    )
    with pytest.raises(SerializationException):
        Serdes.ListSerde(Serdes.String()).deserializer().deserialize("t", bytes.fromhex("0100000003000000"))
