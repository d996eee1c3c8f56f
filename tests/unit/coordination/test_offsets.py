"""__consumer_offsets records in Kafka's formats, group partitioning, and the committed-offset store."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.coordination.offsets import (
    CommittedOffset,
    OffsetStore,
    StoredGroup,
    StoredMember,
    group_key,
    group_value,
    java_string_hash,
    offset_key,
    offset_value,
    parse_group_value,
    parse_key,
    parse_offset_value,
    partition_for,
)
from strom.protocol.errors import CorruptMessage

names = st.text(min_size=0, max_size=30)
int32 = st.integers(-(2**31), 2**31 - 1)
int64 = st.integers(-(2**63), 2**63 - 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a", 97),
        ("hello", 99162322),
        ("polygenelubricants", -(2**31)),  # Integer.MIN_VALUE: Utils.abs maps it to 0
        ("\U0001f600", 0xD83D * 31 + 0xDE00),  # UTF-16 surrogate pair, as Java counts chars
    ],
)
def test_java_string_hash(text: str, expected: int) -> None:
    assert java_string_hash(text) == expected


def test_partition_for_uses_kafka_abs() -> None:
    assert partition_for("polygenelubricants", 50) == 0
    assert partition_for("hello", 50) == 99162322 % 50
    neg = java_string_hash("console-consumer-1")
    assert partition_for("console-consumer-1", 50) == (neg & 0x7FFFFFFF) % 50


@given(names, st.integers(1, 1000))
def test_partition_in_range(group: str, n: int) -> None:
    assert 0 <= partition_for(group, n) < n


def test_offset_key_layout_is_kafkas() -> None:
    assert offset_key("g", "t", 3) == struct.pack(">hh1sh1si", 1, 1, b"g", 1, b"t", 3)
    assert group_key("g") == struct.pack(">hh1s", 2, 1, b"g")


def test_offset_value_v3_layout_is_kafkas() -> None:
    value = offset_value(CommittedOffset(42, 7, "m", 1000))
    assert value == struct.pack(">hqih1sq", 3, 42, 7, 1, b"m", 1000)


@given(names, names, int32)
def test_keys_round_trip(group: str, topic: str, partition: int) -> None:
    assert parse_key(offset_key(group, topic, partition)) == (group, topic, partition)
    assert parse_key(group_key(group)) == (group, None, None)


@given(int64, int32, names, int64, st.one_of(st.just(-1), st.integers(0, 2**62)))
def test_offset_value_round_trip(offset: int, epoch: int, metadata: str, ts: int, expire: int) -> None:
    c = CommittedOffset(offset, epoch if expire < 0 else -1, metadata, ts, expire)
    assert parse_offset_value(offset_value(c)) == c


def test_old_offset_value_versions() -> None:
    v0 = struct.pack(">hqh2sq", 0, 5, 2, b"md", 99)
    assert parse_offset_value(v0) == CommittedOffset(5, -1, "md", 99)
    with pytest.raises(CorruptMessage):
        parse_offset_value(struct.pack(">hq", 9, 1))
    with pytest.raises(CorruptMessage):
        parse_key(struct.pack(">hh1s", 7, 1, b"g"))


members = st.builds(
    StoredMember,
    names,
    st.one_of(st.none(), names),
    names,
    names,
    int32,
    int32,
    st.binary(max_size=40),
    st.binary(max_size=40),
)


@given(names, int32, st.one_of(st.none(), names), st.one_of(st.none(), names), int64, st.lists(members, max_size=4))
def test_group_value_round_trip(ptype: str, gen: int, proto: str | None, leader: str | None, ts: int, ms: list[StoredMember]) -> None:
    g = StoredGroup(ptype, gen, proto, leader, ts, tuple(ms))
    assert parse_group_value(group_value(g)) == g


def test_group_value_v0_without_instance_ids_or_timeouts() -> None:
    v0 = struct.pack(">hh8sih5sh1si", 0, 8, b"consumer", 3, 5, b"range", 1, b"m", 1)
    v0 += struct.pack(">h1sh1sh9si", 1, b"m", 1, b"c", 9, b"/10.0.0.1", 10000)
    v0 += struct.pack(">i2si1s", 2, b"su", 1, b"a")
    g = parse_group_value(v0)
    assert g.generation_id == 3 and g.protocol_name == "range" and g.leader_id == "m"
    assert g.members == (StoredMember("m", None, "c", "/10.0.0.1", 10000, 10000, b"su", b"a"),)


def test_store_replays_records_and_tombstones() -> None:
    s = OffsetStore()
    s.apply_record(offset_key("g", "t", 0), offset_value(CommittedOffset(1, -1, "", 10)))
    s.apply_record(offset_key("g", "t", 0), offset_value(CommittedOffset(5, 2, "x", 20)))
    s.apply_record(offset_key("g", "t", 1), offset_value(CommittedOffset(7, -1, "", 20)))
    s.apply_record(offset_key("g", "t", 1), None)
    s.apply_record(group_key("g"), group_value(StoredGroup("consumer", 4, None, None, 5, ())))
    s.apply_record(None, b"ignored")
    assert s.for_group("g") == {("t", 0): CommittedOffset(5, 2, "x", 20)}
    assert s.stored_groups["g"].generation_id == 4
    s.apply_record(group_key("g"), None)
    assert "g" not in s.stored_groups


def test_expiry_of_simple_and_consumer_groups() -> None:
    s = OffsetStore()
    s.commit("simple", "t", 0, CommittedOffset(1, -1, "", 100))
    s.commit("simple", "t", 1, CommittedOffset(1, -1, "", 500))
    assert s.expire("simple", 1100, 1000, None) == [("t", 0)]
    assert s.expire("simple", 1500, 1000, None) == [("t", 1)]
    assert not s.has_group("simple")
    # KIP-211: a consumer group's offsets age from when the group became empty, not from the commit
    s.commit("cg", "t", 0, CommittedOffset(1, -1, "", 100))
    assert s.expire("cg", 5000, 1000, 4500) == []
    assert s.expire("cg", 5500, 1000, 4500) == [("t", 0)]
    s.commit("old", "t", 0, CommittedOffset(1, -1, "", 100, expire_timestamp=200))
    assert s.expire("old", 200, 10**9, None) == [("t", 0)]


def test_delete_group_returns_its_partitions() -> None:
    s = OffsetStore()
    s.commit("g", "t", 1, CommittedOffset(1, -1, "", 0))
    s.commit("g", "a", 0, CommittedOffset(1, -1, "", 0))
    assert s.delete_group("g") == [("a", 0), ("t", 1)]
    assert s.fetch("g", "t", 1) is None
