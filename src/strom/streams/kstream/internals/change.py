"""A KTable update as it flows between table processors: the new value and (when a downstream needs it) the old."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from strom.streams.errors import StreamsException
from strom.streams.serdes import Deserializer, Serializer

V = TypeVar("V")


class Change(Generic[V]):
    __slots__ = ("new_value", "old_value", "is_latest")

    def __init__(self, new_value: V | None, old_value: V | None, is_latest: bool = True) -> None:
        self.new_value = new_value
        self.old_value = old_value
        self.is_latest = is_latest

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Change) and (self.new_value, self.old_value, self.is_latest) == (
            other.new_value,
            other.old_value,
            other.is_latest,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"({self.new_value}<-{self.old_value})"


def _varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 31)
    out = bytearray()
    while z & ~0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _read_varint(data: bytes) -> tuple[int, int]:
    value = shift = pos = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    return (value >> 1) ^ -(value & 1), pos


class ChangedSerializer(Serializer[Change[Any]]):
    """Java's ChangedSerializer bytes (the value format of a KGroupedTable's repartition topic):
    old + 0, new + 1, or varint(len(new)) + new + old + 2."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def serialize(self, topic: str | None, data: Change[Any] | None, headers: Any = None) -> bytes | None:
        if data is None:
            return None
        new: bytes | None = None if data.new_value is None else self.inner.serialize(topic, data.new_value, headers)
        old: bytes | None = None if data.old_value is None else self.inner.serialize(topic, data.old_value, headers)
        if new is not None and old is not None:
            return _varint(len(new)) + new + old + b"\x02"
        if new is not None:
            return new + b"\x01"
        if old is not None:
            return old + b"\x00"
        raise StreamsException("Both old and new values are null in ChangeSerializer, which is not allowed.")


class ChangedDeserializer(Deserializer[Change[Any]]):
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def deserialize(self, topic: str | None, data: bytes | None, headers: Any = None) -> Change[Any] | None:
        if data is None:
            return None
        flag = data[-1]
        if flag == 2:
            n, pos = _read_varint(data)
            new = self.inner.deserialize(topic, data[pos : pos + n], headers)
            old = self.inner.deserialize(topic, data[pos + n : -1], headers)
            return Change(new, old)
        body = self.inner.deserialize(topic, data[:-1], headers)
        return Change(body, None) if flag == 1 else Change(None, body)
