"""What a leader does to produced batches before it appends them (Kafka's LogValidator): up-convert a pre-0.11
message set to a v2 batch, and re-encode batches whose codec differs from the topic's compression.type.

Everything else travels as the producer sent it: the log rewrites only the base offset (and LogAppendTime).
"""

from __future__ import annotations

from strom.protocol import compression
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import BatchBuilder, is_legacy_message_set, iter_batch_headers, iter_records, legacy_to_batch
from strom.storage.segment import Buffer

PRODUCER_CODEC = "producer"  # compression.type that keeps whatever the producer used


def codec_id(codec_name: str) -> int:
    """The record-batch attribute value of a compression.type other than 'producer'."""
    return 0 if codec_name == "uncompressed" else compression.CODEC_IDS[codec_name]


def recompress(data: Buffer, codec_name: str) -> bytes:
    """Re-encodes batches whose codec differs from the topic's compression.type (Kafka does the same)."""
    target = codec_id(codec_name)
    out = bytearray()
    for pos, header in iter_batch_headers(data):
        if header.compression == target:
            out += data[pos : pos + header.size]
            continue
        builder = BatchBuilder(
            compression_type=target,
            producer_id=header.producer_id,
            producer_epoch=header.producer_epoch,
            base_sequence=header.base_sequence,
            is_transactional=header.is_transactional,
        )
        for record in iter_records(data, pos):
            builder.append(record.value, record.key, record.timestamp, record.headers)
        out += builder.build()
    return bytes(out)


def validate_and_convert(data: Buffer, codec_name: str, legacy_allowed: bool) -> Buffer:
    """The bytes to append: v2 batches in the topic's codec. A legacy message set comes only from Produce v0-v2
    (`legacy_allowed`); newer requests carrying one are INVALID_RECORD."""
    if is_legacy_message_set(data):  # a pre-0.11 client (Produce v0-v2): the log stores v2 batches
        if not legacy_allowed:
            raise KafkaError(ErrorCode.INVALID_RECORD, "Produce v3+ carries only magic v2 record batches")
        data = legacy_to_batch(data)
    if codec_name != PRODUCER_CODEC:
        target = codec_id(codec_name)
        if any(h.compression != target for _, h in iter_batch_headers(data)):
            data = recompress(data, codec_name)
    return data
