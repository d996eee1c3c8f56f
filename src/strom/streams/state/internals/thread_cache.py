"""ThreadCache: the record cache of one stream thread, shared by the caching stores of its tasks and bounded by
statestore.cache.max.bytes. Repeated updates of a key between commits reach the changelog and the downstream
processors once; the least recently used entry is evicted when the cache is full, flushing its store's dirty
entries first."""

from __future__ import annotations

import bisect
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from threading import get_ident

from strom.streams.state.api import ProcessorRecordContext

log = logging.getLogger("org.apache.kafka.streams.state.internals.ThreadCache")


class LRUCacheEntry:
    """A cached value (None = deleted) and the context of the record that wrote it."""

    __slots__ = ("value", "context", "is_dirty", "nbytes")

    def __init__(self, value: bytes | None, context: ProcessorRecordContext | None = None, is_dirty: bool = False) -> None:
        self.value = value
        self.context = context
        self.is_dirty = is_dirty
        # As Java's LRUCacheEntry.size: value + dirty flag + offset + timestamp + partition + topic.
        topic = None if context is None else context.topic
        self.nbytes = (0 if value is None else len(value)) + 21 + (0 if topic is None else len(topic))

    def size(self) -> int:
        return self.nbytes

    def __repr__(self) -> str:
        return f"LRUCacheEntry({self.value!r}, dirty={self.is_dirty})"


@dataclass(frozen=True, slots=True)
class DirtyEntry:
    key: bytes
    new_value: bytes | None
    entry: LRUCacheEntry


DirtyEntryFlushListener = Callable[[list[DirtyEntry]], None]


class _Total:
    __slots__ = ("bytes",)

    def __init__(self) -> None:
        self.bytes = 0


@dataclass(eq=False)
class NamedCache:
    """The entries of one store of one task, in LRU order, with its dirty keys in the order they first became dirty
    (Java's LinkedHashSet). `total` is the thread cache's running byte count, kept with this cache's."""

    name: str
    total: _Total = field(default_factory=_Total)
    entries: OrderedDict[bytes, LRUCacheEntry] = field(default_factory=OrderedDict)
    dirty: dict[bytes, None] = field(default_factory=dict)
    listener: DirtyEntryFlushListener | None = None
    size_bytes: int = 0
    writer: int = 0  # the thread that writes (the stream thread)
    _sorted: list[bytes] | None = None

    def _grow(self, delta: int) -> None:
        self.size_bytes += delta
        self.total.bytes += delta

    def get(self, key: bytes) -> LRUCacheEntry | None:
        entry = self.entries.get(key)
        if entry is not None:
            try:
                self.entries.move_to_end(key)
            except KeyError:  # an interactive query's read, and the stream thread evicted the key meanwhile
                pass
        return entry

    def put(self, key: bytes, entry: LRUCacheEntry) -> None:
        self.writer = get_ident()
        entries = self.entries
        old = entries.get(key)
        if old is None:
            self._sorted = None
            delta = len(key) + entry.nbytes
        else:
            entries.move_to_end(key)
            if old.is_dirty and not entry.is_dirty:
                # A clean read never replaces a write that has not been flushed yet.
                entry = LRUCacheEntry(entry.value, old.context, True)
            delta = entry.nbytes - old.nbytes
        entries[key] = entry
        self.size_bytes += delta
        self.total.bytes += delta
        if entry.is_dirty:
            self.dirty[key] = None

    def delete(self, key: bytes) -> LRUCacheEntry | None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self._grow(-(len(key) + entry.size()))
            self.dirty.pop(key, None)
            self._sorted = None
        return entry

    def sorted_keys(self) -> list[bytes]:
        if get_ident() != self.writer:
            # Another thread (an interactive query) sorts for itself: a list it cached could miss a key the stream
            # thread adds meanwhile. sorted() copies the dict's keys in one C call, which the GIL keeps whole.
            return sorted(self.entries)
        if self._sorted is None:
            self._sorted = sorted(self.entries)
        return self._sorted

    def flush(self, evicted: tuple[bytes, LRUCacheEntry] | None = None) -> None:
        if evicted is None and not self.dirty:
            return
        if self.listener is None:
            raise RuntimeError(f"No flush listener registered for namespace {self.name} when flushing")
        batch: list[DirtyEntry] = []
        if evicted is not None:
            batch.append(DirtyEntry(evicted[0], evicted[1].value, evicted[1]))
            self.dirty.pop(evicted[0], None)
        deleted: list[bytes] = []
        for key in self.dirty:
            entry = self.entries[key]
            batch.append(DirtyEntry(key, entry.value, entry))
            entry.is_dirty = False
            if entry.value is None:
                deleted.append(key)
        self.dirty.clear()
        self.listener(batch)
        for key in deleted:
            # A flushed delete needs no cache entry: the store below answers None from now on.
            self.delete(key)

    def evict(self) -> None:
        key, entry = self.entries.popitem(last=False)
        self._grow(-(len(key) + entry.size()))
        self._sorted = None
        if entry.is_dirty:
            self.flush((key, entry))


