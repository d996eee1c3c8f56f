"""Legacy message sets (magic v0/v1) against kafka-python's own legacy codec, the one its old-protocol producer
and consumer use: we decode what it builds, up-convert it to v2 batches losslessly, and it reads what we
down-convert."""

import pytest
from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder

from strom.protocol import compression
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import (
    BatchBuilder,
    batches_to_legacy,
    is_legacy_message_set,
    iter_legacy_messages,
    iter_records,
    legacy_to_batch,
)

MESSAGES = [(1_700_000_000_000 + i, b"key-%d" % i if i % 2 else None, b"value-%d" % i if i != 3 else None) for i in range(6)]


def kafka_python_set(magic: int, codec: int, offset: int = 0) -> bytes:
    builder = MemoryRecordsBuilder(magic=magic, compression_type=codec, batch_size=1 << 20, offset=offset)
    for ts, key, value in MESSAGES:
        builder.append(timestamp=ts, key=key, value=value)
    builder.close()
    return bytes(builder.buffer())


CODECS = [compression.NONE, compression.GZIP]  # kafka-python has no snappy/lz4 libraries here (and no zstd below v2)


@pytest.mark.parametrize("magic", [0, 1])
@pytest.mark.parametrize("codec", CODECS)
def test_decodes_kafka_python_message_sets(magic, codec):
    raw = kafka_python_set(magic, codec, offset=100)
    assert is_legacy_message_set(raw)
    messages = list(iter_legacy_messages(raw, strict=True))
    assert [(m.key, m.value) for m in messages] == [(k, v) for _, k, v in MESSAGES]
    offsets = [m.offset for m in messages]
    assert offsets == list(range(offsets[0], offsets[0] + 6))
    if codec == compression.NONE:  # (a client's compressed wrapper carries no meaningful offset: the broker assigns)
        assert offsets[0] == 100
    expected_ts = [ts for ts, _, _ in MESSAGES] if magic == 1 else [-1] * len(MESSAGES)
    assert [m.timestamp for m in messages] == expected_ts


@pytest.mark.parametrize("magic", [0, 1])
@pytest.mark.parametrize("codec", CODECS)
def test_up_conversion_keeps_every_message(magic, codec):
    batch = legacy_to_batch(kafka_python_set(magic, codec))
    assert not is_legacy_message_set(batch)
    records = list(iter_records(batch))
    assert [(r.key, r.value) for r in records] == [(k, v) for _, k, v in MESSAGES]
    assert [r.offset for r in records] == list(range(6))
    if magic == 1:
        assert [r.timestamp for r in records] == [ts for ts, _, _ in MESSAGES]
    assert batch[21 + 1] & 0x07 == codec  # the producer's codec is kept (attributes low byte)


@pytest.mark.parametrize("magic", [0, 1])
def test_kafka_python_reads_down_converted_batches(magic):
    builder = BatchBuilder(compression_type=compression.LZ4, base_offset=40)
    for ts, key, value in MESSAGES:
        builder.append(value, key=key, timestamp=ts)
    control = BatchBuilder(is_control=True, is_transactional=True, base_offset=46)
    control.append(b"\x00\x00\x00\x00\x00\x00", key=b"\x00\x00\x00\x00")
    legacy = batches_to_legacy(builder.build() + control.build(), magic)
    read = []
    records = MemoryRecords(legacy)
    while records.has_next():
        batch = records.next_batch()
        assert batch.magic == magic
        read += [(r.offset, r.timestamp if magic else None, r.key, r.value) for r in batch]
    expected = [(40 + i, ts if magic else None, k, v) for i, (ts, k, v) in enumerate(MESSAGES)]
    assert read == expected  # the control batch (a transaction marker) is not shown to old clients


def test_partial_trailing_batch_is_left_out_of_a_down_conversion():
    builder = BatchBuilder()
    builder.append(b"v", timestamp=1)
    whole = builder.build()
    legacy = batches_to_legacy(whole + whole[:30], 1)
    assert len(list(iter_legacy_messages(legacy))) == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw[:-1],  # truncated
        lambda raw: raw[:20] + bytes([raw[20] ^ 0xFF]) + raw[21:],  # CRC mismatch
        lambda raw: raw[:16] + b"\x07" + raw[17:],  # unknown magic
        lambda raw: raw + b"\x00" * 5,  # trailing garbage
        lambda raw: b"",
    ],
)
def test_malformed_produce_message_sets_are_corrupt(mutate):
    with pytest.raises(CorruptMessage):
        legacy_to_batch(mutate(kafka_python_set(1, compression.NONE)))


def test_nested_compression_is_corrupt():
    inner = kafka_python_set(1, compression.GZIP)
    outer = MemoryRecordsBuilder(magic=1, compression_type=compression.NONE, batch_size=1 << 20)
    outer.append(timestamp=1, key=None, value=b"x")
    outer.close()
    wrapper = bytearray(bytes(outer.buffer()))
    # Re-wrap: a gzip wrapper whose value is itself a compressed message set.
    from kafka.record.legacy_records import LegacyRecordBatchBuilder

    builder = LegacyRecordBatchBuilder(magic=1, compression_type=0, batch_size=1 << 20)
    builder.append(0, timestamp=1, key=None, value=compression.compress(compression.GZIP, inner))
    raw = bytearray(builder.build())
    raw[17] |= compression.GZIP  # mark it compressed, then fix its CRC
    import zlib

    raw[12:16] = zlib.crc32(raw[16:]).to_bytes(4, "big")
    assert wrapper  # the plain set above stays valid
    with pytest.raises(CorruptMessage):
        legacy_to_batch(bytes(raw))
