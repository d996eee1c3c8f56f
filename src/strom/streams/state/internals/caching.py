"""The caching layer: writes go to the thread's record cache and reach the store below (and its changelog) when
the cache is flushed on commit or evicts them; the flush listener forwards each key's latest update once, which is
how the DSL's KTables deduplicate their output (Java's CachingKeyValueStore)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from strom.streams.state.api import KeyValue, KeyValueStore, StateStore, StateStoreContext
from strom.streams.state.internals.thread_cache import DirtyEntry, LRUCacheEntry, ThreadCache
from strom.streams.state.internals.wrapped import W, WrappedStateStore

# (key, new value, old value or None, timestamp of the record that wrote the new value); bytes at this layer.
BytesFlushListener = Callable[[bytes, bytes | None, bytes | None, int], None]


def merge_sorted(
    cached: Iterator[tuple[bytes, LRUCacheEntry]], stored: Iterator[KeyValue[bytes, bytes]], forward: bool
) -> Iterator[KeyValue[bytes, bytes]]:
    """Merge the cache's and the store's entries of one range in key order; the cache wins on equal keys and its
    None values (deletes not yet flushed) hide the stored value."""
    c = next(cached, None)
    s = next(stored, None)
    while c is not None or s is not None:
        if s is None or (c is not None and ((c[0] < s.key) if forward else (c[0] > s.key))):
            assert c is not None
            if c[1].value is not None:
                yield KeyValue(c[0], c[1].value)
            c = next(cached, None)
        elif c is None or c[0] != s.key:
            yield s
            s = next(stored, None)
        else:
            if c[1].value is not None:
                yield KeyValue(c[0], c[1].value)
            c = next(cached, None)
            s = next(stored, None)


def put_through(wrapped: Any, key: bytes, value: bytes | None, timestamp: int) -> None:
    """Write a flushed entry to the layer below, its changelog record timestamped as the record that wrote it."""
    put_with_timestamp = getattr(wrapped, "put_with_timestamp", None)
    if put_with_timestamp is not None:
        put_with_timestamp(key, value, timestamp)
    else:
        wrapped.put(key, value)


def write_back(wrapped: Any, entries: list[DirtyEntry], listener: BytesFlushListener | None, send_old_values: bool) -> None:
    """A cache flush: each dirty entry goes to the layer below and, when a listener (the DSL) is set, downstream
    with the value it replaces."""
    for dirty in entries:
        ctx = dirty.entry.context
        timestamp = 0 if ctx is None else ctx.timestamp
        if listener is None:
            put_through(wrapped, dirty.key, dirty.new_value, timestamp)
            continue
        old = wrapped.get(dirty.key) if (dirty.new_value is None or send_old_values) else None
        # Neither in the store nor written since: nothing to store or forward.
        if dirty.new_value is not None or old is not None:
            put_through(wrapped, dirty.key, dirty.new_value, timestamp)
            listener(dirty.key, dirty.new_value, old if send_old_values else None, timestamp)


class CachingLayer(WrappedStateStore[W]):
    """A caching layer's part of the thread cache, shared by the key-value and the segmented (window, session)
    caching stores: its namespace, the DSL's flush listener, the write-back on flush, and its life cycle."""

    _context: StateStoreContext | None = None
    _cache: ThreadCache
    _namespace: str = ""
    _listener: BytesFlushListener | None = None
    _send_old_values = False

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._context = context
        self._wrapped.init(context, root)
        # Without a thread cache (statestore.cache.max.bytes=0) every write is evicted at once: write-through.
        self._cache = context.cache() or ThreadCache(0)
        self._namespace = ThreadCache.name_space_from_task_and_store(str(context.task_id), self.name)
        self._cache.add_dirty_entry_flush_listener(self._namespace, self._flush_entries)

    def set_flush_listener(self, listener: BytesFlushListener, send_old_values: bool) -> bool:
        self._listener = listener
        self._send_old_values = send_old_values
        return True

    def _flush_entries(self, entries: list[DirtyEntry]) -> None:
        write_back(self._wrapped, entries, self._listener, self._send_old_values)

    def flush(self) -> None:
        self._cache.flush(self._namespace)
        self._wrapped.flush()

    def flush_cache(self) -> None:
        """Flush the cached writes without flushing the store below (Java's CachedStateStore.flushCache)."""
        self._cache.flush(self._namespace)

    def clear_cache(self) -> None:
        """Drop the cached writes (an aborted exactly-once transaction: they must never reach the store)."""
        self._cache.clear(self._namespace)

    def close(self) -> None:
        try:
            self._cache.flush(self._namespace)
        finally:
            self._cache.close(self._namespace)
            self._wrapped.close()


class CachingKeyValueStore(CachingLayer[KeyValueStore[bytes, bytes]], KeyValueStore[bytes, bytes]):
    def _record_context(self) -> Any:
        return None if self._context is None else self._context.record_context()

    def get(self, key: bytes) -> bytes | None:
        entry = self._cache.get(self._namespace, key)
        if entry is not None:
            return entry.value
        return self._wrapped.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        context = self._context
        self._cache.put(self._namespace, key, LRUCacheEntry(value, None if context is None else context.record_context(), True))

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def put_all(self, entries: list[KeyValue[bytes, bytes | None]] | list[tuple[bytes, bytes | None]]) -> None:
        for key, value in entries:
            self.put(key, value)

    def delete(self, key: bytes) -> bytes | None:
        old = self.get(key)
        self.put(key, None)
        return old

    def range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return merge_sorted(self._cache.range(self._namespace, from_, to), self._wrapped.range(from_, to), True)

    def reverse_range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return merge_sorted(self._cache.range(self._namespace, from_, to, False), self._wrapped.reverse_range(from_, to), False)

    def all(self) -> Iterator[KeyValue[bytes, bytes]]:
        return self.range(None, None)

    def reverse_all(self) -> Iterator[KeyValue[bytes, bytes]]:
        return self.reverse_range(None, None)

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any) -> Iterator[KeyValue[bytes, bytes]]:
        from strom.streams.state.internals.bytes_store import prefix_upper_bound

        p = prefix_key_serializer.serialize(None, prefix) or b""
        upper = prefix_upper_bound(p)
        cached = ((k, e) for k, e in self._cache.range(self._namespace, p, None) if upper is None or k < upper)
        return merge_sorted(cached, self._wrapped.prefix_scan(prefix, prefix_key_serializer), True)

    def approximate_num_entries(self) -> int:
        return self._wrapped.approximate_num_entries()
