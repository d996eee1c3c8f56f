"""The caching and change-logging layers of window and session stores, over binary schema keys (Java's
CachingWindowStore / CachingSessionStore and ChangeLoggingWindowBytesStore / ChangeLoggingSessionBytesStore)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strom.streams.state.api import KeyValue, StateStore, StateStoreContext, raw_value, timestamp_of
from strom.streams.state.internals.caching import CachingLayer
from strom.streams.state.internals.thread_cache import LRUCacheEntry
from strom.streams.state.internals.wrapped import WrappedStateStore


class SegmentedLayer(WrappedStateStore[Any]):
    """Passes the segmented store's schema facts through."""

    def segment_time(self, binary_key: bytes) -> int:
        return self._wrapped.segment_time(binary_key)  # type: ignore[no-any-return]

    def segment_id(self, timestamp: int) -> int:
        return self._wrapped.segment_id(timestamp)  # type: ignore[no-any-return]

    def min_live_time(self) -> int:
        return self._wrapped.min_live_time()  # type: ignore[no-any-return]

    def get(self, binary_key: bytes) -> bytes | None:
        return self._wrapped.get(binary_key)  # type: ignore[no-any-return]

    def fetch(
        self, lo: bytes | None, hi: bytes | None, time_from: int, time_to: int, forward: bool = True
    ) -> Iterator[KeyValue[bytes, bytes]]:
        return self._wrapped.fetch(lo, hi, time_from, time_to, forward)  # type: ignore[no-any-return]


class ChangeLoggingSegmentedBytesStore(SegmentedLayer):
    """Changelog key = the binary key; value = the raw value (a timestamped store's timestamp goes on the record)."""

    _context: StateStoreContext | None = None

    def __init__(self, wrapped: Any, timestamped: bool) -> None:
        super().__init__(wrapped)
        self.timestamped = timestamped

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._context = context
        self._wrapped.init(context, root)

    def put_with_timestamp(self, binary_key: bytes, value: bytes | None, timestamp: int) -> None:
        assert self._context is not None
        self._wrapped.put(binary_key, value)
        if value is not None and self.timestamped:
            self._context.log_change(self.name, binary_key, raw_value(value), timestamp_of(value))
        else:
            self._context.log_change(self.name, binary_key, value, timestamp)

    def put(self, binary_key: bytes, value: bytes | None) -> None:
        assert self._context is not None
        rc = self._context.record_context()
        self.put_with_timestamp(binary_key, value, 0 if rc is None else rc.timestamp)


class CachingSegmentedBytesStore(SegmentedLayer, CachingLayer[Any]):
    def put(self, binary_key: bytes, value: bytes | None) -> None:
        rc = None if self._context is None else self._context.record_context()
        self._cache.put(self._namespace, binary_key, LRUCacheEntry(value, rc, True))

    def get(self, binary_key: bytes) -> bytes | None:
        # as Java's CachingWindowStore.fetch(key, time): what the cache holds answers, expired or not (a windowed
        # aggregate's late record that its own stream time still accepts adds to the cached window)
        entry = self._cache.get(self._namespace, binary_key)
        if entry is not None:
            return entry.value
        return self._wrapped.get(binary_key)  # type: ignore[no-any-return]

    def fetch(
        self, lo: bytes | None, hi: bytes | None, time_from: int, time_to: int, forward: bool = True
    ) -> Iterator[KeyValue[bytes, bytes]]:
        merged: dict[bytes, bytes | None] = {kv.key: kv.value for kv in self._wrapped.fetch(lo, hi, time_from, time_to, True)}
        time_from = max(time_from, self.min_live_time())
        for key, entry in self._cache.range(self._namespace, lo, hi):
            if time_from <= self.segment_time(key) <= time_to:
                merged[key] = entry.value
        segment_id, segment_time = self.segment_id, self.segment_time
        live = {k: v for k, v in merged.items() if v is not None}
        keys = sorted(live, key=lambda k: (segment_id(segment_time(k)), k), reverse=not forward)
        return iter([KeyValue(k, live[k]) for k in keys])
