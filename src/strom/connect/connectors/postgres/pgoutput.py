"""PostgreSQL's `pgoutput` logical replication messages (protocol version 1), decoded from bytes.

Pure: no connection, no IO. The replication stream hands each XLogData payload to `decode_message`, which
returns one typed message. Column values stay PostgreSQL's text form (`bytes`), typed later by the value
converter that knows the column's type OID. The layout is PostgreSQL's "Logical Replication Message Formats"
chapter: Int64/Int32/Int16/Int8 big-endian, strings NUL-terminated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Final

# PostgreSQL's epoch is 2000-01-01; commit timestamps are microseconds since then.
POSTGRES_EPOCH_OFFSET_US: Final = 946_684_800_000_000

_I64 = struct.Struct(">q")
_U64 = struct.Struct(">Q")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I16 = struct.Struct(">h")


class PgOutputError(ValueError):
    """A payload that is not a well-formed pgoutput message."""


# A column value in a TupleData: None is SQL NULL, UNCHANGED_TOAST a TOASTed value the update did not touch
# (PostgreSQL does not send it again), bytes the value's text (or binary) form.
class _UnchangedToast:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCHANGED_TOAST"


UNCHANGED_TOAST: Final = _UnchangedToast()
ColumnValue = bytes | None | _UnchangedToast


@dataclass(frozen=True)
class Begin:
    final_lsn: int
    commit_time_us: int  # Unix epoch microseconds
    xid: int


@dataclass(frozen=True)
class Commit:
    flags: int
    commit_lsn: int
    end_lsn: int
    commit_time_us: int  # Unix epoch microseconds


@dataclass(frozen=True)
class Origin:
    lsn: int
    name: str


@dataclass(frozen=True)
class RelationColumn:
    is_key: bool
    name: str
    type_oid: int
    type_modifier: int


@dataclass(frozen=True)
class Relation:
    oid: int
    namespace: str
    name: str
    replica_identity: str  # 'd' default, 'n' nothing, 'f' full, 'i' index
    columns: tuple[RelationColumn, ...]


@dataclass(frozen=True)
class TypeMessage:
    oid: int
    namespace: str
    name: str


@dataclass(frozen=True)
class Insert:
    relation_oid: int
    new: tuple[ColumnValue, ...]


@dataclass(frozen=True)
class Update:
    relation_oid: int
    new: tuple[ColumnValue, ...]
    old: tuple[ColumnValue, ...] | None = None  # REPLICA IDENTITY FULL ('O') or changed key ('K')
    old_is_key_only: bool = False


@dataclass(frozen=True)
class Delete:
    relation_oid: int
    old: tuple[ColumnValue, ...]
    old_is_key_only: bool = True


@dataclass(frozen=True)
class Truncate:
    options: int  # 1 CASCADE, 2 RESTART IDENTITY
    relation_oids: tuple[int, ...]


@dataclass(frozen=True)
class LogicalMessage:
    transactional: bool
    lsn: int
    prefix: str
    content: bytes = field(repr=False)


Message = Begin | Commit | Origin | Relation | TypeMessage | Insert | Update | Delete | Truncate | LogicalMessage


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def _need(self, n: int) -> None:
        if self.pos + n > len(self.buf):
            raise PgOutputError(f"truncated pgoutput message: need {n} bytes at {self.pos}, have {len(self.buf) - self.pos}")

    def int8(self) -> int:
        self._need(1)
        v = self.buf[self.pos]
        self.pos += 1
        return v

    def byte(self) -> str:
        return chr(self.int8())

    def int16(self) -> int:
        self._need(2)
        (v,) = _I16.unpack_from(self.buf, self.pos)
        self.pos += 2
        return int(v)

    def int32(self) -> int:
        self._need(4)
        (v,) = _I32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return int(v)

    def uint32(self) -> int:
        self._need(4)
        (v,) = _U32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return int(v)

    def int64(self) -> int:
        self._need(8)
        (v,) = _I64.unpack_from(self.buf, self.pos)
        self.pos += 8
        return int(v)

    def uint64(self) -> int:
        self._need(8)
        (v,) = _U64.unpack_from(self.buf, self.pos)
        self.pos += 8
        return int(v)

    def string(self) -> str:
        end = self.buf.find(b"\x00", self.pos)
        if end < 0:
            raise PgOutputError(f"unterminated string at {self.pos}")
        s = self.buf[self.pos : end].decode("utf-8")
        self.pos = end + 1
        return s

    def raw(self, n: int) -> bytes:
        self._need(n)
        v = self.buf[self.pos : self.pos + n]
        self.pos += n
        return bytes(v)

    def tuple_data(self) -> tuple[ColumnValue, ...]:
        """TupleData: Int16 count, then per column 'n' (null), 'u' (unchanged TOAST) or 't'/'b' + Int32 length +
        bytes. Inlined: it is read once per changed row."""
        buf = self.buf
        pos = self.pos
        try:
            (n,) = _I16.unpack_from(buf, pos)
            pos += 2
            values: list[ColumnValue] = []
            append = values.append
            for _ in range(n):
                kind = buf[pos]
                pos += 1
                if kind == 0x74 or kind == 0x62:  # 't', 'b'
                    (length,) = _I32.unpack_from(buf, pos)
                    pos += 4
                    append(buf[pos : pos + length])
                    pos += length
                elif kind == 0x6E:  # 'n'
                    append(None)
                elif kind == 0x75:  # 'u'
                    append(UNCHANGED_TOAST)
                else:
                    raise PgOutputError(f"unknown TupleData column kind {chr(kind)!r}")
        except (struct.error, IndexError) as exc:
            raise PgOutputError(f"truncated pgoutput TupleData at {pos}") from exc
        if pos > len(buf):
            raise PgOutputError(f"truncated pgoutput TupleData: need {pos - len(buf)} more bytes")
        self.pos = pos
        return tuple(values)


def _timestamp(pg_us: int) -> int:
    return pg_us + POSTGRES_EPOCH_OFFSET_US


def decode_message(payload: bytes) -> Message:
    """One pgoutput message from one XLogData payload."""
    if not payload:
        raise PgOutputError("empty pgoutput message")
    r = _Reader(payload)
    tag = r.byte()
    if tag == "B":
        return Begin(r.uint64(), _timestamp(r.int64()), r.uint32())
    if tag == "C":
        flags = r.int8()
        return Commit(flags, r.uint64(), r.uint64(), _timestamp(r.int64()))
    if tag == "O":
        return Origin(r.uint64(), r.string())
    if tag == "R":
        oid = r.uint32()
        namespace = r.string()
        name = r.string()
        identity = r.byte()
        cols = tuple(RelationColumn(bool(r.int8() & 1), r.string(), r.uint32(), r.int32()) for _ in range(r.int16()))
        return Relation(oid, namespace, name, identity, cols)
    if tag == "Y":
        return TypeMessage(r.uint32(), r.string(), r.string())
    if tag == "I":
        oid = r.uint32()
        if r.byte() != "N":
            raise PgOutputError("Insert without a new tuple")
        return Insert(oid, r.tuple_data())
    if tag == "U":
        oid = r.uint32()
        kind = r.byte()
        old: tuple[ColumnValue, ...] | None = None
        key_only = False
        if kind in ("K", "O"):
            key_only = kind == "K"
            old = r.tuple_data()
            kind = r.byte()
        if kind != "N":
            raise PgOutputError(f"Update without a new tuple (got {kind!r})")
        return Update(oid, r.tuple_data(), old, key_only)
    if tag == "D":
        oid = r.uint32()
        kind = r.byte()
        if kind not in ("K", "O"):
            raise PgOutputError(f"Delete without an old tuple (got {kind!r})")
        return Delete(oid, r.tuple_data(), kind == "K")
    if tag == "T":
        n = r.int32()
        options = r.int8()
        return Truncate(options, tuple(r.uint32() for _ in range(n)))
    if tag == "M":
        flags = r.int8()
        lsn = r.uint64()
        prefix = r.string()
        return LogicalMessage(bool(flags & 1), lsn, prefix, r.raw(r.int32()))
    raise PgOutputError(f"unknown pgoutput message type {tag!r}")


def format_lsn(lsn: int) -> str:
    """PostgreSQL's textual LSN, `16/B374D848`."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    hi, _, lo = text.partition("/")
    if not lo:
        raise ValueError(f"not an LSN: {text!r}")
    return (int(hi, 16) << 32) | int(lo, 16)
