"""InMemoryKeyValueStore: a bytes store kept in a dict plus a sorted key list for ranges (Java's TreeMap)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from strom.streams.state.api import KeyValue, StateStore, StateStoreContext
from strom.streams.state.internals.bytes_store import BytesKeyValueStore, prefix_upper_bound


class InMemoryKeyValueStore(BytesKeyValueStore):
    """Not persistent: restored in full from its changelog whenever its task starts."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._map: dict[bytes, bytes] = {}
        self._keys: list[bytes] = []

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._map.clear()
        self._keys.clear()
        super().init(context, root)

    def persistent(self) -> bool:
        return False

    def get(self, key: bytes) -> bytes | None:
        return self._map.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.delete(key)
            return
        if key not in self._map:
            bisect.insort(self._keys, key)
        self._map[key] = value

    def delete(self, key: bytes) -> bytes | None:
        old = self._map.pop(key, None)
        if old is not None:
            del self._keys[bisect.bisect_left(self._keys, key)]
        return old

    def _slice(self, from_: bytes | None, to: bytes | None) -> list[bytes]:
        lo = 0 if from_ is None else bisect.bisect_left(self._keys, from_)
        hi = len(self._keys) if to is None else bisect.bisect_right(self._keys, to)
        return self._keys[lo:hi]

    def range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return self._iterate(self._slice(from_, to))

    def reverse_range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return self._iterate(self._slice(from_, to)[::-1])

    def prefix_scan_bytes(self, prefix: bytes) -> Iterator[KeyValue[bytes, bytes]]:
        lo = bisect.bisect_left(self._keys, prefix)
        upper = prefix_upper_bound(prefix)
        hi = len(self._keys) if upper is None else bisect.bisect_left(self._keys, upper)
        return self._iterate(self._keys[lo:hi])

    def _iterate(self, keys: list[bytes]) -> Iterator[KeyValue[bytes, bytes]]:
        # A snapshot of the keys: puts during iteration neither break it nor show up in it (values are read live,
        # deleted keys skipped), as Java's in-memory iterators behave.
        for k in keys:
            v = self._map.get(k)
            if v is not None:
                yield KeyValue(k, v)

    def approximate_num_entries(self) -> int:
        return len(self._map)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._map.clear()
        self._keys.clear()
        self._open = False
