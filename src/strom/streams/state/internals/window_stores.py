"""Window stores: the suppliers Stores hands out, the metered window store (Python keys and values over binary
WindowKeySchema keys) and the layering its builders use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strom.streams.serdes import Serde
from strom.streams.state.api import KeyValue, WindowBytesStoreSupplier, WindowStore
from strom.streams.state.internals.key_schemas import INT_MAX, LONG_MAX, WindowKeySchema
from strom.streams.state.internals.metered import FlushListener, MeteredStore
from strom.streams.state.internals.segmented import SegmentedBytesStore, default_segment_interval
from strom.streams.state.internals.segmented_layers import CachingSegmentedBytesStore, ChangeLoggingSegmentedBytesStore
from strom.streams.state.internals.value_and_timestamp_serde import ValueAndTimestampSerde
from strom.streams.windowed import Windowed, time_window_for_size

_extract_ts = WindowKeySchema.extract_store_timestamp
_extract_key = WindowKeySchema.extract_store_key_bytes


class SegmentedWindowBytesStoreSupplier(WindowBytesStoreSupplier):
    """persistent_window_store (LMDB segments) and in_memory_window_store (dict segments)."""

    def __init__(
        self, name: str, retention_period_ms: int, segment_interval_ms: int, window_size_ms: int, retain_duplicates: bool, persistent: bool
    ) -> None:
        self._name = name
        self._retention = retention_period_ms
        self._segment_interval = segment_interval_ms
        self._window_size = window_size_ms
        self._retain_duplicates = retain_duplicates
        self._persistent = persistent

    @property
    def name(self) -> str:
        return self._name

    def get(self) -> Any:
        return SegmentedBytesStore(self._name, self._retention, self._segment_interval, _extract_ts, self._persistent)

    def metrics_scope(self) -> str:
        return "rocksdb-window" if self._persistent else "in-memory-window"

    def segment_interval_ms(self) -> int:
        return self._segment_interval

    def window_size(self) -> int:
        return self._window_size

    def retain_duplicates(self) -> bool:
        return self._retain_duplicates

    def retention_period(self) -> int:
        return self._retention


def window_supplier(
    name: str, retention_ms: int, window_size_ms: int, retain_duplicates: bool, persistent: bool
) -> SegmentedWindowBytesStoreSupplier:
    if name is None:
        raise ValueError("name cannot be null")
    if retention_ms < 0:
        raise ValueError("retentionPeriod cannot be negative")
    if window_size_ms < 0:
        raise ValueError("windowSize cannot be negative")
    if window_size_ms > retention_ms:
        raise ValueError(
            f"The retention period of the window store {name} must be no smaller than its window size. "
            f"Got size=[{window_size_ms}], retention=[{retention_ms}]"
        )
    return SegmentedWindowBytesStoreSupplier(
        name, retention_ms, default_segment_interval(retention_ms), window_size_ms, retain_duplicates, persistent
    )


class MeteredWindowStore(MeteredStore[Any, Any], WindowStore[Any, Any]):
    """The window store the processors see; below it binary keys `key + window start + seqnum`."""

    def __init__(
        self, wrapped: Any, key_serde: Serde[Any] | None, value_serde: Serde[Any] | None, window_size_ms: int, retain_duplicates: bool
    ) -> None:
        super().__init__(wrapped, key_serde, value_serde)
        self.window_size_ms = window_size_ms
        self.retain_duplicates = retain_duplicates
        self._seqnum = 0

    def put(self, key: Any, value: Any, window_start_ms: int) -> None:
        raw = self.serialize_value(value)
        if raw is None and self.retain_duplicates:
            return
        if self.retain_duplicates:
            self._seqnum = (self._seqnum + 1) & INT_MAX
        self._wrapped.put(WindowKeySchema.to_store_key_binary(self.serialize_key(key), window_start_ms, self._seqnum), raw)

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        if time_to is None:
            if self.retain_duplicates:
                first = next(self.fetch(key, time_from, time_from), None)
                return None if first is None else first.value
            return self.deserialize_value(self._wrapped.get(WindowKeySchema.to_store_key_binary(self.serialize_key(key), time_from, 0)))
        return self._fetch(key, time_from, time_to, True)

    def backward_fetch(self, key: Any, time_from: int, time_to: int) -> Iterator[KeyValue[int, Any]]:
        return self._fetch(key, time_from, time_to, False)

    def _fetch(self, key: Any, time_from: int, time_to: int, forward: bool) -> Iterator[KeyValue[int, Any]]:
        raw_key = self.serialize_key(key)
        lo, hi = WindowKeySchema.lower_range(raw_key, time_from), WindowKeySchema.upper_range(raw_key, time_to)
        for kv in self._wrapped.fetch(lo, hi, time_from, time_to, forward):
            if _extract_key(kv.key) == raw_key:
                yield KeyValue(_extract_ts(kv.key), self.deserialize_value(kv.value))

    def _windowed(self, binary: bytes) -> Windowed[Any]:
        return Windowed(self.deserialize_key(_extract_key(binary)), time_window_for_size(_extract_ts(binary), self.window_size_ms))

    def _range(self, key_from: Any, key_to: Any, time_from: int, time_to: int, forward: bool) -> Iterator[KeyValue[Any, Any]]:
        raw_from = None if key_from is None else self.serialize_key(key_from)
        raw_to = None if key_to is None else self.serialize_key(key_to)
        hi = None if raw_to is None else WindowKeySchema.upper_range(raw_to, LONG_MAX)
        for kv in self._wrapped.fetch(raw_from, hi, time_from, time_to, forward):
            k = _extract_key(kv.key)
            if (raw_from is None or k >= raw_from) and (raw_to is None or k <= raw_to):
                yield KeyValue(self._windowed(kv.key), self.deserialize_value(kv.value))

    def fetch_range(self, key_from: Any, key_to: Any, time_from: int, time_to: int) -> Iterator[KeyValue[Any, Any]]:
        return self._range(key_from, key_to, time_from, time_to, True)

    def backward_fetch_range(self, key_from: Any, key_to: Any, time_from: int, time_to: int) -> Iterator[KeyValue[Any, Any]]:
        return self._range(key_from, key_to, time_from, time_to, False)

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[KeyValue[Any, Any]]:
        return self._range(None, None, time_from, time_to, True)

    def backward_fetch_all(self, time_from: int, time_to: int) -> Iterator[KeyValue[Any, Any]]:
        return self._range(None, None, time_from, time_to, False)

    def all(self) -> Iterator[KeyValue[Any, Any]]:
        return self._range(None, None, 0, LONG_MAX, True)

    def backward_all(self) -> Iterator[KeyValue[Any, Any]]:
        return self._range(None, None, 0, LONG_MAX, False)

    def set_flush_listener(self, listener: FlushListener, send_old_values: bool = False) -> bool:
        inner = self._wrapped
        if not hasattr(inner, "set_flush_listener"):
            return False

        def on_flush(binary: bytes, new: bytes | None, old: bytes | None, timestamp: int) -> None:
            listener(self._windowed(binary), self.deserialize_value(new), self.deserialize_value(old), timestamp)

        return bool(inner.set_flush_listener(on_flush, send_old_values))


class MeteredTimestampedWindowStore(MeteredWindowStore):
    def _wrap_value_serde(self, serde: Serde[Any]) -> Serde[Any]:
        return serde if isinstance(serde, ValueAndTimestampSerde) else ValueAndTimestampSerde(serde)


def build_window_store(builder: Any, timestamped: bool) -> Any:
    supplier: WindowBytesStoreSupplier = builder.window_supplier
    store: Any = supplier.get()
    store.timestamped = timestamped
    if builder.logging_enabled():
        store = ChangeLoggingSegmentedBytesStore(store, timestamped)
    # A store that retains duplicates (stream-stream joins) is never cached, as in Java.
    if builder.caching_enabled() and not supplier.retain_duplicates():
        store = CachingSegmentedBytesStore(store)
    metered = MeteredTimestampedWindowStore if timestamped else MeteredWindowStore
    return metered(store, builder.key_serde, builder.value_serde, supplier.window_size(), supplier.retain_duplicates())
