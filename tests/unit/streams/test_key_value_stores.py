"""Key-value stores against a dict model: the bytes stores (in-memory, LMDB, including keys too long for LMDB), and
the full layering (metered over caching over change-logging) whose changelog restores an equal store."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.streams.serdes import Serdes
from strom.streams.state.api import KeyValue, ValueAndTimestamp
from strom.streams.state.internals.bytes_store import BytesKeyValueStore
from strom.streams.state.internals.thread_cache import ThreadCache
from strom.streams.state.stores import Stores
from tests.unit.streams.state_context import ChangelogContext

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

short_keys = st.binary(min_size=0, max_size=3)
keys = st.one_of(short_keys, short_keys.map(lambda k: k + b"L" * 520))  # some longer than LMDB's 511-byte limit
values = st.binary(min_size=0, max_size=4)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), keys, values),
        st.tuples(st.just("delete"), keys, st.none()),
        st.tuples(st.just("put_if_absent"), keys, values),
        st.tuples(st.just("flush"), st.none(), st.none()),
        st.tuples(st.just("scan"), st.none(), st.none()),
    ),
    max_size=40,
)


def _sorted_model(model: dict[bytes, bytes], lo: bytes | None, hi: bytes | None) -> list[tuple[bytes, bytes]]:
    return sorted((k, v) for k, v in model.items() if (lo is None or k >= lo) and (hi is None or k <= hi))


def _check_reads(
    store: Any, model: dict[bytes, bytes], lo: bytes | None, hi: bytes | None, prefix: bytes, exact_count: bool = True
) -> None:
    expected = _sorted_model(model, lo, hi)
    assert [tuple(kv) for kv in store.range(lo, hi)] == expected
    assert [tuple(kv) for kv in store.reverse_range(lo, hi)] == expected[::-1]
    assert [tuple(kv) for kv in store.all()] == sorted(model.items())
    assert [tuple(kv) for kv in store.reverse_all()] == sorted(model.items())[::-1]
    assert [tuple(kv) for kv in store.prefix_scan(prefix, Serdes.ByteArray().serializer())] == [
        (k, v) for k, v in sorted(model.items()) if k.startswith(prefix)
    ]
    if exact_count:  # a cache in front holds writes the store below has not counted yet
        assert store.approximate_num_entries() == len(model)
    for k, v in model.items():
        assert store.get(k) == v


def _apply(store: Any, model: dict[bytes, bytes], op: str, key: bytes | None, value: bytes | None) -> None:
    if op == "put":
        assert key is not None
        store.put(key, value)
        model[key] = value  # type: ignore[assignment]
    elif op == "delete":
        assert key is not None
        assert store.delete(key) == model.pop(key, None)
    elif op == "put_if_absent":
        assert key is not None
        assert store.put_if_absent(key, value) == model.get(key)
        model.setdefault(key, value)  # type: ignore[arg-type]
    elif op == "scan":
        assert [tuple(kv) for kv in store.all()] == sorted(model.items())
    else:
        store.flush()


@pytest.mark.parametrize("kind", ["memory", "lmdb"])
@SETTINGS
@given(ops=ops, lo=st.none() | short_keys, hi=st.none() | short_keys, prefix=st.binary(max_size=2))
def test_bytes_store_matches_dict(kind: str, ops: list[tuple[str, Any, Any]], lo: bytes | None, hi: bytes | None, prefix: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        supplier = Stores.persistent_key_value_store("s") if kind == "lmdb" else Stores.in_memory_key_value_store("s")
        store = supplier.get()
        context = ChangelogContext(Path(tmp))
        store.init(context, store)
        model: dict[bytes, bytes] = {}
        for op, key, value in ops:
            _apply(store, model, op, key, value)
        _check_reads(store, model, lo, hi, prefix)
        store.close()
        if kind == "lmdb":
            # What was written is there after a reopen (close commits).
            reopened = supplier.get()
            reopened.init(ChangelogContext(Path(tmp)), reopened)
            _check_reads(reopened, model, lo, hi, prefix)
            reopened.close()


@pytest.mark.parametrize("kind", ["memory", "lmdb"])
@pytest.mark.parametrize("caching", [False, True])
@SETTINGS
@given(ops=ops, lo=st.none() | short_keys, hi=st.none() | short_keys, prefix=st.binary(max_size=2))
def test_layered_store_and_its_changelog(
    kind: str, caching: bool, ops: list[tuple[str, Any, Any]], lo: bytes | None, hi: bytes | None, prefix: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        supplier = Stores.persistent_key_value_store("s") if kind == "lmdb" else Stores.in_memory_key_value_store("s")
        builder = Stores.key_value_store_builder(supplier, Serdes.ByteArray(), Serdes.ByteArray())
        if caching:
            builder.with_caching_enabled()
        store = builder.build()
        context = ChangelogContext(Path(tmp) / "a", ThreadCache(64))  # small: evictions happen
        store.init(context, store)
        model: dict[bytes, bytes] = {}
        for op, key, value in ops:
            _apply(store, model, op, key, value)
        _check_reads(store, model, lo, hi, prefix, exact_count=not caching)
        store.flush()
        assert store.approximate_num_entries() == len(model)
        # A fresh store restored from the changelog holds the same entries.
        restored_store = Stores.key_value_store_builder(
            Stores.in_memory_key_value_store("s"), Serdes.ByteArray(), Serdes.ByteArray()
        ).build()
        target = ChangelogContext(Path(tmp) / "b")
        restored_store.init(target, restored_store)
        context.restore_into("s", target)
        _check_reads(restored_store, model, lo, hi, prefix)
        store.close()


def test_cache_deduplicates_changelog_and_forwards_latest_with_old_value(tmp_path: Path) -> None:
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"), Serdes.String(), Serdes.Long())
    store = builder.with_caching_enabled().build()
    context = ChangelogContext(tmp_path, ThreadCache(10 << 20))
    store.init(context, store)
    forwarded: list[tuple[Any, Any, Any, int]] = []
    assert store.set_flush_listener(lambda k, new, old, ts: forwarded.append((k, new, old, ts)), True)  # type: ignore[attr-defined]
    for i in range(1, 6):
        context.timestamp = 100 + i
        store.put("a", i)
    store.put("b", 7)
    assert store.get("a") == 5 and context.changelog == []
    store.flush()
    assert forwarded == [("a", 5, None, 105), ("b", 7, None, 105)]
    assert [(k, v, ts) for _, k, v, ts in context.changelog] == [(b"a", (5).to_bytes(8, "big"), 105), (b"b", (7).to_bytes(8, "big"), 105)]
    context.timestamp = 200
    store.put("a", 6)
    store.delete("b")
    store.flush()
    assert forwarded[2:] == [("a", 6, 5, 200), ("b", None, 7, 200)]
    assert context.changelog[-1] == ("counts", b"b", None, 200)


def test_uncached_store_has_no_flush_listener(tmp_path: Path) -> None:
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.String(), Serdes.Long()).build()
    store.init(ChangelogContext(tmp_path), store)
    assert store.set_flush_listener(lambda *a: None, False) is False  # type: ignore[attr-defined]


def test_timestamped_store_changelog_is_javas_layout_and_restores(tmp_path: Path) -> None:
    for supplier in (Stores.persistent_timestamped_key_value_store("t"), Stores.in_memory_key_value_store("t")):
        store = Stores.timestamped_key_value_store_builder(supplier, Serdes.String(), Serdes.String()).build()
        context = ChangelogContext(tmp_path / supplier.metrics_scope() / "a")
        store.init(context, store)
        store.put("k", ValueAndTimestamp("v", 42))
        # The changelog carries the plain value; the timestamp travels as the record's timestamp.
        assert context.changelog == [("t", b"k", b"v", 42)]
        inner = store.inner_most()  # type: ignore[attr-defined]
        assert inner.get(b"k") == (42).to_bytes(8, "big") + b"v"
        restored = Stores.timestamped_key_value_store_builder(supplier, Serdes.String(), Serdes.String()).build()
        target = ChangelogContext(tmp_path / supplier.metrics_scope() / "b")
        restored.init(target, restored)
        context.restore_into("t", target)
        assert restored.get("k") == ValueAndTimestamp("v", 42)
        assert list(restored.all()) == [KeyValue("k", ValueAndTimestamp("v", 42))]
        store.close()
        restored.close()


def test_default_serdes_come_from_the_context(tmp_path: Path) -> None:
    store: Any = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), None, None).build()
    context = ChangelogContext(tmp_path)
    store.init(context, store)
    store.put("x", 3)
    assert context.changelog == [("s", b"x", (3).to_bytes(8, "big"), 0)]


def test_lru_map_evicts_least_recently_used_and_logs_tombstones(tmp_path: Path) -> None:
    store = Stores.key_value_store_builder(Stores.lru_map("lru", 2), Serdes.String(), Serdes.Long()).build()
    context = ChangelogContext(tmp_path)
    store.init(context, store)
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1
    store.put("c", 3)
    assert store.get("b") is None and store.get("a") == 1
    assert ("lru", b"b", None, 0) in context.changelog


def test_persistent_store_keeps_the_last_flush_and_survives_reopen(tmp_path: Path) -> None:
    supplier = Stores.persistent_key_value_store("p")
    store = supplier.get()
    assert isinstance(store, BytesKeyValueStore) and store.persistent()
    store.init(ChangelogContext(tmp_path), store)
    store.put(b"a", b"1")
    store.flush()
    store.put(b"b", b"2")
    store.abort()  # type: ignore[attr-defined]
    assert store.get(b"a") == b"1" and store.get(b"b") is None
    assert (tmp_path / "lmdb" / "p").is_dir()
    store.close()
    assert Stores.persistent_key_value_store("p").metrics_scope() == "rocksdb"


def test_clear_cache_drops_unflushed_writes(tmp_path: Path) -> None:
    from strom.streams.state.internals.wrapped import clear_cache

    store = (
        Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.String(), Serdes.Long()).with_caching_enabled().build()
    )
    context = ChangelogContext(tmp_path, ThreadCache(1 << 20))
    store.init(context, store)
    store.put("a", 1)
    store.flush()
    store.put("a", 2)
    clear_cache(store)
    store.flush()
    assert store.get("a") == 1 and len(context.changelog) == 1


def test_in_memory_store_keeps_order_through_bulk_puts_deletes_and_scans() -> None:
    import random

    rng = random.Random(3)
    store = Stores.in_memory_key_value_store("s").get()
    model: dict[bytes, bytes] = {}
    for step in range(20_000):
        key = rng.randbytes(2)
        if rng.random() < 0.3:
            assert store.delete(key) == model.pop(key, None)
        else:
            store.put(key, b"v")
            model[key] = b"v"
        if step % 2_500 == 0 or rng.random() < 0.001:
            lo, hi = sorted((rng.randbytes(2), rng.randbytes(2)))
            assert [kv.key for kv in store.range(lo, hi)] == sorted(k for k in model if lo <= k <= hi)
    assert [kv.key for kv in store.all()] == sorted(model)
    assert [kv.key for kv in store.reverse_all()] == sorted(model, reverse=True)


def test_persistent_store_failures_are_processor_state_exceptions(tmp_path: Path) -> None:
    from strom.streams.errors import ProcessorStateException
    from strom.streams.state.internals.lmdb_store import LmdbKeyValueStore

    (tmp_path / "lmdb" / "p").mkdir(parents=True)
    (tmp_path / "lmdb" / "p" / "data.mdb").write_bytes(b"not an lmdb file" * 512)
    store = LmdbKeyValueStore("p")
    with pytest.raises(ProcessorStateException, match="Error opening store p at location"):
        store.init(ChangelogContext(tmp_path), store)
    small = LmdbKeyValueStore("q")
    small.open_db(tmp_path / "q", map_size=1 << 16)
    with pytest.raises(ProcessorStateException, match="Error while putting key/value into store q"):
        for i in range(10_000):
            small.put(i.to_bytes(4, "big"), b"x" * 100)


def test_persistent_store_reads_from_other_threads_see_the_last_commit(tmp_path: Path) -> None:
    import threading

    store = Stores.persistent_key_value_store("p").get()
    store.init(ChangelogContext(tmp_path), store)  # opened here; the writing thread becomes the owner
    seen: list[Any] = []

    def writer() -> None:
        store.put(b"a", b"1")
        store.flush()
        store.put(b"a", b"2")
        seen.append(store.get(b"a"))  # the writer sees its own uncommitted write
        reader = threading.Thread(target=lambda: seen.append((store.get(b"a"), [tuple(kv) for kv in store.all()])))
        reader.start()
        reader.join()
        store.flush()

    t = threading.Thread(target=writer)
    t.start()
    t.join()
    assert seen == [b"2", (b"1", [(b"a", b"1")])]
    assert store.get(b"a") == b"2"  # this thread never wrote: it reads the committed state
    store.close()


def test_a_timestamped_supplier_under_a_plain_builder_restores_plain_values(tmp_path: Path) -> None:
    supplier = Stores.persistent_timestamped_key_value_store("p")
    store = Stores.key_value_store_builder(supplier, Serdes.String(), Serdes.Long()).build()
    context = ChangelogContext(tmp_path / "a")
    store.init(context, store)
    store.put("k", 7)
    restored = Stores.key_value_store_builder(supplier, Serdes.String(), Serdes.Long()).build()
    target = ChangelogContext(tmp_path / "b")
    restored.init(target, restored)
    context.restore_into("p", target)
    assert restored.get("k") == 7
    store.close()
    restored.close()
