"""Kafka Streams 3.9 itself (jars from Maven Central) against Strom's state stores: the window and session store keys
(the stores' and the changelogs' key layout), timestamped values, and the .checkpoint file, both ways. So a
changelog or a state directory written by one is read by the other."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from strom.streams.serdes import Serdes
from strom.streams.state.api import ValueAndTimestamp
from strom.streams.state.internals.key_schemas import SessionKeySchema, WindowKeySchema
from strom.streams.state.internals.value_and_timestamp_serde import ValueAndTimestampSerde
from strom.streams.state.offset_checkpoint import OffsetCheckpoint
from strom.testing.apache_kafka import kafka_libs, kafka_streams_jar

pytestmark = [pytest.mark.java, pytest.mark.slow]

SOURCE = Path(__file__).resolve().parent / "streams_java" / "StateGolden.java"


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path, list[str]]:
    work = tmp_path_factory.mktemp("java")
    OffsetCheckpoint(work / "strom.checkpoint").write({("t", 1): 5, ("other.topic", 0): -4, ("t", 0): 0})
    proc = subprocess.run(
        [
            "java",
            "-cp",
            f"{kafka_streams_jar()}:{kafka_libs()}/*",
            str(SOURCE),
            str(work / "java.checkpoint"),
            str(work / "strom.checkpoint"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work,
        check=True,
    )
    lines = proc.stdout.splitlines()
    values = {line.split(" ")[0]: line.split(" ", 1)[1] for line in lines if not line.startswith("checkpoint_read ")}
    return values, work / "java.checkpoint", [line.split(" ", 1)[1] for line in lines if line.startswith("checkpoint_read ")]


def test_window_and_session_keys_equal_javas(java: tuple[dict[str, str], Path, list[str]]) -> None:
    values, _, _ = java
    assert WindowKeySchema.to_store_key_binary(b"word", 1_700_000_000_000, 7).hex() == values["window_key"]
    assert WindowKeySchema.to_store_key_binary(b"word", 0, 0).hex() == values["window_key_seq0"]
    assert SessionKeySchema.to_binary(struct.pack(">q", 42), 1000, 5000).hex() == values["session_key"]


def test_timestamped_value_bytes_equal_javas(java: tuple[dict[str, str], Path, list[str]]) -> None:
    values, _, _ = java
    serde = ValueAndTimestampSerde(Serdes.Long())
    data = serde.serializer().serialize("t", ValueAndTimestamp(42, 1_700_000_000_000))
    assert data is not None and data.hex() == values["value_and_timestamp"]
    assert serde.deserializer().deserialize("t", bytes.fromhex(values["value_and_timestamp"])) == ValueAndTimestamp(42, 1_700_000_000_000)


def test_checkpoint_files_read_both_ways(java: tuple[dict[str, str], Path, list[str]]) -> None:
    _, java_file, java_read = java
    assert OffsetCheckpoint(java_file).read() == {("app-counts-changelog", 0): 1234, ("app-counts-changelog", 3): 0}
    assert java_read == ["other.topic 0 -4", "t 0 0", "t 1 5"]
