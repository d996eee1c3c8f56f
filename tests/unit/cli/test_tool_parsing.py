"""Pure logic of the command-line tools: argument formats Kafka's tools accept, and byte layouts they read."""

import json
import struct
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.cli.common import java_error, java_exception_name
from strom.cli.kafka_configs import parse_add_config, split_config_list
from strom.cli.kafka_consumer_groups import OffsetRow, decode_assignment, format_offsets, parse_datetime_ms, parse_duration_ms
from strom.cli.kafka_delete_records import parse_offset_json
from strom.cli.kafka_get_offsets import parse_time, partition_filter


def encode_assignment(parts: dict[str, list[int]], version: int = 0) -> bytes:
    out = struct.pack(">hi", version, len(parts))
    for topic, ps in parts.items():
        name = topic.encode()
        out += struct.pack(">h", len(name)) + name + struct.pack(">i", len(ps)) + b"".join(struct.pack(">i", p) for p in ps)
    return out + struct.pack(">i", -1)  # null user data


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.lists(st.integers(0, 2**31 - 1), max_size=8), max_size=5))
def test_assignment_decoding_round_trips(parts):
    assert decode_assignment(encode_assignment(parts)) == [(t, p) for t, ps in parts.items() for p in ps]


@given(st.binary(max_size=64))
def test_assignment_decoding_never_raises(data):
    decode_assignment(data)


def test_offsets_table_has_kafkas_columns_and_widths():
    rows = [OffsetRow("g", "a-much-longer-topic-name", 0, 10, 30, "-", "-", "-"), OffsetRow("g", "t", 1, None, 5, "-", "-", "-")]
    header, first, second = format_offsets(rows)
    assert header.split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]
    assert header.index("TOPIC") == 16 and header.index("PARTITION") == 16 + len("a-much-longer-topic-name") + 1
    assert first.split() == ["g", "a-much-longer-topic-name", "0", "10", "30", "20", "-", "-", "-"]
    assert second.split()[3:6] == ["-", "5", "-"]  # no committed offset: no lag


def test_datetime_and_duration_formats():
    assert parse_datetime_ms("2020-01-01T00:00:00.000Z") == int(datetime(2020, 1, 1, tzinfo=UTC).timestamp() * 1000)
    assert parse_datetime_ms("2020-01-01T01:00:00.5+01:00") == int(datetime(2020, 1, 1, tzinfo=UTC).timestamp() * 1000) + 500
    assert parse_datetime_ms("2020-01-01T00:00:00") == int(datetime(2020, 1, 1).timestamp() * 1000)
    assert parse_duration_ms("PT1H30M") == 5_400_000 and parse_duration_ms("P1DT2S") == 86_402_000
    for bad in ("2020-01-01", "yesterday"):
        with pytest.raises(ValueError):
            parse_datetime_ms(bad)
    for bad in ("P", "1H", "PT"):
        with pytest.raises(ValueError):
            parse_duration_ms(bad)


def test_add_config_lists_in_brackets():
    assert split_config_list("a=1,b=[x,y],c=2") == ["a=1", "b=[x,y]", "c=2"]
    assert parse_add_config("retention.ms=1000,cleanup.policy=[compact,delete]") == {
        "retention.ms": "1000",
        "cleanup.policy": "compact,delete",
    }
    with pytest.raises(ValueError):
        parse_add_config("novalue")


def test_get_offsets_time_and_partition_specs():
    assert [parse_time(t) for t in ("latest", "-1", "earliest", "-2", "max-timestamp", "1700000000000")] == [
        -1,
        -1,
        -2,
        -2,
        -3,
        1700000000000,
    ]
    with pytest.raises(ValueError):
        parse_time("soon")
    assert partition_filter("0,2-4,7-") == [(0, 0), (2, 4), (7, 2**31 - 1)]
    assert partition_filter("-3") == [(0, 2)]
    with pytest.raises(ValueError):
        partition_filter("x")


def test_delete_records_json():
    doc = {"partitions": [{"topic": "t", "partition": 0, "offset": 5}, {"topic": "t", "partition": 1, "offset": -1}], "version": 1}
    assert parse_offset_json(json.dumps(doc)) == {("t", 0): 5, ("t", 1): -1}
    for bad in ("{", '{"version": 1}', '{"partitions": [{"topic": "t"}]}'):
        with pytest.raises(ValueError):
            parse_offset_json(bad)
    dup = {"partitions": [{"topic": "t", "partition": 0, "offset": 5}] * 2}
    with pytest.raises(ValueError, match="duplicate"):
        parse_offset_json(json.dumps(dup))


def test_java_exception_names():
    assert java_exception_name(3) == "UnknownTopicOrPartitionException"
    assert java_exception_name(69) == "GroupIdNotFoundException"
    assert java_exception_name(68) == "GroupNotEmptyException"
    assert java_error(69) == "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist."
    assert java_exception_name(9999).endswith("Exception")
