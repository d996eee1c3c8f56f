"""The client's record hot path: v2 batch building and record decoding with as little Python per record
as possible (precomputed varints, one-byte varints parsed inline, one bytes copy per batch).

protocol/records.py is the general, strict codec (used by the broker and the tests as reference); this
module does the same job for the producer and consumer loops, where every microsecond per record counts.
Its output is checked against protocol/records.py in tests/unit/client/test_record_codec.py.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from strom import _native
from strom import checksum as _crc32c
from strom.client.types import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, Message
from strom.protocol import compression
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import (
    ATTRIBUTES_OFFSET,
    BATCH_HEADER_SIZE,
    COMPRESSION_MASK,
    CRC_OFFSET,
    CRC_START,
    LOG_OVERHEAD,
    MAGIC_V2,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    TRANSACTIONAL_MASK,
)

_HEADER = struct.Struct(">qiibIhiqqqhii")
_U32 = struct.Struct(">I")
_ZZ_MAX = 1 << 14


def zigzag(value: int) -> bytes:
    """Zig-zag varint (varlong) bytes of `value`."""
    raw = (value << 1) ^ (value >> 63)
    out = bytearray()
    while raw > 0x7F:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)
    return bytes(out)


_ZZ = [zigzag(v) for v in range(-1, _ZZ_MAX)]  # index v + 1


def _zz(value: int) -> bytes:
    return _ZZ[value + 1] if -1 <= value < _ZZ_MAX else zigzag(value)


class BatchWriter:
    """Accumulates records of one partition and builds one v2 batch (compressed once, CRC32C once)."""

    __slots__ = ("codec", "body", "count", "base_ts", "max_ts", "producer_id", "producer_epoch", "base_sequence")

    def __init__(self, codec: int = 0) -> None:
        self.codec = codec
        self.body = bytearray()
        self.count = 0
        self.base_ts = 0
        self.max_ts = -1
        self.producer_id = NO_PRODUCER_ID
        self.producer_epoch = -1
        self.base_sequence = NO_SEQUENCE

    def __len__(self) -> int:
        return self.count

    @property
    def estimated_size(self) -> int:
        return BATCH_HEADER_SIZE + len(self.body)

    def append(
        self, value: bytes | None, key: bytes | None, timestamp: int | None, headers: Sequence[tuple[str, bytes | None]] | None
    ) -> None:
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        count = self.count
        if count == 0:
            self.base_ts = ts
        if ts > self.max_ts:
            self.max_ts = ts
        delta = ts - self.base_ts
        tsd = _ZZ[delta + 1] if -1 <= delta < _ZZ_MAX else zigzag(delta)
        od = _ZZ[count + 1] if count < _ZZ_MAX else zigzag(count)
        if key is None:
            kp = b"\x01"
            klen = 0
        else:
            klen = len(key)
            kp = _ZZ[klen + 1] if klen < _ZZ_MAX else zigzag(klen)
        if value is None:
            vp = b"\x01"
            vlen = 0
        else:
            vlen = len(value)
            vp = _ZZ[vlen + 1] if vlen < _ZZ_MAX else zigzag(vlen)
        hp = _headers(headers) if headers else b"\x00"
        length = 1 + len(tsd) + len(od) + len(kp) + klen + len(vp) + vlen + len(hp)
        body = self.body
        body += _ZZ[length + 1] if length < _ZZ_MAX else zigzag(length)
        body += b"\x00"
        body += tsd
        body += od
        body += kp
        if key is not None:
            body += key
        body += vp
        if value is not None:
            body += value
        body += hp
        self.count = count + 1

    def build(self) -> bytes:
        if self.count == 0:
            raise ValueError("a record batch needs at least one record")
        payload: bytes | bytearray = self.body
        if self.codec:
            payload = compression.compress(self.codec, bytes(self.body))
        out = bytearray(
            _HEADER.pack(
                0,
                BATCH_HEADER_SIZE - LOG_OVERHEAD + len(payload),
                -1,
                MAGIC_V2,
                0,
                self.codec & COMPRESSION_MASK,
                self.count - 1,
                self.base_ts,
                self.max_ts,
                self.producer_id,
                self.producer_epoch,
                self.base_sequence,
                self.count,
            )
        )
        out += payload
        _U32.pack_into(out, CRC_OFFSET, _crc32c.crc32c(memoryview(out)[CRC_START:]))
        return bytes(out)


def _headers(headers: Sequence[tuple[str, bytes | None]]) -> bytes:
    out = bytearray(_zz(len(headers)))
    for name, value in headers:
        raw = name.encode()
        out += _zz(len(raw))
        out += raw
        if value is None:
            out += b"\x01"
        else:
            out += _zz(len(value))
            out += value
    return bytes(out)


def _varint(data: bytes, q: int) -> tuple[int, int]:
    """A multi-byte zig-zag varint at q (the one-byte case is parsed inline by the callers)."""
    raw = 0
    shift = 0
    while True:
        b = data[q]
        q += 1
        raw |= (b & 0x7F) << shift
        if b < 0x80:
            return (raw >> 1) ^ -(raw & 1), q
        shift += 7
        if shift > 63:
            raise CorruptMessage("varint longer than 10 bytes")


def decode_into(
    out: list[Message],
    data: bytes,
    count: int,
    base_offset: int,
    base_ts: int,
    log_append_ts: int | None,
    position: int,
    topic: str,
    partition: int,
    leader_epoch: int,
    key_fn: Callable[[Any], Any] | None,
    value_fn: Callable[[Any], Any] | None,
) -> None:
    """Appends a Message for each record at or after `position`.

    `data` is the (decompressed) records section of one batch; a record that runs past it is corrupt."""
    q = 0
    n = len(data)
    first = len(out)
    try:
        for _ in range(count):
            b = data[q]
            if b < 0x80:
                length = (b >> 1) ^ -(b & 1)
                q += 1
            elif data[q + 1] < 0x80:
                raw = (b & 0x7F) | (data[q + 1] << 7)
                length = (raw >> 1) ^ -(raw & 1)
                q += 2
            else:
                length, q = _varint(data, q)
            end = q + length
            if length < 0 or end > n:
                raise CorruptMessage("record length runs past the batch")
            q += 1  # attributes
            b = data[q]
            if b < 0x80:
                tsd = (b >> 1) ^ -(b & 1)
                q += 1
            else:
                tsd, q = _varint(data, q)
            b = data[q]
            if b < 0x80:
                od = (b >> 1) ^ -(b & 1)
                q += 1
            else:
                od, q = _varint(data, q)
            b = data[q]
            if b < 0x80:
                klen = (b >> 1) ^ -(b & 1)
                q += 1
            elif data[q + 1] < 0x80:
                raw = (b & 0x7F) | (data[q + 1] << 7)
                klen = (raw >> 1) ^ -(raw & 1)
                q += 2
            else:
                klen, q = _varint(data, q)
            if klen >= 0:
                key: Any = data[q : q + klen]
                q += klen
            else:
                key = None
            b = data[q]
            if b < 0x80:
                vlen = (b >> 1) ^ -(b & 1)
                q += 1
            elif data[q + 1] < 0x80:
                raw = (b & 0x7F) | (data[q + 1] << 7)
                vlen = (raw >> 1) ^ -(raw & 1)
                q += 2
            else:
                vlen, q = _varint(data, q)
            if vlen >= 0:
                value: Any = data[q : q + vlen]
                q += vlen
            else:
                value = None
            b = data[q]
            headers: list[tuple[str, bytes | None]] | None = None
            if b != 0:
                hcount, q = _varint(data, q)
                if hcount < 0 or hcount > end - q:
                    raise CorruptMessage("record header count does not fit the record")
                headers = []
                for _h in range(hcount):
                    hk, q = _varint(data, q)
                    if hk < 0 or hk > end - q:
                        raise CorruptMessage("record header key does not fit the record")
                    name = data[q : q + hk].decode("utf-8", "replace")
                    q += hk
                    hv, q = _varint(data, q)
                    if hv >= 0:
                        if hv > end - q:
                            raise CorruptMessage("record header value does not fit the record")
                        headers.append((name, data[q : q + hv]))
                        q += hv
                    else:
                        headers.append((name, None))
                if q != end:
                    raise CorruptMessage("record fields do not match its length")
            elif q + 1 != end:
                raise CorruptMessage("record fields do not match its length")
            q = end
            offset = base_offset + od
            if offset < position:
                continue
            if log_append_ts is None:
                ts = (TIMESTAMP_CREATE_TIME, base_ts + tsd)
            else:
                ts = (TIMESTAMP_LOG_APPEND_TIME, log_append_ts)
            out.append(Message(topic, partition, offset, key, value, headers, ts, None, leader_epoch))
    except IndexError:
        raise CorruptMessage("record batch is truncated") from None
    if key_fn is not None or value_fn is not None:  # outside the try: a deserializer's IndexError is its own
        for m in out[first:]:
            if key_fn is not None:
                m.set_key(key_fn(m.key()))
            if value_fn is not None:
                m.set_value(value_fn(m.value()))


# The pure-Python references, kept reachable for tests and STROM_NO_EXTENSIONS; the compiled twins replace them.
py_decode_into = decode_into
PyBatchWriter = BatchWriter

_fast = _native.load("strom.client._fast_codec")
if _fast is not None:
    decode_into = _fast.decode_into  # noqa: F811 - same contract, compiled
    BatchWriter = _fast.BatchWriter  # type: ignore[misc]


def batch_payload(records: Any, pos: int, size: int, codec: int) -> bytes:
    """The records section of the batch at `pos` as bytes, decompressed."""
    raw = memoryview(records)[pos + BATCH_HEADER_SIZE : pos + size]
    return compression.decompress(codec, raw) if codec else bytes(raw)


def mark_transactional(batch: bytes) -> bytes:
    """The same v2 batch with the transactional attribute set (and its CRC32C redone): only the
    transactional producer pays for it, the plain producer's batch building stays untouched."""
    out = bytearray(batch)
    out[ATTRIBUTES_OFFSET + 1] |= TRANSACTIONAL_MASK
    _U32.pack_into(out, CRC_OFFSET, _crc32c.crc32c(memoryview(out)[CRC_START:]))
    return bytes(out)
