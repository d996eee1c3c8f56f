"""The change-logging layer: every write to the bytes store is also sent to the store's changelog partition, so
the store can be rebuilt on any instance (Java's ChangeLogging*BytesStore)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strom.streams.state.api import (
    KeyValue,
    KeyValueStore,
    StateStore,
    StateStoreContext,
    raw_value,
    timestamp_of,
)
from strom.streams.state.internals.memory_lru_cache import MemoryLRUCache
from strom.streams.state.internals.wrapped import WrappedStateStore


class ChangeLoggingKeyValueBytesStore(WrappedStateStore[KeyValueStore[bytes, bytes]], KeyValueStore[bytes, bytes]):
    """Changelog record: the key and value bytes, timestamped with the record being processed."""

    _context: StateStoreContext | None = None
    _name = ""

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._context = context
        self._wrapped.init(context, root)
        self._name = self.name  # the inner store's, read once: every write logs under it
        if isinstance(self._wrapped, MemoryLRUCache):
            # An entry the LRU map evicts is gone from the store: the changelog says so with a tombstone.
            self._wrapped.when_eldest_removed = lambda key, _value: self.log(key, None, self._timestamp())

    def _ctx(self) -> StateStoreContext:
        if self._context is None:
            raise RuntimeError(f"store {self.name} is not initialized")
        return self._context

    def _timestamp(self) -> int:
        context = self._context
        if context is None:
            raise RuntimeError(f"store {self.name} is not initialized")
        rc = context.record_context()
        return 0 if rc is None else rc.timestamp

    def log(self, key: bytes, value: bytes | None, timestamp: int) -> None:
        self._ctx().log_change(self._name, key, value, timestamp)

    def put_with_timestamp(self, key: bytes, value: bytes | None, timestamp: int) -> None:
        """A write whose changelog record carries `timestamp` (the caching layer flushing an older record's write)."""
        self._wrapped.put(key, value)
        self.log(key, value, timestamp)

    def put(self, key: bytes, value: bytes | None) -> None:
        self._wrapped.put(key, value)
        self.log(key, value, self._timestamp())

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        previous = self._wrapped.put_if_absent(key, value)
        if previous is None:
            self.log(key, value, self._timestamp())
        return previous

    def put_all(self, entries: list[KeyValue[bytes, bytes | None]] | list[tuple[bytes, bytes | None]]) -> None:
        self._wrapped.put_all(entries)
        ts = self._timestamp()
        for key, value in entries:
            self.log(key, value, ts)

    def delete(self, key: bytes) -> bytes | None:
        old = self._wrapped.delete(key)
        self.log(key, None, self._timestamp())
        return old

    def get(self, key: bytes) -> bytes | None:
        return self._wrapped.get(key)

    def range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        return self._wrapped.range(from_, to)

    def reverse_range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        return self._wrapped.reverse_range(from_, to)

    def all(self) -> Iterator[KeyValue[bytes, bytes]]:
        return self._wrapped.all()

    def reverse_all(self) -> Iterator[KeyValue[bytes, bytes]]:
        return self._wrapped.reverse_all()

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any) -> Iterator[KeyValue[bytes, bytes]]:
        return self._wrapped.prefix_scan(prefix, prefix_key_serializer)

    def approximate_num_entries(self) -> int:
        return self._wrapped.approximate_num_entries()


class ChangeLoggingTimestampedKeyValueBytesStore(ChangeLoggingKeyValueBytesStore):
    """Values are 8-byte timestamp + value; the changelog record carries the plain value with that timestamp as the
    record timestamp (Java's layout, so Java restores Strom's changelogs and the reverse)."""

    def log(self, key: bytes, value: bytes | None, timestamp: int) -> None:
        if value is None:
            self._ctx().log_change(self._name, key, None, timestamp)
        else:
            self._ctx().log_change(self._name, key, raw_value(value), timestamp_of(value))
