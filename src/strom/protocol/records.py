"""RecordBatch v2 (magic 2): a header view for the broker's batch-level hot path, record iteration and a
batch builder for clients.

The broker never looks inside a batch: it reads the 61-byte header, checks the CRC32C (which covers
attributes..end, so the base offset and partition leader epoch can be rewritten in place without
recomputing it) and appends the bytes as they came.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from strom import checksum as _crc32c
from strom.protocol import compression
from strom.protocol import primitives as p
from strom.protocol.errors import CorruptMessage

BATCH_HEADER_SIZE = 61
MAGIC_V2 = 2
LOG_OVERHEAD = 12  # base offset (8) + batch length (4)
CRC_START = 21  # attributes start: what the CRC covers
MAGIC_OFFSET = 16
CRC_OFFSET = 17
PARTITION_LEADER_EPOCH_OFFSET = 12
ATTRIBUTES_OFFSET = 21
MAX_TIMESTAMP_OFFSET = 35

COMPRESSION_MASK = 0x07
TIMESTAMP_TYPE_MASK = 0x08
TRANSACTIONAL_MASK = 0x10
CONTROL_MASK = 0x20

NO_PRODUCER_ID = -1
NO_SEQUENCE = -1

_HEADER = struct.Struct(">qiibIhiqqqhii")
BATCH_HEADER_STRUCT = _HEADER  # the v2 header's fields in BatchHeader's order, for callers that unpack into locals
_I64 = struct.Struct(">q")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I16 = struct.Struct(">h")


class BatchHeader(NamedTuple):
    """The 61-byte v2 header. A NamedTuple rather than a frozen dataclass: the broker builds one per batch
    on every produce, fetch scan and recovery, and a tuple is built from struct.unpack_from about four
    times faster (0.3 vs 1.4 us)."""

    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def compression(self) -> int:
        return self.attributes & COMPRESSION_MASK

    @property
    def timestamp_type(self) -> int:
        return 1 if self.attributes & TIMESTAMP_TYPE_MASK else 0

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_MASK)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_MASK)

    @property
    def has_producer_id(self) -> bool:
        return self.producer_id >= 0

    @property
    def last_sequence(self) -> int:
        if self.base_sequence < 0:
            return NO_SEQUENCE
        return (self.base_sequence + self.last_offset_delta) & 0x7FFFFFFF


_new_header = tuple.__new__


def read_batch_header(buf: p.Buffer, pos: int = 0) -> BatchHeader:
    if len(buf) - pos < BATCH_HEADER_SIZE:
        raise CorruptMessage(f"record batch header needs {BATCH_HEADER_SIZE} bytes, {len(buf) - pos} remain")
    header = _new_header(BatchHeader, _HEADER.unpack_from(buf, pos))
    if header.magic != MAGIC_V2:
        raise CorruptMessage(f"record batch magic {header.magic} is not 2")
    if header.batch_length < BATCH_HEADER_SIZE - LOG_OVERHEAD:
        raise CorruptMessage(f"record batch length {header.batch_length} is below the minimum")
    return header


def iter_batch_headers(buf: p.Buffer, pos: int = 0, end: int | None = None) -> Iterator[tuple[int, BatchHeader]]:
    """(position, header) of each whole batch; stops quietly at a partial trailing batch, as clients must."""
    limit = len(buf) if end is None else end
    while limit - pos >= BATCH_HEADER_SIZE:
        length = _I32.unpack_from(buf, pos + 8)[0]
        if pos + LOG_OVERHEAD + length > limit:
            return
        yield pos, read_batch_header(buf, pos)
        pos += LOG_OVERHEAD + length


def split_batches_strict(buf: p.Buffer) -> list[tuple[int, BatchHeader]]:
    """All batches of a produce request's record set; a partial or garbage tail is CORRUPT_MESSAGE."""
    batches: list[tuple[int, BatchHeader]] = []
    pos = 0
    n = len(buf)
    while pos < n:
        if n - pos < BATCH_HEADER_SIZE:
            raise CorruptMessage(f"{n - pos} trailing bytes are not a record batch")
        header = read_batch_header(buf, pos)
        if pos + header.size > n:
            raise CorruptMessage(f"record batch of {header.size} bytes is truncated at {n - pos}")
        batches.append((pos, header))
        pos += header.size
    return batches


def crc_ok(buf: p.Buffer, pos: int, header: BatchHeader) -> bool:
    view = memoryview(buf)[pos + CRC_START : pos + header.size]
    return bool(_crc32c.crc32c(view) == header.crc)


def set_base_offset(buf: bytearray | memoryview, pos: int, offset: int) -> None:
    _I64.pack_into(buf, pos, offset)


