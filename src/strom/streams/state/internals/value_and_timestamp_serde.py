"""ValueAndTimestampSerde: a timestamped store's values as Java writes them, 8-byte big-endian timestamp + value."""

from __future__ import annotations

import struct
from typing import Any, Generic, TypeVar

from strom.streams.serdes import Deserializer, Serde, Serializer
from strom.streams.state.api import ValueAndTimestamp

V = TypeVar("V")
_TS = struct.Struct(">q")
_pack_ts = _TS.pack
_unpack_ts = _TS.unpack_from


class ValueAndTimestampSerializer(Serializer[ValueAndTimestamp[V]], Generic[V]):
    def __init__(self, inner: Serializer[V]) -> None:
        self.inner = inner
        self._inner_serialize = inner.serialize

    def serialize(self, topic: str | None, data: ValueAndTimestamp[V] | None, headers: Any = None) -> bytes | None:
        if data is None:
            return None
        raw = self._inner_serialize(topic, data.value, headers)
        return None if raw is None else _pack_ts(data.timestamp) + raw


class ValueAndTimestampDeserializer(Deserializer[ValueAndTimestamp[V]], Generic[V]):
    def __init__(self, inner: Deserializer[V]) -> None:
        self.inner = inner
        self._inner_deserialize = inner.deserialize

    def deserialize(self, topic: str | None, data: bytes | None, headers: Any = None) -> ValueAndTimestamp[V] | None:
        if data is None:
            return None
        value = self._inner_deserialize(topic, data[8:], headers)
        return None if value is None else ValueAndTimestamp(value, _unpack_ts(data)[0])


class ValueAndTimestampSerde(Serde[ValueAndTimestamp[V]], Generic[V]):
    def __init__(self, inner: Serde[V]) -> None:
        super().__init__(ValueAndTimestampSerializer(inner.serializer()), ValueAndTimestampDeserializer(inner.deserializer()))
        self.inner = inner
