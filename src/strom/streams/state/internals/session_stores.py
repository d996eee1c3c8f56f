"""Session stores: suppliers, the metered session store (Python keys and aggregates over binary SessionKeySchema
keys, segmented by session end) and the layering its builder uses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strom.streams.state.api import KeyValue, SessionBytesStoreSupplier, SessionStore
from strom.streams.state.internals.key_schemas import LONG_MAX, SessionKeySchema
from strom.streams.state.internals.metered import FlushListener, MeteredStore
from strom.streams.state.internals.segmented import SegmentedBytesStore, default_segment_interval
from strom.streams.state.internals.segmented_layers import CachingSegmentedBytesStore, ChangeLoggingSegmentedBytesStore
from strom.streams.windowed import SessionWindow, Windowed

_end = SessionKeySchema.extract_end_timestamp
_start = SessionKeySchema.extract_start_timestamp
_key = SessionKeySchema.extract_key_bytes


class SegmentedSessionBytesStoreSupplier(SessionBytesStoreSupplier):
    def __init__(self, name: str, retention_period_ms: int, persistent: bool) -> None:
        if name is None:
            raise ValueError("name cannot be null")
        if retention_period_ms < 0:
            raise ValueError("retentionPeriod cannot be negative")
        self._name = name
        self._retention = retention_period_ms
        self._persistent = persistent

    @property
    def name(self) -> str:
        return self._name

    def get(self) -> Any:
        return SegmentedBytesStore(self._name, self._retention, self.segment_interval_ms(), _end, self._persistent)

    def metrics_scope(self) -> str:
        return "rocksdb-session" if self._persistent else "in-memory-session"

    def segment_interval_ms(self) -> int:
        return default_segment_interval(self._retention)

    def retention_period(self) -> int:
        return self._retention


class MeteredSessionStore(MeteredStore[Any, Any], SessionStore[Any, Any]):
    def _binary(self, session_key: Windowed[Any]) -> bytes:
        if session_key is None:
            raise ValueError("sessionKey can't be null")
        window = session_key.window
        return SessionKeySchema.to_binary(self.serialize_key(session_key.key), window.start_ms, window.end_ms)

    def _windowed(self, binary: bytes) -> Windowed[Any]:
        return Windowed(self.deserialize_key(_key(binary)), SessionWindow(_start(binary), _end(binary)))

    def put(self, session_key: Any, aggregate: Any) -> None:
        self._wrapped.put(self._binary(session_key), self.serialize_value(aggregate))

    def remove(self, session_key: Any) -> None:
        self._wrapped.put(self._binary(session_key), None)

    def fetch_session(self, key: Any, session_start_time: int, session_end_time: int) -> Any:
        binary = SessionKeySchema.to_binary(self.serialize_key(key), session_start_time, session_end_time)
        return self.deserialize_value(self._wrapped.get(binary))

    def _find(
        self, key_from: Any, key_to: Any, earliest_end: int, latest_start: int, forward: bool
    ) -> Iterator[KeyValue[Windowed[Any], Any]]:
        raw_from = None if key_from is None else self.serialize_key(key_from)
        raw_to = None if key_to is None else self.serialize_key(key_to)
        lo = None if raw_from is None else SessionKeySchema.lower_range(raw_from, earliest_end)
        hi = None if raw_to is None else SessionKeySchema.upper_range(raw_to)
        for kv in self._wrapped.fetch(lo, hi, earliest_end, LONG_MAX, forward):
            k = _key(kv.key)
            if (raw_from is None or k >= raw_from) and (raw_to is None or k <= raw_to) and _start(kv.key) <= latest_start:
                yield KeyValue(self._windowed(kv.key), self.deserialize_value(kv.value))

    def find_sessions(self, key: Any, earliest_session_end_time: int, latest_session_start_time: int) -> Iterator[KeyValue[Any, Any]]:
        if key is None:
            raise ValueError("key cannot be null")
        return self._find(key, key, earliest_session_end_time, latest_session_start_time, True)

    def backward_find_sessions(
        self, key: Any, earliest_session_end_time: int, latest_session_start_time: int
    ) -> Iterator[KeyValue[Any, Any]]:
        return self._find(key, key, earliest_session_end_time, latest_session_start_time, False)

    def find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end_time: int, latest_session_start_time: int
    ) -> Iterator[KeyValue[Any, Any]]:
        return self._find(key_from, key_to, earliest_session_end_time, latest_session_start_time, True)

    def fetch(self, key: Any) -> Iterator[KeyValue[Any, Any]]:
        if key is None:
            raise ValueError("key cannot be null")
        return self._find(key, key, 0, LONG_MAX, True)

    def backward_fetch(self, key: Any) -> Iterator[KeyValue[Any, Any]]:
        return self._find(key, key, 0, LONG_MAX, False)

    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[KeyValue[Any, Any]]:
        return self._find(key_from, key_to, 0, LONG_MAX, True)

    def set_flush_listener(self, listener: FlushListener, send_old_values: bool = False) -> bool:
        inner = self._wrapped
        if not hasattr(inner, "set_flush_listener"):
            return False

        def on_flush(binary: bytes, new: bytes | None, old: bytes | None, timestamp: int) -> None:
            listener(self._windowed(binary), self.deserialize_value(new), self.deserialize_value(old), timestamp)

        return bool(inner.set_flush_listener(on_flush, send_old_values))


def build_session_store(builder: Any) -> Any:
    supplier: SessionBytesStoreSupplier = builder.session_supplier
    store: Any = supplier.get()
    if builder.logging_enabled():
        store = ChangeLoggingSegmentedBytesStore(store, False)
    if builder.caching_enabled():
        store = CachingSegmentedBytesStore(store)
    return MeteredSessionStore(store, builder.key_serde, builder.value_serde)
