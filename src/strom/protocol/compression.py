"""The four Kafka codecs behind one interface: compress(codec, data) / decompress(codec, data).

Codec ids are the batch attribute values: 1 gzip, 2 snappy, 3 lz4, 4 zstd. Snappy uses the xerial
framing that the Java client writes (and librdkafka reads and writes); raw snappy is accepted on decode.
LZ4 is the standard frame format, as Kafka 0.10+ and librdkafka use for magic v2.
"""

from __future__ import annotations

import gzip
import struct
import zlib

import cramjam

from strom.protocol.errors import CorruptMessage

NONE, GZIP, SNAPPY, LZ4, ZSTD = 0, 1, 2, 3, 4
CODEC_NAMES = {NONE: "none", GZIP: "gzip", SNAPPY: "snappy", LZ4: "lz4", ZSTD: "zstd"}
CODEC_IDS = {name: codec for codec, name in CODEC_NAMES.items()}

_XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = _XERIAL_MAGIC + struct.pack(">ii", 1, 1)
_XERIAL_BLOCK = 32 * 1024
_I32 = struct.Struct(">i")

Buffer = bytes | bytearray | memoryview


def compress(codec: int, data: Buffer) -> bytes:
    if codec == GZIP:
        return gzip.compress(bytes(data), compresslevel=6, mtime=0)
    if codec == SNAPPY:
        return _xerial_compress(data)
    if codec == LZ4:
        return _lz4_frame(data)
    if codec == ZSTD:
        return bytes(cramjam.zstd.compress(bytes(data), level=3))
    if codec == NONE:
        return bytes(data)
    raise ValueError(f"unknown compression codec {codec}")


def _lz4_frame(data: Buffer) -> bytes:
    """An LZ4 frame with independent blocks: Kafka's Java reader rejects linked blocks
    ("Dependent block stream is unsupported"), which is cramjam's default."""
    compressor = cramjam.lz4.Compressor(content_checksum=False, block_linked=False)
    compressor.compress(bytes(data))
    return bytes(compressor.finish().read())


def decompress(codec: int, data: Buffer) -> bytes:
    try:
        if codec == GZIP:
            return gzip.decompress(bytes(data))
        if codec == SNAPPY:
            return _snappy_decompress(data)
        if codec == LZ4:
            return bytes(cramjam.lz4.decompress(bytes(data)))
        if codec == ZSTD:
            return bytes(cramjam.zstd.decompress(bytes(data)))
        if codec == NONE:
            return bytes(data)
    except CorruptMessage:
        raise
    except (OSError, EOFError, zlib.error, ValueError, cramjam.DecompressionError) as exc:
        raise CorruptMessage(f"cannot decompress {CODEC_NAMES.get(codec, codec)} data: {exc}") from exc
    raise CorruptMessage(f"unknown compression codec {codec}")


def _xerial_compress(data: Buffer) -> bytes:
    out = bytearray(_XERIAL_HEADER)
    view = memoryview(data)
    for start in range(0, len(view), _XERIAL_BLOCK):
        block = bytes(cramjam.snappy.compress_raw(bytes(view[start : start + _XERIAL_BLOCK])))
        out += _I32.pack(len(block))
        out += block
    return bytes(out)


def _snappy_decompress(data: Buffer) -> bytes:
    view = memoryview(data)
    if bytes(view[:8]) != _XERIAL_MAGIC:
        return bytes(cramjam.snappy.decompress_raw(bytes(view)))
    out = bytearray()
    pos = 16
    while pos < len(view):
        if pos + 4 > len(view):
            raise CorruptMessage("truncated xerial snappy block length")
        size = _I32.unpack_from(view, pos)[0]
        pos += 4
        if size < 0 or pos + size > len(view):
            raise CorruptMessage("xerial snappy block runs past the data")
        out += bytes(cramjam.snappy.decompress_raw(bytes(view[pos : pos + size])))
        pos += size
    return bytes(out)
