"""ValueAndTimestampSerde: a timestamped store's values as Java writes them, 8-byte big-endian timestamp + value."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from strom.streams.serdes import Deserializer, Serde, Serializer
from strom.streams.state.api import ValueAndTimestamp, raw_value, timestamp_of, timestamped_bytes

V = TypeVar("V")


class ValueAndTimestampSerializer(Serializer[ValueAndTimestamp[V]], Generic[V]):
    def __init__(self, inner: Serializer[V]) -> None:
        self.inner = inner

    def serialize(self, topic: str | None, data: ValueAndTimestamp[V] | None, headers: Any = None) -> bytes | None:
        if data is None:
            return None
        return timestamped_bytes(self.inner.serialize(topic, data.value, headers), data.timestamp)


class ValueAndTimestampDeserializer(Deserializer[ValueAndTimestamp[V]], Generic[V]):
    def __init__(self, inner: Deserializer[V]) -> None:
        self.inner = inner

    def deserialize(self, topic: str | None, data: bytes | None, headers: Any = None) -> ValueAndTimestamp[V] | None:
        if data is None:
            return None
        value = self.inner.deserialize(topic, raw_value(data), headers)
        return None if value is None else ValueAndTimestamp(value, timestamp_of(data))


class ValueAndTimestampSerde(Serde[ValueAndTimestamp[V]], Generic[V]):
    def __init__(self, inner: Serde[V]) -> None:
        super().__init__(ValueAndTimestampSerializer(inner.serializer()), ValueAndTimestampDeserializer(inner.deserializer()))
        self.inner = inner
