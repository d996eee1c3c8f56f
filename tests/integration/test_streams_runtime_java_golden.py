"""Kafka Streams 3.9 itself (jars from Maven Central) against what Strom's Streams runtime writes besides stores:
the commit metadata of input offsets (TopicPartitionMetadata), both ways. So a Java instance resumes stream time
from Strom's commits and Strom from Java's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from strom.streams.runtime.topic_partition_metadata import decode, encode
from strom.testing.apache_kafka import kafka_libs, kafka_streams_jar

pytestmark = [pytest.mark.java, pytest.mark.slow]

SOURCE = Path(__file__).resolve().parent / "streams_java" / "RuntimeGolden.java"
STROM_METADATA = [encode(1_700_000_000_000), encode(5, {"x": 1, "yz": -5}), encode(-1)]


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    work = tmp_path_factory.mktemp("java")
    proc = subprocess.run(
        ["java", "-cp", f"{kafka_streams_jar()}:{kafka_libs()}/*", str(SOURCE), *STROM_METADATA],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work,
        check=True,
    )
    return proc.stdout.splitlines()


def _values(lines: list[str]) -> dict[str, str]:
    return {line.split(" ")[0]: line.split(" ", 1)[1] for line in lines if not line.startswith("metadata_read ")}


def test_commit_metadata_written_by_java_is_read_by_strom(java: list[str]) -> None:
    values = _values(java)
    assert decode(values["metadata_123456"]) == (123456, {})
    assert decode(values["metadata_unknown"]) == (-1, {})
    assert decode(values["metadata_7000_a3"]) == (7000, {"a": 3})
    # the strings Strom writes for the same metadata are Java's (tests/unit and the broker test rely on them)
    assert encode(123456) == values["metadata_123456"]
    assert encode(-1) == values["metadata_unknown"]
    assert encode(7000, {"a": 3}) == values["metadata_7000_a3"]


def test_commit_metadata_written_by_strom_is_read_by_java(java: list[str]) -> None:
    read = [line.split(" ", 2)[2] for line in java if line.startswith("metadata_read ")]
    assert read == ["1700000000000 {}", "5 {x=1, yz=-5}", "-1 {}"]
