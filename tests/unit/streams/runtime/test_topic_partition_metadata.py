"""The commit metadata of a task's input offsets in Java's TopicPartitionMetadata format (the strings here are
what Kafka Streams 3.9.1 writes and reads, checked by tests/integration/test_streams_runtime_java_golden.py)."""

from __future__ import annotations

import pytest

from strom.streams.runtime.topic_partition_metadata import decode, encode


def test_encode_matches_javas_bytes() -> None:
    assert encode(123456) == "AgAAAAAAAeJA"
    assert encode(-1) == "Av//////////"
    assert encode(7000, {"a": 3}) == "AgAAAAAAABtYAAAAAQAAAAFhAAAAAAAAAAM="


def test_decode_round_trip_and_versions() -> None:
    assert decode(encode(1_700_000_000_000, {"x": 1, "yz": -5})) == (1_700_000_000_000, {"x": 1, "yz": -5})
    assert decode("AQAAAAAAAAAF") == (5, {})  # version 1: the partition time only


@pytest.mark.parametrize("text", [None, "", "not base64!", "AwAAAAAAAAAF", "Ag=="])
def test_unreadable_metadata_is_unknown_time(text: str | None) -> None:
    assert decode(text) == (-1, {})
