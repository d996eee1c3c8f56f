"""The client's fast record codec against the reference codec in protocol/records.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.client.record_codec import BatchWriter, batch_payload, decode_into
from strom.client.types import TIMESTAMP_CREATE_TIME, Message
from strom.protocol.compression import CODEC_IDS
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import BatchBuilder, crc_ok, iter_batch_headers, iter_records

record = st.tuples(
    st.one_of(st.none(), st.binary(max_size=300)),
    st.one_of(st.none(), st.binary(max_size=40)),
    st.integers(0, 2**41),
    st.lists(st.tuples(st.text(max_size=6), st.one_of(st.none(), st.binary(max_size=20))), max_size=3),
)


def decode(data: bytes, position: int = 0) -> list[Message]:
    out: list[Message] = []
    for pos, h in iter_batch_headers(data):
        payload = batch_payload(data, pos, h.size, h.compression)
        decode_into(out, payload, h.records_count, h.base_offset, h.base_timestamp, None, position, "t", 0, -1, None, None)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(record, min_size=1, max_size=30), st.sampled_from(sorted(CODEC_IDS)))
def test_writer_matches_reference_builder_and_decoder(records: list, codec: str) -> None:  # type: ignore[type-arg]
    ours = BatchWriter(CODEC_IDS[codec])
    ref = BatchBuilder(compression_type=CODEC_IDS[codec])
    for value, key, ts, headers in records:
        ours.append(value, key, ts, headers)
        ref.append(value, key, ts, headers)
    built = ours.build()
    header = next(iter_batch_headers(built))[1]
    assert crc_ok(built, 0, header)
    if codec == "none":
        assert built == ref.build()
    expected = list(iter_records(built, 0))
    got = decode(built)
    assert [(m.offset(), m.timestamp(), m.key(), m.value(), m.headers()) for m in got] == [
        (r.offset, (TIMESTAMP_CREATE_TIME, r.timestamp), r.key, r.value, r.headers or None) for r in expected
    ]


def test_records_before_the_position_are_skipped() -> None:
    w = BatchWriter()
    for i in range(10):
        w.append(b"v%d" % i, None, 1000 + i, None)
    assert [m.offset() for m in decode(w.build(), position=7)] == [7, 8, 9]


def test_truncated_batch_is_corrupt_not_a_crash() -> None:
    w = BatchWriter()
    w.append(b"x" * 100, b"k", 1, [("h", b"v")])
    payload = batch_payload(w.build(), 0, len(w.build()), 0)
    with pytest.raises(CorruptMessage):
        decode_into([], payload[:-5], 1, 0, 0, None, 0, "t", 0, -1, None, None)
