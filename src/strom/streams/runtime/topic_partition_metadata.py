"""TopicPartitionMetadata: the metadata string a task commits with each input partition's offset.

Kafka Streams writes it so a task that restarts (here or on another instance) resumes its partition time, and with
it stream time, where the last commit left it: punctuation, window closing and grace go on as if nothing had
stopped. The format is Java's, so either side reads the other's commits: base64 of a version byte (2), the
partition time (8 bytes, big-endian) and the processor metadata (absent when empty; else a 4-byte entry count,
then per entry a 4-byte key length, the UTF-8 key and an 8-byte value). Version 1 has the partition time only.
Anything unreadable decodes as "unknown" (-1), as Java's does.
"""

from __future__ import annotations

import base64
import binascii
import logging
import struct

log = logging.getLogger("org.apache.kafka.streams.processor.internals.TopicPartitionMetadata")

LATEST_MAGIC_BYTE = 2
UNKNOWN = -1  # RecordQueue.UNKNOWN: no partition time yet

_HEAD = struct.Struct(">bq")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")


def serialize_processor_metadata(metadata: dict[str, int]) -> bytes:
    if not metadata:
        return b""
    out = [_INT.pack(len(metadata))]
    for key, value in metadata.items():
        raw = key.encode()
        out += (_INT.pack(len(raw)), raw, _LONG.pack(value))
    return b"".join(out)


def deserialize_processor_metadata(data: bytes) -> dict[str, int]:
    if not data:
        return {}
    (count,) = _INT.unpack_from(data, 0)
    pos = 4
    out: dict[str, int] = {}
    for _ in range(count):
        (size,) = _INT.unpack_from(data, pos)
        pos += 4
        key = data[pos : pos + size].decode()
        pos += size
        (out[key],) = _LONG.unpack_from(data, pos)
        pos += 8
    return out


def encode(partition_time: int, processor_metadata: dict[str, int] | None = None) -> str:
    raw = _HEAD.pack(LATEST_MAGIC_BYTE, partition_time) + serialize_processor_metadata(processor_metadata or {})
    return base64.b64encode(raw).decode("ascii")


def decode(text: str | None) -> tuple[int, dict[str, int]]:
    """(partition time, processor metadata) of a committed offset's metadata; (-1, {}) when there is none."""
    partition_time = UNKNOWN
    if not text:
        return partition_time, {}
    try:
        raw = base64.b64decode(text, validate=True)
        version = raw[0]
        if version in (1, LATEST_MAGIC_BYTE):
            (partition_time,) = _LONG.unpack_from(raw, 1)
            if version == LATEST_MAGIC_BYTE:
                return partition_time, deserialize_processor_metadata(raw[_HEAD.size :])
        else:
            log.warning("Unsupported offset metadata version found. Supported version <= %d. Found version %d.", LATEST_MAGIC_BYTE, version)
    except (binascii.Error, ValueError, IndexError, struct.error, UnicodeDecodeError):
        log.warning("Unsupported offset metadata found")
    return partition_time, {}