def set_partition_leader_epoch(buf: bytearray | memoryview, pos: int, epoch: int) -> None:
    _I32.pack_into(buf, pos + PARTITION_LEADER_EPOCH_OFFSET, epoch)


def set_log_append_time(buf: bytearray | memoryview, pos: int, timestamp_ms: int) -> None:
    """Marks the batch LogAppendTime with the broker's time; the attributes change, so the CRC is redone."""
    size = _I32.unpack_from(buf, pos + 8)[0] + LOG_OVERHEAD
    attributes = _I16.unpack_from(buf, pos + ATTRIBUTES_OFFSET)[0]
    _I16.pack_into(buf, pos + ATTRIBUTES_OFFSET, attributes | TIMESTAMP_TYPE_MASK)
    _I64.pack_into(buf, pos + MAX_TIMESTAMP_OFFSET, timestamp_ms)
    crc = _crc32c.crc32c(memoryview(buf)[pos + CRC_START : pos + size])
    _U32.pack_into(buf, pos + CRC_OFFSET, crc)


# ---- records (client side) -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


def _records_payload(buf: p.Buffer, pos: int, header: BatchHeader) -> bytes | memoryview:
    payload = memoryview(buf)[pos + BATCH_HEADER_SIZE : pos + header.size]
    if header.compression:
        return compression.decompress(header.compression, payload)
    return payload


def iter_records(buf: p.Buffer, pos: int = 0) -> Iterator[Record]:
    """Records of one batch (decompressing as needed). Offsets and timestamps are made absolute.

    Every length is checked against the end of its record before it moves the read position: a negative or
    oversized length in hostile input must end in CorruptMessage, not in a read at a negative index or a loop
    driven by a forged header count.
    """
    header = read_batch_header(buf, pos)
    data = _records_payload(buf, pos, header)
    log_append = header.timestamp_type == 1
    q = 0
    for _ in range(header.records_count):
        length, q = p.read_varint(data, q)
        end = q + length
        if length < 0 or end > len(data):
            raise CorruptMessage("record length runs past the batch")
        q += 1  # attributes
        ts_delta, q = p.read_varlong(data, q)
        off_delta, q = p.read_varint(data, q)
        key, q = _read_record_bytes(data, q, end, "key")
        value, q = _read_record_bytes(data, q, end, "value")
        hcount, q = p.read_varint(data, q)
        if hcount < 0 or hcount > end - q:
            raise CorruptMessage(f"record header count {hcount} does not fit the record")
        headers: list[tuple[str, bytes | None]] = []
        for _h in range(hcount):
            raw_key, q = _read_record_bytes(data, q, end, "header key")
            if raw_key is None:
                raise CorruptMessage("record header key is null")
            hval, q = _read_record_bytes(data, q, end, "header value")
            headers.append((raw_key.decode("utf-8", "replace"), hval))
        if q != end:
            raise CorruptMessage("record fields do not match its length")
        timestamp = header.max_timestamp if log_append else header.base_timestamp + ts_delta
        yield Record(header.base_offset + off_delta, timestamp, key, value, headers)


def _read_record_bytes(data: p.Buffer, q: int, end: int, what: str) -> tuple[bytes | None, int]:
    """A varint-length-prefixed byte string inside one record (-1 is null)."""
    size, q = p.read_varint(data, q)
    if size < 0:
        if size != -1:
            raise CorruptMessage(f"record {what} length {size} is negative")
        return None, q
    if q + size > end:
        raise CorruptMessage(f"record {what} of {size} bytes runs past its record")
    return bytes(data[q : q + size]), q + size


def iter_all_records(buf: p.Buffer) -> Iterator[tuple[BatchHeader, Record]]:
    """Every record of a record set (whole batches only), with its batch header."""
    for pos, header in iter_batch_headers(buf):
        for record in iter_records(buf, pos):
            yield header, record


