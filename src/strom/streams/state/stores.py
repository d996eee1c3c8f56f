"""Stores: the factory of store suppliers and builders (Java's org.apache.kafka.streams.state.Stores). Durations
are milliseconds (an int) or a datetime.timedelta."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from strom.streams.serdes import Serde
from strom.streams.state.api import (
    KeyValueBytesStoreSupplier,
    KeyValueStore,
    SessionBytesStoreSupplier,
    SessionStore,
    StoreBuilder,
    TimestampedKeyValueStore,
    TimestampedWindowStore,
    WindowBytesStoreSupplier,
    WindowStore,
)
from strom.streams.state.internals.builders import (
    KeyValueStoreBuilder,
    SessionStoreBuilder,
    TimestampedKeyValueStoreBuilder,
    TimestampedWindowStoreBuilder,
    WindowStoreBuilder,
)
from strom.streams.state.internals.bytes_store import BytesKeyValueStore
from strom.streams.state.internals.in_memory_key_value_store import InMemoryKeyValueStore
from strom.streams.state.internals.lmdb_store import LmdbKeyValueStore
from strom.streams.state.internals.memory_lru_cache import MemoryLRUCache
from strom.streams.state.internals.session_stores import SegmentedSessionBytesStoreSupplier
from strom.streams.state.internals.window_stores import window_supplier

K = TypeVar("K")
V = TypeVar("V")

Duration = int | timedelta


def _ms(name: str, value: Duration) -> int:
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be milliseconds (int) or a timedelta, not {type(value).__name__}")
    return value


class _KeyValueSupplier(KeyValueBytesStoreSupplier):
    def __init__(self, name: str, kind: str, timestamped: bool = False, max_cache_size: int = 0) -> None:
        if name is None:
            raise ValueError("name cannot be null")
        self._name = name
        self._kind = kind
        self._timestamped = timestamped
        self._max_cache_size = max_cache_size

    @property
    def name(self) -> str:
        return self._name

    def get(self) -> KeyValueStore[bytes, bytes]:
        store: BytesKeyValueStore
        if self._kind == "persistent":
            store = LmdbKeyValueStore(self._name)
        elif self._kind == "lru":
            store = MemoryLRUCache(self._name, self._max_cache_size)
        else:
            store = InMemoryKeyValueStore(self._name)
        store.timestamped = self._timestamped
        return store

    def metrics_scope(self) -> str:
        return {"persistent": "rocksdb", "lru": "in-memory-lru", "memory": "in-memory"}[self._kind]


class Stores:
    @staticmethod
    def persistent_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        """A key-value store on disk (LMDB) under the task directory, restored only from where its checkpoint
        left off."""
        return _KeyValueSupplier(name, "persistent")

    @staticmethod
    def persistent_timestamped_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        return _KeyValueSupplier(name, "persistent", timestamped=True)

    @staticmethod
    def in_memory_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        return _KeyValueSupplier(name, "memory")

    @staticmethod
    def lru_map(name: str, max_cache_size: int) -> KeyValueBytesStoreSupplier:
        if max_cache_size < 0:
            raise ValueError("maxCacheSize cannot be negative")
        return _KeyValueSupplier(name, "lru", max_cache_size=max_cache_size)

    @staticmethod
    def persistent_window_store(
        name: str, retention_period: Duration, window_size: Duration, retain_duplicates: bool
    ) -> WindowBytesStoreSupplier:
        return window_supplier(name, _ms("retentionPeriod", retention_period), _ms("windowSize", window_size), retain_duplicates, True)

    @staticmethod
    def persistent_timestamped_window_store(
        name: str, retention_period: Duration, window_size: Duration, retain_duplicates: bool
    ) -> WindowBytesStoreSupplier:
        return window_supplier(name, _ms("retentionPeriod", retention_period), _ms("windowSize", window_size), retain_duplicates, True)

    @staticmethod
    def in_memory_window_store(
        name: str, retention_period: Duration, window_size: Duration, retain_duplicates: bool
    ) -> WindowBytesStoreSupplier:
        return window_supplier(name, _ms("retentionPeriod", retention_period), _ms("windowSize", window_size), retain_duplicates, False)

    @staticmethod
    def persistent_session_store(name: str, retention_period: Duration) -> SessionBytesStoreSupplier:
        return SegmentedSessionBytesStoreSupplier(name, _ms("retentionPeriod", retention_period), True)

    @staticmethod
    def in_memory_session_store(name: str, retention_period: Duration) -> SessionBytesStoreSupplier:
        return SegmentedSessionBytesStoreSupplier(name, _ms("retentionPeriod", retention_period), False)

    @staticmethod
    def key_value_store_builder(
        supplier: KeyValueBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None
    ) -> StoreBuilder[KeyValueStore[K, V]]:
        return KeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_key_value_store_builder(
        supplier: KeyValueBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None
    ) -> StoreBuilder[TimestampedKeyValueStore[K, V]]:
        return TimestampedKeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def window_store_builder(
        supplier: WindowBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None
    ) -> StoreBuilder[WindowStore[K, V]]:
        return WindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_window_store_builder(
        supplier: WindowBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None
    ) -> StoreBuilder[TimestampedWindowStore[K, V]]:
        return TimestampedWindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def session_store_builder(
        supplier: SessionBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None
    ) -> StoreBuilder[SessionStore[K, V]]:
        return SessionStoreBuilder(supplier, key_serde, value_serde)
