"""Kafka's primitive wire types: each a reader `read_x(buf, pos) -> (value, pos)` and a writer `write_x(out, value)`.

Readers never raise anything but CorruptMessage: every length is checked against the bytes that remain
before slicing or allocating, so a hostile frame cannot make us allocate or loop. Byte payloads come out
as memoryview slices of the input (no copy); strings are decoded as UTF-8.
"""

from __future__ import annotations

import struct
import uuid as _uuid

from strom.protocol.errors import CorruptMessage

Buffer = bytes | bytearray | memoryview

INT8 = struct.Struct(">b")
INT16 = struct.Struct(">h")
INT32 = struct.Struct(">i")
INT64 = struct.Struct(">q")
UINT16 = struct.Struct(">H")
UINT32 = struct.Struct(">I")
FLOAT64 = struct.Struct(">d")

NULL_UUID = _uuid.UUID(int=0)


def _short(what: str, pos: int, need: int, have: int) -> CorruptMessage:
    return CorruptMessage(f"truncated {what} at byte {pos}: need {need} bytes, {have} remain")


def read_struct(st: struct.Struct, buf: Buffer, pos: int, what: str = "field") -> tuple[tuple[object, ...], int]:
    end = pos + st.size
    if end > len(buf):
        raise _short(what, pos, st.size, len(buf) - pos)
    return st.unpack_from(buf, pos), end


def read_int8(buf: Buffer, pos: int) -> tuple[int, int]:
    if pos + 1 > len(buf):
        raise _short("int8", pos, 1, len(buf) - pos)
    return INT8.unpack_from(buf, pos)[0], pos + 1


def read_int16(buf: Buffer, pos: int) -> tuple[int, int]:
    if pos + 2 > len(buf):
        raise _short("int16", pos, 2, len(buf) - pos)
    return INT16.unpack_from(buf, pos)[0], pos + 2


def read_int32(buf: Buffer, pos: int) -> tuple[int, int]:
    if pos + 4 > len(buf):
        raise _short("int32", pos, 4, len(buf) - pos)
    return INT32.unpack_from(buf, pos)[0], pos + 4


def read_int64(buf: Buffer, pos: int) -> tuple[int, int]:
    if pos + 8 > len(buf):
        raise _short("int64", pos, 8, len(buf) - pos)
    return INT64.unpack_from(buf, pos)[0], pos + 8


def read_uint16(buf: Buffer, pos: int) -> tuple[int, int]:
    if pos + 2 > len(buf):
        raise _short("uint16", pos, 2, len(buf) - pos)
    return UINT16.unpack_from(buf, pos)[0], pos + 2


def read_uint32(buf: Buffer, pos: int) -> tuple[int, int]:
    if pos + 4 > len(buf):
        raise _short("uint32", pos, 4, len(buf) - pos)
    return UINT32.unpack_from(buf, pos)[0], pos + 4


def read_float64(buf: Buffer, pos: int) -> tuple[float, int]:
    if pos + 8 > len(buf):
        raise _short("float64", pos, 8, len(buf) - pos)
    return FLOAT64.unpack_from(buf, pos)[0], pos + 8


def read_bool(buf: Buffer, pos: int) -> tuple[bool, int]:
    if pos + 1 > len(buf):
        raise _short("bool", pos, 1, len(buf) - pos)
    return buf[pos] != 0, pos + 1


def read_uuid(buf: Buffer, pos: int) -> tuple[_uuid.UUID, int]:
    if pos + 16 > len(buf):
        raise _short("uuid", pos, 16, len(buf) - pos)
    return _uuid.UUID(bytes=bytes(buf[pos : pos + 16])), pos + 16