class BatchBuilder:
    """Builds one v2 batch: records are encoded as they are added, compressed and checksummed once."""

    def __init__(
        self,
        compression_type: int = 0,
        producer_id: int = NO_PRODUCER_ID,
        producer_epoch: int = -1,
        base_sequence: int = NO_SEQUENCE,
        is_transactional: bool = False,
        is_control: bool = False,
        base_offset: int = 0,
        partition_leader_epoch: int = -1,
    ) -> None:
        self.compression_type = compression_type
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.is_transactional = is_transactional
        self.is_control = is_control
        self.base_offset = base_offset
        self.partition_leader_epoch = partition_leader_epoch
        self._body = bytearray()
        self._count = 0
        self._base_ts: int | None = None
        self._max_ts = -1

    def __len__(self) -> int:
        return self._count

    @property
    def estimated_size(self) -> int:
        return BATCH_HEADER_SIZE + len(self._body)

    def append(
        self,
        value: bytes | None,
        key: bytes | None = None,
        timestamp: int | None = None,
        headers: Sequence[tuple[str, bytes | None]] = (),
    ) -> int:
        """Adds a record; returns its offset delta."""
        ts = int(time.time() * 1000) if timestamp is None else timestamp
        if self._base_ts is None:
            self._base_ts = ts
        self._max_ts = max(self._max_ts, ts)
        rec = bytearray(b"\x00")
        p.write_varlong(rec, ts - self._base_ts)
        p.write_varint(rec, self._count)
        if key is None:
            p.write_varint(rec, -1)
        else:
            p.write_varint(rec, len(key))
            rec += key
        if value is None:
            p.write_varint(rec, -1)
        else:
            p.write_varint(rec, len(value))
            rec += value
        p.write_varint(rec, len(headers))
        for hkey, hval in headers:
            raw = hkey.encode()
            p.write_varint(rec, len(raw))
            rec += raw
            if hval is None:
                p.write_varint(rec, -1)
            else:
                p.write_varint(rec, len(hval))
                rec += hval
        p.write_varint(self._body, len(rec))
        self._body += rec
        self._count += 1
        return self._count - 1

    def build(self) -> bytes:
        if self._count == 0:
            raise ValueError("a record batch needs at least one record")
        payload: bytes | bytearray = self._body
        if self.compression_type:
            payload = compression.compress(self.compression_type, bytes(self._body))
        attributes = self.compression_type & COMPRESSION_MASK
        if self.is_transactional:
            attributes |= TRANSACTIONAL_MASK
        if self.is_control:
            attributes |= CONTROL_MASK
        base_ts = self._base_ts if self._base_ts is not None else -1
        out = bytearray(
            _HEADER.pack(
                self.base_offset,
                BATCH_HEADER_SIZE - LOG_OVERHEAD + len(payload),
                self.partition_leader_epoch,
                MAGIC_V2,
                0,
                attributes,
                self._count - 1,
                base_ts,
                self._max_ts,
                self.producer_id,
                self.producer_epoch,
                self.base_sequence,
                self._count,
            )
        )
        out += payload
        _U32.pack_into(out, CRC_OFFSET, _crc32c.crc32c(memoryview(out)[CRC_START:]))
        return bytes(out)


# ---- legacy message sets (magic v0/v1), for clients older than Kafka 0.11 --------------------------------
#
# A message set is a run of [offset int64][size int32][message]; a message is [crc uint32][magic int8]
# [attributes int8]([timestamp int64] in v1)[key bytes][value bytes], the CRC (zlib's CRC-32) covering magic
# to the end. A compressed message is a wrapper whose value is a compressed message set; in v1 the inner
# offsets are relative and the wrapper carries the absolute offset of the last inner message.

MAGIC_V0 = 0
MAGIC_V1 = 1
_LEGACY_ENTRY = struct.Struct(">qi")
_LEGACY_HEAD = struct.Struct(">Ibb")
_LEGACY_MIN_SIZE = {MAGIC_V0: 14, MAGIC_V1: 22}  # crc, magic, attributes, (timestamp), two null lengths
NO_TIMESTAMP = -1


@dataclass(frozen=True, slots=True)
class LegacyMessage:
    offset: int
    magic: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None


def is_legacy_message_set(buf: p.Buffer) -> bool:
    """True when the first entry of a record set is a magic v0/v1 message (the magic byte sits at 16 in both)."""
    return len(buf) > MAGIC_OFFSET and buf[MAGIC_OFFSET] in (MAGIC_V0, MAGIC_V1)


