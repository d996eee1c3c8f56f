"""MemoryLRUCache: Stores.lru_map, an in-memory key-value store that keeps its most recently used max_cache_size
entries; an evicted entry is logged as a tombstone so a restored store holds the same keys."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

from strom.streams.state.api import KeyValue, StateStore, StateStoreContext
from strom.streams.state.internals.bytes_store import BytesKeyValueStore


class MemoryLRUCache(BytesKeyValueStore):
    def __init__(self, name: str, max_cache_size: int) -> None:
        super().__init__(name)
        if max_cache_size < 0:
            raise ValueError("maxCacheSize cannot be negative")
        self.max_cache_size = max_cache_size
        self._map: OrderedDict[bytes, bytes] = OrderedDict()
        self.when_eldest_removed: Callable[[bytes, bytes], None] | None = None

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._map.clear()
        super().init(context, root)

    def persistent(self) -> bool:
        return False

    def get(self, key: bytes) -> bytes | None:
        value = self._map.get(key)
        if value is not None:
            self._map.move_to_end(key)
        return value

    def put(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self._map.pop(key, None)
            return
        self._map[key] = value
        self._map.move_to_end(key)
        while len(self._map) > self.max_cache_size:
            eldest, eldest_value = self._map.popitem(last=False)
            if self.when_eldest_removed is not None:
                self.when_eldest_removed(eldest, eldest_value)

    def delete(self, key: bytes) -> bytes | None:
        return self._map.pop(key, None)

    def _sorted(self, from_: bytes | None, to: bytes | None, reverse: bool) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        keys = sorted((k for k in self._map if (from_ is None or k >= from_) and (to is None or k <= to)), reverse=reverse)
        return iter([KeyValue(k, self._map[k]) for k in keys])

    def range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        return self._sorted(from_, to, False)

    def reverse_range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        return self._sorted(from_, to, True)

    def approximate_num_entries(self) -> int:
        return len(self._map)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._map.clear()
        self._open = False
