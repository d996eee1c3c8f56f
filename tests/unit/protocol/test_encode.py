"""Struct.encode / encode_into / encode_parts agree: the same bytes whichever way large record sets travel.

encode() leaves record sets of DEFER_RECORDS bytes or more out of its buffer and joins them into the result in
one copy; encode_into() copies them into the caller's buffer; encode_parts() leaves file regions out for
sendfile. The bytes on the wire must not depend on the path.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.protocol import compiler
from strom.protocol.schema.fetch import FetchableTopicResponse, FetchResponse, PartitionData
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, TopicProduceData


class Region:
    """A file region as the broker hands it to the encoder: only its size is read here."""

    def __init__(self, size: int) -> None:
        self.size = size


def fetch(records: list[object]) -> FetchResponse:
    partitions = [PartitionData(partition_index=i, high_watermark=10, records=r) for i, r in enumerate(records)]
    return FetchResponse(responses=[FetchableTopicResponse(topic="t", partitions=partitions)])


def by_encode_into(msg: object, version: int) -> bytes:
    out = bytearray()
    msg.encode_into(out, version)  # type: ignore[attr-defined]
    return bytes(out)


SIZES = [0, 1, compiler.DEFER_RECORDS - 1, compiler.DEFER_RECORDS, 70_000]


@pytest.mark.parametrize("version", [4, 11, 12, 16])  # classic and flexible encodings
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_encode_joins_large_record_sets_into_the_same_bytes(version, kind):
    records = [kind(bytes([i % 251]) * size) for i, size in enumerate(SIZES)] + [None]
    msg = fetch(records)
    raw = msg.encode(version)
    assert isinstance(raw, bytes) and raw == by_encode_into(msg, version)
    decoded, end = FetchResponse.decode(raw, version)
    assert end == len(raw) and [p.records for p in decoded.responses[0].partitions] == [None if r is None else bytes(r) for r in records]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 3 * compiler.DEFER_RECORDS), max_size=6), st.sampled_from([3, 9]))
def test_produce_encodes_the_same_whatever_the_record_sizes(sizes, version):
    partitions = [PartitionProduceData(index=i, records=bytes(size)) for i, size in enumerate(sizes)]
    msg = ProduceRequest(acks=1, timeout_ms=5, topic_data=[TopicProduceData(name="t", partition_data=partitions)])
    assert msg.encode(version) == by_encode_into(msg, version)


def test_file_regions_go_through_encode_parts_only():
    inline = b"x" * (2 * compiler.DEFER_RECORDS)
    region = Region(100)
    msg = fetch([inline, region])
    parts = msg.encode_parts(12)
    assert len(parts) == 3 and parts[1] is region  # the in-memory records stay in the buffer for the socket
    assert inline in bytes(parts[0]) and len(bytes(parts[2])) < 100
    with pytest.raises(TypeError, match="encode_parts"):
        msg.encode(12)
    with pytest.raises(TypeError, match="encode_parts"):
        msg.encode_into(bytearray(), 12)
