"""RegexRouter, TimestampRouter and Filter, with the cases of Kafka's tests, and the Java text rules behind
them (SimpleDateFormat patterns, regex replacement strings, Double.toString)."""

from __future__ import annotations

import datetime as dt

import pytest

from strom.connect.api import ConfigException
from strom.connect.data import Schema
from strom.connect.errors import DataException
from strom.connect.transforms import _java
from strom.connect.transforms.cast import cast_value_to_type
from strom.connect.transforms.filter import Filter
from strom.connect.transforms.regex_router import RegexRouter
from strom.connect.transforms.timestamp_router import TimestampRouter

from .conftest import sink, source


def route(regex: str, replacement: str, topic: str) -> str:
    router = RegexRouter()
    router.configure({"regex": regex, "replacement": replacement})
    out = router.apply(source({}, topic=topic))
    assert out is not None
    return out.topic


def test_regex_router() -> None:
    assert route("foo", "bar", "foo") == "bar"
    assert route("foo", "bar", "orig") == "orig"
    assert route("foo", "bar", "foo-suffix") == "foo-suffix"  # the whole name must match
    assert route("(.*)", "$1", "orig") == "orig"
    assert route("(.*)", "prefix-$1", "orig") == "prefix-orig"
    assert route("(.*)", "$1-suffix", "orig") == "orig-suffix"
    assert route("(.*)-(\\d\\d\\d\\d\\d\\d\\d\\d)", "$1", "index-20160117") == "index"
    assert route("(?<db>[a-z]+)\\.(?<table>[a-z]+)", "${table}_from_${db}", "shop.orders") == "orders_from_shop"
    assert route("(.*)", "\\$1 costs \\\\$1", "x") == "$1 costs \\x"
    assert route("\\Qdb.public.\\E(.*)", "$1", "db.public.orders") == "orders"
    assert route("\\Qdb.public.\\E(.*)", "$1", "dbXpublicXorders") == "dbXpublicXorders"


def test_regex_router_keeps_the_rest_of_the_record() -> None:
    router = RegexRouter()
    router.configure({"regex": "a", "replacement": "b"})
    record = sink({"v": 1}, key="k", topic="a", offset=5, timestamp=9)
    out = router.apply(record)
    assert (out.topic, out.key, out.value, out.kafka_offset, out.timestamp) == ("b", "k", {"v": 1}, 5, 9)


def test_regex_router_config_errors() -> None:
    with pytest.raises(ConfigException, match="for configuration regex"):
        RegexRouter().configure({"regex": "(", "replacement": "x"})
    with pytest.raises(ConfigException, match="No group 2"):
        RegexRouter().configure({"regex": "(a)", "replacement": "$2"})
    with pytest.raises(ConfigException, match='Missing required configuration "replacement"'):
        RegexRouter().configure({"regex": "a"})


def test_timestamp_router() -> None:
    router = TimestampRouter()
    router.configure({})
    assert router.apply(source({}, topic="test", timestamp=1483425001864)).topic == "test-20170103"
    custom = TimestampRouter()
    custom.configure({"topic.format": "${timestamp}_${topic}", "timestamp.format": "yyyy.MM.dd'T'HH-mm-ss.SSS"})
    assert custom.apply(source({}, topic="t", timestamp=1483425001864)).topic == "2017.01.03T06-30-01.864_t"
    with pytest.raises(DataException, match="Timestamp missing on record"):
        router.apply(source({}, topic="t", timestamp=None))
    with pytest.raises(ConfigException, match="Illegal pattern character 'b'"):
        TimestampRouter().configure({"timestamp.format": "yyyyb"})


def test_filter_drops_everything() -> None:
    xform = Filter()
    xform.configure({})
    assert xform.apply(source({"a": 1})) is None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyyMMdd", "20231231"),
        ("yy-M-d H:m:s", "23-12-31 13:5:7"),
        ("EEE, d MMM yyyy hh:mm a", "Sun, 31 Dec 2023 01:05 PM"),
        ("EEEE MMMM D", "Sunday December 365"),
        ("YYYY-'W'ww u", "2024-W01 7"),  # US weeks: the week holding January 1 is week 1 of the next year
        ("k K S SSS z Z X G ''", "13 1 123 123 UTC +0000 Z AD '"),
    ],
)
def test_simple_date_format(pattern: str, expected: str) -> None:
    when = dt.datetime(2023, 12, 31, 13, 5, 7, 123456, tzinfo=dt.UTC)
    assert _java.SimpleDateFormat(pattern).format(when) == expected


def cast_to_string(value: float, schema: Schema) -> str:
    text: str = cast_value_to_type(schema, value, Schema.STRING_SCHEMA.type)
    return text


@pytest.mark.parametrize(
    ("value", "double", "single"),
    [
        (1.0, "1.0", "1.0"),
        (0.1, "0.1", "0.1"),
        (-2.5e-10, "-2.5E-10", "-2.5E-10"),
        (12345678.9, "1.23456789E7", "1.2345679E7"),
        (1e21, "1.0E21", "1.0E21"),
        (0.0001, "1.0E-4", "1.0E-4"),
        (float("nan"), "NaN", "NaN"),
        (float("-inf"), "-Infinity", "-Infinity"),
    ],
)
def test_java_number_text(value: float, double: str, single: str) -> None:
    # Cast's text of float64 / float32 values
    assert cast_to_string(value, Schema.FLOAT64_SCHEMA) == double
    assert cast_to_string(value, Schema.FLOAT32_SCHEMA) == single
