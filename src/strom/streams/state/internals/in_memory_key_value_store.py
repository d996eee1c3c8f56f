"""InMemoryKeyValueStore: a bytes store kept in a dict, with a lazily sorted key list for ranges (Java's TreeMap).

New keys wait in a pending list and deleted keys stay in the sorted list (skipped by lookups in the dict) until a
range needs the order: restoring a million keys costs a dict insert each, and the sort happens once, in C."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from operator import add
from typing import cast

from strom.streams.state.api import KeyValue, RestoreRecord, StateStore, StateStoreContext, pack_timestamp
from strom.streams.state.internals.bytes_store import BytesKeyValueStore, prefix_upper_bound
from strom.streams.state.restore_batch import columns

_INSORT_MAX = 32  # fewer pending keys than this are inserted one by one; more are merged by one sort
_PENDING_SLACK = 100_000  # restored keys (repeats included) waiting beyond twice the store's size are merged in


class InMemoryKeyValueStore(BytesKeyValueStore):
    """Not persistent: restored in full from its changelog whenever its task starts."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._map: dict[bytes, bytes] = {}
        self._sorted: list[bytes] = []
        self._pending: list[bytes] = []
        self._stale: set[bytes] = set()  # deleted keys still in _sorted
        self._pending_repeats = False  # _pending may hold keys twice or keys already in _sorted (a restore's)

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._clear()
        super().init(context, root)

    def _clear(self) -> None:
        self._map.clear()
        self._sorted = []
        self._pending = []
        self._stale = set()
        self._pending_repeats = False

    def persistent(self) -> bool:
        return False

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        if not records:
            return
        keys, values, timestamps = columns(records)
        if None in values:  # deletes: one by one, in changelog order
            super().restore_batch(records)
            return
        # Every key goes to the pending list, present or not: sorting them in dedups them once, when a range first
        # needs the order (a set difference per batch cost more than the dict writes).
        self._pending.extend(keys)
        self._pending_repeats = True
        if len(self._pending) > 2 * len(self._map) + _PENDING_SLACK:  # a standby updating the same keys for good
            self._keys()
        puts = cast("Sequence[bytes]", values)  # no tombstones in this batch
        stored = map(add, map(pack_timestamp, timestamps), puts) if self.timestamped else puts
        self._map.update(zip(keys, stored, strict=True))  # in order: the last write of a key wins

    def get(self, key: bytes) -> bytes | None:
        return self._map.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.delete(key)
            return
        if key not in self._map:
            if key in self._stale:
                self._stale.discard(key)
            else:
                self._pending.append(key)
        self._map[key] = value

    def delete(self, key: bytes) -> bytes | None:
        old = self._map.pop(key, None)
        if old is not None:
            self._stale.add(key)
        return old

    def _keys(self) -> list[bytes]:
        """The sorted keys (possibly with deleted ones, which readers skip)."""
        pending = self._pending
        if pending:
            if self._pending_repeats:
                self._sorted = sorted(set(self._sorted).union(pending))
                self._pending_repeats = False
            elif len(pending) <= _INSORT_MAX:
                for key in pending:
                    bisect.insort(self._sorted, key)
            else:
                self._sorted.extend(pending)
                self._sorted.sort()  # two sorted runs: timsort merges them in linear time
            self._pending = []
        if len(self._stale) > 64 and len(self._stale) > len(self._map):
            self._sorted = [k for k in self._sorted if k in self._map]
            self._stale = set()
        return self._sorted

    def _slice(self, from_: bytes | None, to: bytes | None) -> list[bytes]:
        keys = self._keys()
        lo = 0 if from_ is None else bisect.bisect_left(keys, from_)
        hi = len(keys) if to is None else bisect.bisect_right(keys, to)
        return keys[lo:hi]

    def range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return self._iterate(self._slice(from_, to))

    def reverse_range(self, from_: bytes | None, to: bytes | None) -> Iterator[KeyValue[bytes, bytes]]:
        if from_ is not None and to is not None and from_ > to:
            return iter(())
        return self._iterate(self._slice(from_, to)[::-1])

    def prefix_scan_bytes(self, prefix: bytes) -> Iterator[KeyValue[bytes, bytes]]:
        keys = self._keys()
        lo = bisect.bisect_left(keys, prefix)
        upper = prefix_upper_bound(prefix)
        hi = len(keys) if upper is None else bisect.bisect_left(keys, upper)
        return self._iterate(keys[lo:hi])

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
        self._clear()
        self._open = False
