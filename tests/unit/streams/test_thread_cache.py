"""ThreadCache: byte accounting across the stores of a thread, LRU eviction that flushes the evicted store's dirty
entries, and nothing written is lost between the cache and what it flushed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strom.streams.state.internals.thread_cache import DirtyEntry, LRUCacheEntry, ThreadCache


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["0_0-a", "0_1-a"]), st.binary(min_size=1, max_size=2), st.none() | st.binary(max_size=6)), max_size=60
    ),
    st.integers(0, 200),
)
def test_accounting_eviction_and_no_lost_writes(ops: list[tuple[str, bytes, bytes | None]], max_bytes: int) -> None:
    cache = ThreadCache(max_bytes)
    flushed: dict[str, dict[bytes, bytes | None]] = {"0_0-a": {}, "0_1-a": {}}
    for ns in flushed:

        def listener(entries: list[DirtyEntry], ns: str = ns) -> None:
            for e in entries:
                flushed[ns][e.key] = e.new_value

        cache.add_dirty_entry_flush_listener(ns, listener)
    model: dict[str, dict[bytes, bytes | None]] = {"0_0-a": {}, "0_1-a": {}}
    for ns, key, value in ops:
        cache.put(ns, key, LRUCacheEntry(value, None, True))
        model[ns][key] = value
        sizes = [len(k) + e.size() for c in cache._caches.values() for k, e in c.entries.items()]
        assert cache.size_bytes() == sum(sizes)
        # Over the limit only while the store just written to has nothing left to evict.
        assert cache.size_bytes() <= max_bytes or not cache._caches[ns].entries
    for ns, writes in model.items():
        for key, value in writes.items():
            entry = cache.get(ns, key)
            assert (entry.value if entry is not None else flushed[ns].get(key)) == value
    for ns in model:
        cache.flush(ns)
        assert flushed[ns] == model[ns]


def test_dirty_keys_flush_in_first_write_order() -> None:
    cache = ThreadCache(1 << 20)
    seen: list[bytes] = []
    cache.add_dirty_entry_flush_listener("t-s", lambda entries: seen.extend(e.key for e in entries))
    for key in (b"b", b"a", b"b", b"c"):
        cache.put("t-s", key, LRUCacheEntry(b"v", None, True))
    cache.flush("t-s")
    assert seen == [b"b", b"a", b"c"]