def iter_legacy_messages(buf: p.Buffer, strict: bool = False, _inner: bool = False) -> Iterator[LegacyMessage]:
    """Messages of a v0/v1 message set, compressed wrappers unpacked, offsets absolute, CRCs verified.

    A partial trailing entry ends the iteration quietly (fetch responses are cut at max bytes) unless
    `strict`, as for a produce request, where it is CORRUPT_MESSAGE like any other malformed byte."""
    view = memoryview(buf)
    pos = 0
    n = len(view)
    while pos < n:
        if n - pos < LOG_OVERHEAD:
            if strict:
                raise CorruptMessage(f"{n - pos} trailing bytes are not a message")
            return
        offset, size = _LEGACY_ENTRY.unpack_from(view, pos)
        end = pos + LOG_OVERHEAD + size
        if size < _LEGACY_MIN_SIZE[MAGIC_V0]:
            raise CorruptMessage(f"message size {size} at byte {pos} is below the minimum")
        if end > n:
            if strict:
                raise CorruptMessage(f"message of {size} bytes at byte {pos} is truncated")
            return
        crc, magic, attributes = _LEGACY_HEAD.unpack_from(view, pos + LOG_OVERHEAD)
        if magic not in (MAGIC_V0, MAGIC_V1) or size < _LEGACY_MIN_SIZE[magic]:
            raise CorruptMessage(f"message at byte {pos} has magic {magic} and size {size}")
        if zlib.crc32(view[pos + LOG_OVERHEAD + 4 : end]) != crc:
            raise CorruptMessage(f"message at offset {offset} fails its CRC")
        q = pos + LOG_OVERHEAD + 6
        timestamp = NO_TIMESTAMP
        if magic == MAGIC_V1:
            (timestamp,) = _I64.unpack_from(view, q)
            q += 8
        key, q = _read_legacy_bytes(view, q, end)
        value, q = _read_legacy_bytes(view, q, end)
        if q != end:
            raise CorruptMessage(f"message at offset {offset} has {end - q} bytes beyond its value")
        timestamp_type = 1 if magic == MAGIC_V1 and attributes & TIMESTAMP_TYPE_MASK else 0
        codec = attributes & COMPRESSION_MASK
        if codec == compression.NONE:
            yield LegacyMessage(offset, magic, timestamp, timestamp_type, key, value)
        else:
            if _inner:
                raise CorruptMessage("a compressed message inside a compressed message")
            if value is None:
                raise CorruptMessage(f"compressed message at offset {offset} has no value")
            inner = list(iter_legacy_messages(compression.decompress(codec, value), strict=True, _inner=True))
            if not inner:
                raise CorruptMessage(f"compressed message at offset {offset} is empty")
            shift = offset - inner[-1].offset if magic == MAGIC_V1 else 0  # v1 inner offsets are relative
            for m in inner:
                ts = timestamp if timestamp_type == 1 else m.timestamp  # LogAppendTime: the wrapper's time
                yield LegacyMessage(m.offset + shift, m.magic, ts, timestamp_type, m.key, m.value)
        pos = end


def _read_legacy_bytes(view: memoryview, q: int, end: int) -> tuple[bytes | None, int]:
    if q + 4 > end:
        raise CorruptMessage("message ends inside a length")
    (size,) = _I32.unpack_from(view, q)
    q += 4
    if size == -1:
        return None, q
    if size < 0 or q + size > end:
        raise CorruptMessage(f"message field of {size} bytes runs past its message")
    return bytes(view[q : q + size]), q + size


def legacy_to_batch(buf: p.Buffer) -> bytes:
    """Up-converts a produce request's v0/v1 message set into one v2 batch (what the log stores), keeping
    keys, values, timestamps and the codec of the first compressed wrapper; offsets are the broker's to assign."""
    messages = list(iter_legacy_messages(buf, strict=True))
    if not messages:
        raise CorruptMessage("empty message set")
    codecs = (buf[pos + LOG_OVERHEAD + 5] & COMPRESSION_MASK for pos in _legacy_entry_positions(buf))
    codec = next((c for c in codecs if c), compression.NONE)
    builder = BatchBuilder(compression_type=codec)
    for m in messages:
        builder.append(m.value, key=m.key, timestamp=m.timestamp)
    return builder.build()


def _legacy_entry_positions(buf: p.Buffer) -> Iterator[int]:
    pos = 0
    while len(buf) - pos >= LOG_OVERHEAD + 6:
        yield pos
        pos += LOG_OVERHEAD + _LEGACY_ENTRY.unpack_from(buf, pos)[1]


def batches_to_legacy(buf: p.Buffer, magic: int) -> bytes:
    """Down-converts whole v2 batches into an uncompressed v0/v1 message set for a fetch older than v4 (those
    clients cannot read magic 2). Control batches (transaction markers) are dropped, as Kafka does; a partial
    trailing batch is left out (the client fetches it again from its offset)."""
    if magic not in (MAGIC_V0, MAGIC_V1):
        raise ValueError(f"legacy magic must be 0 or 1, not {magic}")
    out = bytearray()
    for pos, header in iter_batch_headers(buf):
        if header.is_control:
            continue
        log_append = header.timestamp_type == 1
        for record in iter_records(buf, pos):
            body = bytearray(_LEGACY_HEAD.pack(0, magic, (TIMESTAMP_TYPE_MASK if log_append and magic else 0)))
            if magic == MAGIC_V1:
                body += _I64.pack(record.timestamp)
            for field_value in (record.key, record.value):
                if field_value is None:
                    body += _I32.pack(-1)
                else:
                    body += _I32.pack(len(field_value))
                    body += field_value
            _U32.pack_into(body, 0, zlib.crc32(memoryview(body)[4:]))
            out += _LEGACY_ENTRY.pack(record.offset, len(body))
            out += body
    return bytes(out)
