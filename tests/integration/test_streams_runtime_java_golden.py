"""Kafka Streams 3.9 itself (jars from Maven Central) against the bytes Strom's Streams runtime writes besides its
stores' plain records, both ways: the commit metadata of input offsets (TopicPartitionMetadata), the suppress
buffer's changelog values (BufferValue with the record context and buffer time), the foreign-key join's
subscription and response wrappers and its value hash (Murmur3.hash128). So a Java instance of an application
resumes from Strom's commits, restores Strom's suppress buffers and reads Strom's foreign-key join topics, and the
other way round."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from strom.streams.kstream.internals.fk_join import (
    Instruction,
    Serdes2,
    SubscriptionResponseWrapper,
    SubscriptionResponseWrapperSerde,
    SubscriptionWrapper,
    SubscriptionWrapperSerde,
)
from strom.streams.kstream.internals.murmur3 import hash128
from strom.streams.runtime.topic_partition_metadata import decode, encode
from strom.streams.serdes import Serdes
from strom.streams.state.api import ProcessorRecordContext
from strom.streams.state.internals.buffer_value import BufferValue
from strom.testing.apache_kafka import kafka_libs, kafka_streams_jar

pytestmark = [pytest.mark.java, pytest.mark.slow]

SOURCE = Path(__file__).resolve().parent / "streams_java" / "RuntimeGolden.java"
CONTEXT = ProcessorRecordContext(1_700_000_000_123, 42, 3, "input-topic", [("h", b"1"), ("nullvalue", None)])
BARE = ProcessorRecordContext(5, 0, 0, "t", [])
LEFT_HASH = hash128(b"left value")
SERDES = Serdes2(Serdes.String(), Serdes.String(), Serdes.String(), Serdes.String())
SUBSCRIPTIONS = SubscriptionWrapperSerde(SERDES, "t")
RESPONSES = SubscriptionResponseWrapperSerde(SERDES, "t")


def _hex(data: bytes | None) -> str:
    assert data is not None
    return data.hex()


STROM_WRITTEN = [
    "metadata:" + encode(1_700_000_000_000),
    "metadata:" + encode(5, {"x": 1, "yz": -5}),
    "metadata:" + encode(-1),
    "buffer:" + BufferValue(b"old", b"old", b"new", CONTEXT).serialize(60_000).hex(),
    "buffer:" + BufferValue(b"p", b"o", None, BARE).serialize(10).hex(),
    "subscription:" + _hex(SUBSCRIPTIONS.serializer().serialize("t", SubscriptionWrapper(LEFT_HASH, Instruction(3), "pk1", 2))),
    "subscription:" + _hex(SUBSCRIPTIONS.serializer().serialize("t", SubscriptionWrapper(None, Instruction(1), "pk2", 0))),
    "response:" + _hex(RESPONSES.serializer().serialize("t", SubscriptionResponseWrapper(LEFT_HASH, "right", 1))),
    "response:" + _hex(RESPONSES.serializer().serialize("t", SubscriptionResponseWrapper(None, None, 1))),
]


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], list[str]]:
    work = tmp_path_factory.mktemp("java")
    proc = subprocess.run(
        ["java", "-cp", f"{kafka_streams_jar()}:{kafka_libs()}/*", str(SOURCE), *STROM_WRITTEN],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work,
        check=True,
    )
    lines = proc.stdout.splitlines()
    values = {line.split(" ")[0]: line.split(" ", 1)[1] for line in lines if not line.startswith("read ")}
    return values, [line.split(" ", 1)[1] for line in lines if line.startswith("read ")]


def test_commit_metadata_both_ways(java: tuple[dict[str, str], list[str]]) -> None:
    values, read = java
    assert decode(values["metadata_123456"]) == (123456, {})
    assert decode(values["metadata_7000_a3"]) == (7000, {"a": 3})
    assert encode(123456) == values["metadata_123456"]
    assert encode(-1) == values["metadata_unknown"]
    assert encode(7000, {"a": 3}) == values["metadata_7000_a3"]
    assert [r for r in read if r.startswith("metadata ")] == ["metadata 1700000000000 {}", "metadata 5 {x=1, yz=-5}", "metadata -1 {}"]


def test_suppress_buffer_changelog_values_both_ways(java: tuple[dict[str, str], list[str]]) -> None:
    values, read = java
    cases: dict[str, tuple[Any, int]] = {
        "buffer_first_put": (BufferValue(b"old", b"old", b"new", CONTEXT), 60_000),
        "buffer_no_old": (BufferValue(None, None, b"new", BARE), 10),
        "buffer_tombstone": (BufferValue(b"p", b"o", None, BARE), 10),
        "buffer_prior_equal_old": (BufferValue(b"same", b"same", b"n", BARE), 10),
    }
    for name, (entry, time) in cases.items():
        assert entry.serialize(time).hex() == values[name], name
        assert BufferValue.deserialize(bytes.fromhex(values[name])) == (entry, time), name
    assert [r for r in read if r.startswith("buffer ")] == [
        "buffer 1700000000123 42 input-topic 3 [h=31,nullvalue=null,] 6f6c64 6f6c64 6e6577 60000",
        "buffer 5 0 t 0 [] 70 6f null 10",
    ]


def test_foreign_key_join_wrappers_and_hash_both_ways(java: tuple[dict[str, str], list[str]]) -> None:
    values, read = java
    assert f"[{', '.join(map(str, hash128(b'')))}]" == values["murmur_empty"]
    assert f"[{', '.join(map(str, hash128(b'fifteen bytes!!')))}]" == values["murmur_15"]
    assert f"[{', '.join(map(str, hash128(b'thirty-three bytes of input data!')))}]" == values["murmur_33"]
    assert STROM_WRITTEN[5] == "subscription:" + values["subscription_hash"]
    assert STROM_WRITTEN[6] == "subscription:" + values["subscription_no_hash"]
    assert STROM_WRITTEN[7] == "response:" + values["response_hash"]
    assert STROM_WRITTEN[8] == "response:" + values["response_null"]
    sub = SUBSCRIPTIONS.deserializer().deserialize("t", bytes.fromhex(values["subscription_hash"]))
    assert sub is not None and (sub.hash, sub.instruction, sub.primary_key, sub.primary_partition) == (LEFT_HASH, Instruction(3), "pk1", 2)
    resp = RESPONSES.deserializer().deserialize("t", bytes.fromhex(values["response_null"]))
    assert resp is not None and (resp.hash, resp.foreign_value) == (None, None)
    h = f"[{LEFT_HASH[0]}, {LEFT_HASH[1]}]"
    assert [r for r in read if not r.startswith(("metadata ", "buffer "))] == [
        f"subscription 1 PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE {h} pk1 2",
        "subscription 1 DELETE_KEY_AND_PROPAGATE null pk2 0",
        f"response 0 {h} right",
        "response 0 null null",
    ]
