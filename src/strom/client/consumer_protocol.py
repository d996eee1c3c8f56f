"""The "consumer" embedded protocol carried inside JoinGroup/SyncGroup as opaque bytes.

ConsumerProtocolSubscription (topics, user data, owned partitions since v1, generation v2, rack v3) and
ConsumerProtocolAssignment (partitions per topic, user data). Every Kafka client reads the versions it
knows and ignores trailing fields, which is how Java, librdkafka and Strom members share one group.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from strom.protocol.errors import CorruptMessage
from strom.protocol.types import TP

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")


@dataclass(frozen=True, slots=True)
class Subscription:
    topics: list[str]
    user_data: bytes | None = None
    owned_partitions: list[TP] = field(default_factory=list)
    generation_id: int = -1
    rack_id: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    partitions: list[TP]
    user_data: bytes | None = None


class _Reader:
    def __init__(self, data: bytes | memoryview) -> None:
        self.data = bytes(data)
        self.pos = 0

    def more(self) -> bool:
        return self.pos < len(self.data)

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise CorruptMessage("consumer protocol data is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def i16(self) -> int:
        return int(_I16.unpack(self._take(2))[0])

    def i32(self) -> int:
        return int(_I32.unpack(self._take(4))[0])

    def string(self) -> str | None:
        n = self.i16()
        return None if n < 0 else self._take(n).decode()

    def bytes_(self) -> bytes | None:
        n = self.i32()
        return None if n < 0 else self._take(n)

    def count(self) -> int:
        n = self.i32()
        if n > len(self.data):
            raise CorruptMessage("consumer protocol array count is too large")
        return max(n, 0)


def _string(out: bytearray, s: str | None) -> None:
    if s is None:
        out += _I16.pack(-1)
        return
    raw = s.encode()
    out += _I16.pack(len(raw)) + raw


def _bytes(out: bytearray, b: bytes | None) -> None:
    out += _I32.pack(-1 if b is None else len(b))
    if b is not None:
        out += b


def _partitions(out: bytearray, tps: list[TP]) -> None:
    by_topic: dict[str, list[int]] = {}
    for topic, partition in tps:
        by_topic.setdefault(topic, []).append(partition)
    out += _I32.pack(len(by_topic))
    for topic, parts in sorted(by_topic.items()):
        _string(out, topic)
        out += _I32.pack(len(parts))
        for p in sorted(parts):
            out += _I32.pack(p)


def _read_partitions(r: _Reader) -> list[TP]:
    out: list[TP] = []
    for _ in range(r.count()):
        topic = r.string() or ""
        for _ in range(r.count()):
            out.append((topic, r.i32()))
    return out


def encode_subscription(sub: Subscription, version: int = 1) -> bytes:
    out = bytearray(_I16.pack(version))
    out += _I32.pack(len(sub.topics))
    for t in sub.topics:
        _string(out, t)
    _bytes(out, sub.user_data)
    if version >= 1:
        _partitions(out, sub.owned_partitions)
    if version >= 2:
        out += _I32.pack(sub.generation_id)
    if version >= 3:
        _string(out, sub.rack_id)
    return bytes(out)


def decode_subscription(data: bytes | memoryview) -> Subscription:
    r = _Reader(data)
    version = r.i16()
    topics = [r.string() or "" for _ in range(r.count())]
    user_data = r.bytes_()
    owned: list[TP] = []
    generation = -1
    if version >= 1 and r.more():
        owned = _read_partitions(r)
    if version >= 2 and r.more():
        generation = r.i32()
    return Subscription(topics, user_data, owned, generation)


def encode_assignment(assignment: Assignment, version: int = 1) -> bytes:
    out = bytearray(_I16.pack(version))
    _partitions(out, assignment.partitions)
    _bytes(out, assignment.user_data)
    return bytes(out)


def decode_assignment(data: bytes | memoryview | None) -> Assignment:
    if not data:
        return Assignment([])  # an empty assignment may come as zero bytes
    r = _Reader(data)
    r.i16()
    partitions = _read_partitions(r)
    user_data = r.bytes_() if r.more() else None
    return Assignment(partitions, user_data)
