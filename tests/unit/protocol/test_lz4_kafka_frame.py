"""LZ4 frames must use independent blocks: Kafka's Java reader rejects linked ones (checked for real by
tests/integration/test_storage_kafka_layout.py with Kafka's DumpLogSegments)."""

from strom.protocol import compression


def test_lz4_frame_flags_are_what_kafka_reads():
    data = bytes(range(256)) * 2000  # several 64 KiB blocks
    frame = compression.compress(compression.LZ4, data)
    assert frame[:4] == b"\x04\x22\x4d\x18"
    flg = frame[4]
    assert flg >> 6 == 1  # version 01
    assert flg & 0x20  # block independence
    assert not flg & 0x08  # no content size (Kafka rejects it)
    assert compression.decompress(compression.LZ4, frame) == data