def read_unsigned_varint(buf: Buffer, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    n = len(buf)
    while True:
        if pos >= n:
            raise CorruptMessage(f"truncated varint at byte {pos}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise CorruptMessage(f"varint longer than 10 bytes at byte {pos}")


def read_varint(buf: Buffer, pos: int) -> tuple[int, int]:
    """Zig-zag signed varint (32-bit)."""
    raw, pos = read_unsigned_varint(buf, pos)
    if raw > 0xFFFFFFFF:
        raise CorruptMessage(f"varint out of int32 range at byte {pos}")
    return (raw >> 1) ^ -(raw & 1), pos


def read_varlong(buf: Buffer, pos: int) -> tuple[int, int]:
    """Zig-zag signed varlong (64-bit)."""
    raw, pos = read_unsigned_varint(buf, pos)
    return (raw >> 1) ^ -(raw & 1), pos


def _read_span(buf: Buffer, pos: int, length: int, what: str) -> memoryview:
    if length > len(buf) - pos:
        raise _short(what, pos, length, len(buf) - pos)
    return memoryview(buf)[pos : pos + length]


def _decode_utf8(raw: memoryview, pos: int) -> str:
    try:
        return str(raw, "utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptMessage(f"string at byte {pos} is not valid UTF-8") from exc


def read_string(buf: Buffer, pos: int) -> tuple[str, int]:
    length, pos = read_int16(buf, pos)
    if length < 0:
        raise CorruptMessage(f"null or negative string length {length} at byte {pos - 2}")
    return _decode_utf8(_read_span(buf, pos, length, "string"), pos), pos + length


def read_nullable_string(buf: Buffer, pos: int) -> tuple[str | None, int]:
    length, pos = read_int16(buf, pos)
    if length == -1:
        return None, pos
    if length < 0:
        raise CorruptMessage(f"negative string length {length} at byte {pos - 2}")
    return _decode_utf8(_read_span(buf, pos, length, "string"), pos), pos + length


def read_compact_string(buf: Buffer, pos: int) -> tuple[str, int]:
    length, pos = read_unsigned_varint(buf, pos)
    if length == 0:
        raise CorruptMessage(f"null compact string at byte {pos - 1} where a string is required")
    length -= 1
    return _decode_utf8(_read_span(buf, pos, length, "string"), pos), pos + length


def read_compact_nullable_string(buf: Buffer, pos: int) -> tuple[str | None, int]:
    length, pos = read_unsigned_varint(buf, pos)
    if length == 0:
        return None, pos
    length -= 1
    return _decode_utf8(_read_span(buf, pos, length, "string"), pos), pos + length


def read_bytes(buf: Buffer, pos: int) -> tuple[memoryview, int]:
    length, pos = read_int32(buf, pos)
    if length < 0:
        raise CorruptMessage(f"null or negative bytes length {length} at byte {pos - 4}")
    return _read_span(buf, pos, length, "bytes"), pos + length


def read_nullable_bytes(buf: Buffer, pos: int) -> tuple[memoryview | None, int]:
    length, pos = read_int32(buf, pos)
    if length == -1:
        return None, pos
    if length < 0:
        raise CorruptMessage(f"negative bytes length {length} at byte {pos - 4}")
    return _read_span(buf, pos, length, "bytes"), pos + length


def read_compact_bytes(buf: Buffer, pos: int) -> tuple[memoryview, int]:
    length, pos = read_unsigned_varint(buf, pos)
    if length == 0:
        raise CorruptMessage(f"null compact bytes at byte {pos - 1} where bytes are required")
    return _read_span(buf, pos, length - 1, "bytes"), pos + length - 1


def read_compact_nullable_bytes(buf: Buffer, pos: int) -> tuple[memoryview | None, int]:
    length, pos = read_unsigned_varint(buf, pos)
    if length == 0:
        return None, pos
    return _read_span(buf, pos, length - 1, "bytes"), pos + length - 1


def read_array_length(buf: Buffer, pos: int, min_item_size: int = 1) -> tuple[int, int]:
    """Classic int32 array count (-1 = null). Checked against remaining bytes before any allocation."""
    count, pos = read_int32(buf, pos)
    if count < -1:
        raise CorruptMessage(f"negative array length {count} at byte {pos - 4}")
    if count > 0 and count * min_item_size > len(buf) - pos:
        raise CorruptMessage(f"array length {count} at byte {pos - 4} exceeds the {len(buf) - pos} bytes left")
    return count, pos


def read_compact_array_length(buf: Buffer, pos: int, min_item_size: int = 1) -> tuple[int, int]:
    """Compact array count: unsigned varint N+1 (0 = null, returned as -1)."""
    raw, pos = read_unsigned_varint(buf, pos)
    count = raw - 1
    if count > 0 and count * min_item_size > len(buf) - pos:
        raise CorruptMessage(f"array length {count} at byte {pos} exceeds the {len(buf) - pos} bytes left")
    return count, pos


def skip_tagged_fields(buf: Buffer, pos: int) -> tuple[dict[int, bytes], int]:
    """Reads a tagged-field section, returning raw values by tag (kept so round trips preserve them)."""
    count, pos = read_unsigned_varint(buf, pos)
    if count > len(buf) - pos:
        raise CorruptMessage(f"tagged field count {count} exceeds the bytes left")
    fields: dict[int, bytes] = {}
    for _ in range(count):
        tag, pos = read_unsigned_varint(buf, pos)
        size, pos = read_unsigned_varint(buf, pos)
        fields[tag] = bytes(_read_span(buf, pos, size, "tagged field"))
        pos += size
    return fields, pos


# ---- writers -------------------------------------------------------------------------------------------


def write_int8(out: bytearray, value: int) -> None:
    out += INT8.pack(value)


def write_int16(out: bytearray, value: int) -> None:
    out += INT16.pack(value)


def write_int32(out: bytearray, value: int) -> None:
    out += INT32.pack(value)


def write_int64(out: bytearray, value: int) -> None:
    out += INT64.pack(value)


def write_uint16(out: bytearray, value: int) -> None:
    out += UINT16.pack(value)


def write_uint32(out: bytearray, value: int) -> None:
    out += UINT32.pack(value)


def write_float64(out: bytearray, value: float) -> None:
    out += FLOAT64.pack(value)


def write_bool(out: bytearray, value: bool) -> None:
    out.append(1 if value else 0)


def write_uuid(out: bytearray, value: _uuid.UUID | None) -> None:
    out += (value or NULL_UUID).bytes


def write_unsigned_varint(out: bytearray, value: int) -> None:
    if value < 0:
        raise ValueError(f"unsigned varint cannot hold {value}")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def write_varint(out: bytearray, value: int) -> None:
    write_unsigned_varint(out, ((value << 1) ^ (value >> 31)) & 0xFFFFFFFF)


def write_varlong(out: bytearray, value: int) -> None:
    write_unsigned_varint(out, ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF)


def unsigned_varint_size(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def write_string(out: bytearray, value: str) -> None:
    raw = value.encode()
    out += INT16.pack(len(raw))
    out += raw


def write_nullable_string(out: bytearray, value: str | None) -> None:
    if value is None:
        out += INT16.pack(-1)
    else:
        write_string(out, value)


def write_compact_string(out: bytearray, value: str) -> None:
    raw = value.encode()
    write_unsigned_varint(out, len(raw) + 1)
    out += raw


def write_compact_nullable_string(out: bytearray, value: str | None) -> None:
    if value is None:
        out.append(0)
    else:
        write_compact_string(out, value)


def write_bytes(out: bytearray, value: Buffer) -> None:
    out += INT32.pack(len(value))
    out += value


def write_nullable_bytes(out: bytearray, value: Buffer | None) -> None:
    if value is None:
        out += INT32.pack(-1)
    else:
        write_bytes(out, value)


def write_compact_bytes(out: bytearray, value: Buffer) -> None:
    write_unsigned_varint(out, len(value) + 1)
    out += value


def write_compact_nullable_bytes(out: bytearray, value: Buffer | None) -> None:
    if value is None:
        out.append(0)
    else:
        write_compact_bytes(out, value)


def write_tagged_fields(out: bytearray, fields: dict[int, bytes]) -> None:
    write_unsigned_varint(out, len(fields))
    for tag in sorted(fields):
        raw = fields[tag]
        write_unsigned_varint(out, tag)
        write_unsigned_varint(out, len(raw))
        out += raw
