"""The suppress buffer's entries in Java's bytes (BufferValue, ProcessorRecordContext.serialize), so its changelog
is interchangeable with a Java instance's: each changelog value (header v=3) is the record context, then the prior,
old and new value, then the 8-byte buffer time.

Record context: timestamp (8), offset (8), topic (4-byte length + UTF-8), partition (4), header count (4), then per
header the key (4-byte length + UTF-8) and the value (4-byte length, -1 for null, + bytes). Values: a 4-byte length
(-1 for null) and the bytes; the old value is written as -2 when it equals the prior value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from strom.streams.state.api import ProcessorRecordContext

V3_CHANGELOG_HEADERS: list[tuple[str, bytes | None]] = [("v", b"\x03")]

_NULL = -1
_OLD_PREV_DUPLICATE = -2
_CONTEXT_HEAD = struct.Struct(">qqi")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")


def serialize_record_context(ctx: ProcessorRecordContext) -> bytes:
    topic = (ctx.topic or "").encode()
    headers = ctx.headers or []
    out = [_CONTEXT_HEAD.pack(ctx.timestamp, ctx.offset, len(topic)), topic, _INT.pack(ctx.partition), _INT.pack(len(headers))]
    for key, value in headers:
        raw = key.encode()
        out += (_INT.pack(len(raw)), raw)
        out += (_INT.pack(_NULL),) if value is None else (_INT.pack(len(value)), value)
    return b"".join(out)


def deserialize_record_context(data: bytes, pos: int) -> tuple[ProcessorRecordContext, int]:
    timestamp, offset, size = _CONTEXT_HEAD.unpack_from(data, pos)
    pos += _CONTEXT_HEAD.size
    topic = data[pos : pos + size].decode()
    pos += size
    (partition,) = _INT.unpack_from(data, pos)
    (count,) = _INT.unpack_from(data, pos + 4)
    pos += 8
    headers: list[tuple[str, bytes | None]] = []
    for _ in range(max(count, 0)):
        (size,) = _INT.unpack_from(data, pos)
        key = data[pos + 4 : pos + 4 + size].decode()
        pos += 4 + size
        value, pos = _nullable(data, pos)
        headers.append((key, value))
    return ProcessorRecordContext(timestamp, offset, partition, topic, headers), pos


def _nullable(data: bytes, pos: int) -> tuple[bytes | None, int]:
    (size,) = _INT.unpack_from(data, pos)
    pos += 4
    return (None, pos) if size < 0 else (data[pos : pos + size], pos + size)


def _value(data: bytes | None) -> bytes:
    return _INT.pack(_NULL) if data is None else _INT.pack(len(data)) + data


@dataclass(slots=True)
class BufferValue:
    """A buffered update: `prior` is the value before the key's first buffered update (what downstream has seen),
    `old` and `new` the latest update's (Java keeps the prior value as the old one when they are equal)."""

    prior: bytes | None
    old: bytes | None
    new: bytes | None
    context: ProcessorRecordContext

    def serialize(self, buffer_time: int) -> bytes:
        if self.old is None:
            old = _INT.pack(_NULL)
        elif self.old == self.prior:
            old = _INT.pack(_OLD_PREV_DUPLICATE)
        else:
            old = _value(self.old)
        return serialize_record_context(self.context) + _value(self.prior) + old + _value(self.new) + _LONG.pack(buffer_time)

    @staticmethod
    def deserialize(data: bytes) -> tuple[BufferValue, int]:
        """A v3 changelog value: the entry and its buffer time."""
        context, pos = deserialize_record_context(data, 0)
        prior, pos = _nullable(data, pos)
        (size,) = _INT.unpack_from(data, pos)
        if size == _OLD_PREV_DUPLICATE:
            old, pos = prior, pos + 4
        else:
            old, pos = _nullable(data, pos)
        new, pos = _nullable(data, pos)
        (buffer_time,) = _LONG.unpack_from(data, pos)
        return BufferValue(prior, old, new, context), buffer_time

    def resident_memory_size_estimate(self) -> int:
        """Java's estimate, which `BufferConfig.max_bytes` bounds."""
        size = len(self.prior or b"") + (0 if self.old is None or self.old == self.prior else len(self.old)) + len(self.new or b"")
        ctx = self.context
        size += 8 + 8 + len(ctx.topic or "") + 4
        for key, value in ctx.headers or []:
            size += len(key) + len(value or b"")
        return size
