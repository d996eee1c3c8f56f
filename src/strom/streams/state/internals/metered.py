"""The metered layer: the outermost store, turning Python keys and values into bytes with the store's serdes (the
store's changelog topic name is the serdes' topic, as in Java) and back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from strom.streams.serdes import Serde
from strom.streams.state.api import KeyValue, KeyValueStore, StateStore, StateStoreContext, ValueAndTimestamp
from strom.streams.state.internals.value_and_timestamp_serde import ValueAndTimestampSerde
from strom.streams.state.internals.wrapped import WrappedStateStore

K = TypeVar("K")
V = TypeVar("V")

# The flush listener the DSL registers: (key, new value, old value, timestamp), in Python objects.
FlushListener = Callable[[Any, Any, Any, int], None]


def changelog_topic(application_id: str, store_name: str) -> str:
    """`<application.id>-<store>-changelog`, Java's ProcessorStateManager.storeChangelogTopic."""
    return f"{application_id}-{store_name}-changelog"


class MeteredStore(WrappedStateStore[Any], Generic[K, V]):
    """Serdes for one store; None serdes are taken from default.key.serde / default.value.serde at init."""

    def __init__(self, wrapped: Any, key_serde: Serde[K] | None, value_serde: Serde[V] | None) -> None:
        super().__init__(wrapped)
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.topic = ""

    def _wrap_value_serde(self, serde: Serde[Any]) -> Serde[Any]:
        return serde

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self.topic = changelog_topic(context.application_id, self.name)
        if self.key_serde is None:
            self.key_serde = context.key_serde
        if self.value_serde is None:
            self.value_serde = context.value_serde
        if self.key_serde is None or self.value_serde is None:
            raise ValueError(f"store {self.name} has no serdes and the application sets no default serdes")
        self.value_serde = self._wrap_value_serde(self.value_serde)
        self._key_ser = self.key_serde.serializer().serialize
        self._key_de = self.key_serde.deserializer().deserialize
        self._value_ser = self.value_serde.serializer().serialize
        self._value_de = self.value_serde.deserializer().deserialize
        self._wrapped.init(context, root)

    def serialize_key(self, key: Any) -> bytes:
        raw = None if key is None else self._key_ser(self.topic, key)
        if raw is None:
            raise ValueError("key cannot be null")
        return raw

    def serialize_value(self, value: Any) -> bytes | None:
        return None if value is None else self._value_ser(self.topic, value)

    def deserialize_key(self, raw: bytes) -> Any:
        return self._key_de(self.topic, raw)

    def deserialize_value(self, raw: bytes | None) -> Any:
        return None if raw is None else self._value_de(self.topic, raw)

    def set_flush_listener(self, listener: FlushListener, send_old_values: bool = False) -> bool:
        """Forward the cache's flushed updates (deserialized) to `listener`; False when the store has no cache, in
        which case the caller forwards each update itself."""
        inner = self._wrapped
        if not hasattr(inner, "set_flush_listener"):
            return False

        def on_flush(key: bytes, new: bytes | None, old: bytes | None, timestamp: int) -> None:
            listener(self.deserialize_key(key), self.deserialize_value(new), self.deserialize_value(old), timestamp)

        return bool(inner.set_flush_listener(on_flush, send_old_values))


class MeteredKeyValueStore(MeteredStore[K, V], KeyValueStore[K, V]):
    def _kvs(self, it: Iterator[KeyValue[bytes, bytes]]) -> Iterator[KeyValue[K, V]]:
        key_de, value_de, topic = self._key_de, self._value_de, self.topic
        for k, v in it:
            yield KeyValue(key_de(topic, k), value_de(topic, v))  # type: ignore[arg-type]

    def get(self, key: K) -> V | None:
        raw = self._wrapped.get(self.serialize_key(key))
        return None if raw is None else self._value_de(self.topic, raw)

    def put(self, key: K, value: V | None) -> None:
        self._wrapped.put(self.serialize_key(key), None if value is None else self._value_ser(self.topic, value))

    def put_if_absent(self, key: K, value: V | None) -> V | None:
        return self.deserialize_value(self._wrapped.put_if_absent(self.serialize_key(key), self.serialize_value(value)))  # type: ignore[no-any-return]

    def put_all(self, entries: list[KeyValue[K, V | None]] | list[tuple[K, V | None]]) -> None:
        self._wrapped.put_all([(self.serialize_key(k), self.serialize_value(v)) for k, v in entries])

    def delete(self, key: K) -> V | None:
        return self.deserialize_value(self._wrapped.delete(self.serialize_key(key)))  # type: ignore[no-any-return]

    def _bound(self, key: K | None) -> bytes | None:
        return None if key is None else self.serialize_key(key)

    def range(self, from_: K | None, to: K | None) -> Iterator[KeyValue[K, V]]:
        return self._kvs(self._wrapped.range(self._bound(from_), self._bound(to)))

    def reverse_range(self, from_: K | None, to: K | None) -> Iterator[KeyValue[K, V]]:
        return self._kvs(self._wrapped.reverse_range(self._bound(from_), self._bound(to)))

    def all(self) -> Iterator[KeyValue[K, V]]:
        return self._kvs(self._wrapped.all())

    def reverse_all(self) -> Iterator[KeyValue[K, V]]:
        return self._kvs(self._wrapped.reverse_all())

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any) -> Iterator[KeyValue[K, V]]:
        topic = self.topic

        class _TopicSerializer:
            # The prefix is serialized with the store's serde topic, as the keys were.
            @staticmethod
            def serialize(_topic: str | None, data: Any) -> bytes | None:
                return prefix_key_serializer.serialize(topic, data)  # type: ignore[no-any-return]

        return self._kvs(self._wrapped.prefix_scan(prefix, _TopicSerializer()))

    def approximate_num_entries(self) -> int:
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]


class MeteredTimestampedKeyValueStore(MeteredKeyValueStore[K, ValueAndTimestamp[V]]):
    """Values are ValueAndTimestamp: the value serde is wrapped so the bytes are 8-byte timestamp + value."""

    def _wrap_value_serde(self, serde: Serde[Any]) -> Serde[Any]:
        return serde if isinstance(serde, ValueAndTimestampSerde) else ValueAndTimestampSerde(serde)