class ThreadCache:
    """Written by its stream thread only. Interactive queries read it from other threads without a lock (a lock
    doubled the cost of a cached get+put): their reads are single dict operations, which CPython's GIL keeps whole,
    and they never keep state a later write could make stale."""

    def __init__(self, max_cache_size_bytes: int) -> None:
        self.max_cache_size_bytes = max_cache_size_bytes
        self._caches: dict[str, NamedCache] = {}
        self._total = _Total()
        self.num_evicts = 0
        self.num_flushes = 0

    @staticmethod
    def name_space_from_task_and_store(task_name: str, store_name: str) -> str:
        return f"{task_name}-{store_name}"

    def resize(self, new_size_bytes: int) -> None:
        """num.stream.threads changed: the total is shared again; shrink by evicting from every cache."""
        self.max_cache_size_bytes = new_size_bytes
        for cache in list(self._caches.values()):
            while self.size_bytes() > self.max_cache_size_bytes and cache.entries:
                cache.evict()
                self.num_evicts += 1

    def _cache(self, namespace: str) -> NamedCache:
        cache = self._caches.get(namespace)
        if cache is None:
            cache = self._caches[namespace] = NamedCache(namespace, self._total)
        return cache

    def add_dirty_entry_flush_listener(self, namespace: str, listener: DirtyEntryFlushListener) -> None:
        self._cache(namespace).listener = listener

    def get(self, namespace: str, key: bytes) -> LRUCacheEntry | None:
        cache = self._caches.get(namespace)
        return None if cache is None else cache.get(key)

    def put(self, namespace: str, key: bytes, entry: LRUCacheEntry) -> None:
        cache = self._cache(namespace)
        cache.put(key, entry)
        self._maybe_evict(cache)

    def put_if_absent(self, namespace: str, key: bytes, entry: LRUCacheEntry) -> LRUCacheEntry | None:
        old = self.get(namespace, key)
        if old is None:
            self.put(namespace, key, entry)
        return old

    def delete(self, namespace: str, key: bytes) -> LRUCacheEntry | None:
        cache = self._caches.get(namespace)
        return None if cache is None else cache.delete(key)

    def range(self, namespace: str, from_: bytes | None, to: bytes | None, forward: bool = True) -> Iterator[tuple[bytes, LRUCacheEntry]]:
        """Cached entries with keys in [from_, to] (None = unbounded), in key order; a snapshot of the keys."""
        cache = self._caches.get(namespace)
        if cache is None:
            return iter(())
        keys = cache.sorted_keys()
        lo = 0 if from_ is None else bisect.bisect_left(keys, from_)
        hi = len(keys) if to is None else bisect.bisect_right(keys, to)
        selected = keys[lo:hi]
        if not forward:
            selected.reverse()
        entries = cache.entries
        found = ((k, entries.get(k)) for k in selected)
        return ((k, e) for k, e in found if e is not None)

    def flush(self, namespace: str) -> None:
        cache = self._caches.get(namespace)
        if cache is not None:
            self.num_flushes += 1
            cache.flush()

    def clear(self, namespace: str) -> None:
        """Drop a store's entries without flushing (a task closed dirty, or an aborted transaction)."""
        cache = self._caches.get(namespace)
        if cache is not None:
            cache.entries.clear()
            cache.dirty.clear()
            cache._grow(-cache.size_bytes)
            cache._sorted = None

    def close(self, namespace: str) -> None:
        cache = self._caches.pop(namespace, None)
        if cache is not None:
            cache._grow(-cache.size_bytes)

    def size(self) -> int:
        return sum(len(c.entries) for c in self._caches.values())

    def size_bytes(self) -> int:
        return self._total.bytes

    def _maybe_evict(self, cache: NamedCache) -> None:
        while self._total.bytes > self.max_cache_size_bytes:
            if not cache.entries:
                return
            cache.evict()
            self.num_evicts += 1
