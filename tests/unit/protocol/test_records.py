"""Record batches: our builder/reader against kafka-python's (a dev-only oracle), CRC and rewrites."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

from strom.protocol import compression
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import (
    BatchBuilder,
    crc_ok,
    iter_records,
    read_batch_header,
    set_base_offset,
    set_log_append_time,
    split_batches_strict,
)

records_st = st.lists(
    st.tuples(
        st.one_of(st.none(), st.binary(max_size=50)),
        st.one_of(st.none(), st.binary(max_size=200)),
        st.lists(st.tuples(st.text(max_size=10), st.one_of(st.none(), st.binary(max_size=20))), max_size=3),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(records_st, st.sampled_from([0, 1, 2, 3, 4]))
def test_build_then_iterate_round_trips(recs, codec):
    builder = BatchBuilder(compression_type=codec)
    for i, (key, value, headers) in enumerate(recs):
        builder.append(value, key=key, timestamp=1_000 + i, headers=headers)
    raw = bytearray(builder.build())
    header = read_batch_header(raw)
    assert crc_ok(raw, 0, header)
    assert header.records_count == len(recs) and header.compression == codec
    set_base_offset(raw, 0, 500)
    out = list(iter_records(raw))
    assert [(r.key, r.value, r.headers) for r in out] == [(k, v, h) for k, v, h in recs]
    assert [r.offset for r in out] == list(range(500, 500 + len(recs)))
    assert [r.timestamp for r in out] == [1_000 + i for i in range(len(recs))]


@pytest.mark.parametrize("codec", [0, 1])
def test_kafka_python_reads_our_batches(codec):
    builder = BatchBuilder(compression_type=codec)
    for i in range(20):
        builder.append(b"v%d" % i, key=b"k", timestamp=7, headers=[("h", b"x")])
    raw = bytearray(builder.build())
    set_base_offset(raw, 0, 1000)
    theirs = DefaultRecordBatch(bytes(raw))
    assert theirs.validate_crc()
    assert [(r.offset, r.value) for r in theirs] == [(1000 + i, b"v%d" % i) for i in range(20)]


@pytest.mark.parametrize("codec", [0, 1])
def test_we_read_kafka_python_batches(codec):
    theirs = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=codec,
        is_transactional=False,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for i in range(50):
        theirs.append(i, 1000 + i, b"key", b"val%d" % i, [("a", b"b")])
    raw = bytes(theirs.build())
    assert crc_ok(raw, 0, read_batch_header(raw))
    recs = list(iter_records(raw))
    assert recs[7].value == b"val7" and recs[7].timestamp == 1007 and recs[7].headers == [("a", b"b")]


def test_log_append_time_keeps_crc_valid_and_sets_timestamps():
    builder = BatchBuilder()
    builder.append(b"x", timestamp=1)
    raw = bytearray(builder.build())
    set_log_append_time(raw, 0, 99)
    header = read_batch_header(raw)
    assert crc_ok(raw, 0, header) and header.timestamp_type == 1 and header.max_timestamp == 99
    assert next(iter_records(raw)).timestamp == 99


def test_flipped_byte_fails_crc():
    builder = BatchBuilder()
    builder.append(b"hello")
    raw = bytearray(builder.build())
    raw[-1] ^= 0xFF
    assert not crc_ok(raw, 0, read_batch_header(raw))


def test_partial_tail_is_corrupt():
    builder = BatchBuilder()
    builder.append(b"hello")
    raw = builder.build()
    with pytest.raises(CorruptMessage):
        split_batches_strict(raw + raw[:30])
    assert len(split_batches_strict(raw + raw)) == 2


@given(st.binary(max_size=300), st.sampled_from([1, 2, 3, 4]))
def test_decompressing_garbage_raises_corrupt_message(data, codec):
    try:
        compression.decompress(codec, data)
    except CorruptMessage:
        pass
