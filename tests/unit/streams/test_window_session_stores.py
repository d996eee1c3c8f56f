"""Window and session stores: Java's binary keys in the stores and changelogs, retention by segments, caching with
the flush listener, and restore from the changelog."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.streams.serdes import Serdes
from strom.streams.state.api import KeyValue, ValueAndTimestamp
from strom.streams.state.internals.key_schemas import SessionKeySchema, WindowKeySchema
from strom.streams.state.internals.thread_cache import ThreadCache
from strom.streams.state.stores import Stores
from strom.streams.windowed import SessionWindow, Windowed
from tests.unit.streams.state_context import ChangelogContext

MINUTE = 60_000


def test_window_key_schema_is_javas_layout() -> None:
    binary = WindowKeySchema.to_store_key_binary(b"key", 1_700_000_000_000, 3)
    assert binary == b"key" + struct.pack(">q", 1_700_000_000_000) + struct.pack(">i", 3)
    assert WindowKeySchema.extract_store_key_bytes(binary) == b"key"
    assert WindowKeySchema.extract_store_timestamp(binary) == 1_700_000_000_000
    assert WindowKeySchema.extract_store_sequence(binary) == 3


def test_session_key_schema_is_javas_layout() -> None:
    binary = SessionKeySchema.to_binary(b"k", 10, 20)
    assert binary == b"k" + struct.pack(">q", 20) + struct.pack(">q", 10)
    assert SessionKeySchema.extract_start_timestamp(binary) == 10
    assert SessionKeySchema.extract_end_timestamp(binary) == 20
    assert SessionKeySchema.extract_key_bytes(binary) == b"k"


def _window_store(persistent: bool, caching: bool = False, retention: int = 10 * MINUTE, timestamped: bool = False) -> Any:
    make = Stores.persistent_window_store if persistent else Stores.in_memory_window_store
    supplier = make("w", retention, MINUTE, False)
    builder = (Stores.timestamped_window_store_builder if timestamped else Stores.window_store_builder)(
        supplier, Serdes.String(), Serdes.Long()
    )
    if caching:
        builder.with_caching_enabled()
    return builder.build()


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("caching", [False, True])
def test_window_store_fetches_and_changelog(tmp_path: Path, persistent: bool, caching: bool) -> None:
    store = _window_store(persistent, caching)
    context = ChangelogContext(tmp_path / "a", ThreadCache(1 << 20))
    store.init(context, store)
    context.timestamp = 5
    store.put("a", 1, 0)
    store.put("a", 2, MINUTE)
    store.put("ab", 3, MINUTE)  # a longer key sharing the prefix never shows up under "a"
    store.put("b", 4, 2 * MINUTE)
    assert store.fetch("a", MINUTE) == 2
    assert list(store.fetch("a", 0, 5 * MINUTE)) == [KeyValue(0, 1), KeyValue(MINUTE, 2)]
    assert list(store.backward_fetch("a", 0, 5 * MINUTE)) == [KeyValue(MINUTE, 2), KeyValue(0, 1)]
    assert [(str(kv.key), kv.value) for kv in store.fetch_range("a", "ab", MINUTE, MINUTE)] == [
        ("[a@60000/120000]", 2),
        ("[ab@60000/120000]", 3),
    ]
    assert sorted((str(kv.key), kv.value) for kv in store.fetch_all(0, 5 * MINUTE)) == [
        ("[a@0/60000]", 1),
        ("[a@60000/120000]", 2),
        ("[ab@60000/120000]", 3),
        ("[b@120000/180000]", 4),
    ]
    store.put("a", None, 0)
    assert store.fetch("a", 0) is None
    store.flush()
    assert ("w", WindowKeySchema.to_store_key_binary(b"a", MINUTE, 0), struct.pack(">q", 2), 5) in context.changelog
    restored = _window_store(persistent=False)
    target = ChangelogContext(tmp_path / "b")
    restored.init(target, restored)
    context.restore_into("w", target)
    assert sorted((str(kv.key), kv.value) for kv in restored.all()) == [
        ("[a@60000/120000]", 2),
        ("[ab@60000/120000]", 3),
        ("[b@120000/180000]", 4),
    ]
    store.close()


@pytest.mark.parametrize("persistent", [False, True])
def test_window_store_drops_expired_segments(tmp_path: Path, persistent: bool) -> None:
    store = _window_store(persistent, retention=2 * MINUTE)
    store.init(ChangelogContext(tmp_path), store)
    store.put("a", 1, 0)
    store.put("a", 2, 10 * MINUTE)  # stream time moves on: the window at 0 is past retention
    assert store.fetch("a", 0) is None
    assert list(store.fetch("a", 0, 20 * MINUTE)) == [KeyValue(10 * MINUTE, 2)]
    store.put("a", 3, 0)  # too late: dropped
    assert store.fetch("a", 0) is None
    if persistent:
        segments = sorted(p.name for p in (tmp_path / "lmdb" / "w").iterdir())
        assert segments == [f"w.{10 * MINUTE}"]
    store.close()


def test_persistent_window_store_reopens_its_segments(tmp_path: Path) -> None:
    store = _window_store(True)
    store.init(ChangelogContext(tmp_path), store)
    store.put("a", 1, MINUTE)
    store.close()
    reopened = _window_store(True)
    reopened.init(ChangelogContext(tmp_path), reopened)
    reopened.put("a", 2, 2 * MINUTE)
    assert list(reopened.fetch("a", 0, 5 * MINUTE)) == [KeyValue(MINUTE, 1), KeyValue(2 * MINUTE, 2)]
    reopened.close()


def test_timestamped_window_store_with_cache_forwards_windowed_updates(tmp_path: Path) -> None:
    store = _window_store(True, caching=True, timestamped=True)
    context = ChangelogContext(tmp_path, ThreadCache(1 << 20))
    store.init(context, store)
    forwarded: list[Any] = []
    assert store.set_flush_listener(lambda k, new, old, ts: forwarded.append((str(k), new, old, ts)), True)
    store.put("a", ValueAndTimestamp(1, 10), 0)
    store.put("a", ValueAndTimestamp(2, 20), 0)
    store.flush()
    assert forwarded == [("[a@0/60000]", ValueAndTimestamp(2, 20), None, 0)]
    # Java's changelog: plain value, the value's timestamp on the record.
    assert context.changelog == [("w", WindowKeySchema.to_store_key_binary(b"a", 0, 0), struct.pack(">q", 2), 20)]
    assert store.fetch("a", 0) == ValueAndTimestamp(2, 20)
    store.close()


def test_window_store_retaining_duplicates_keeps_every_put(tmp_path: Path) -> None:
    builder = Stores.window_store_builder(Stores.in_memory_window_store("j", MINUTE, MINUTE, True), Serdes.String(), Serdes.Long())
    store = builder.with_caching_enabled().build()  # caching is ignored for join stores, as in Java
    context = ChangelogContext(tmp_path)
    store.init(context, store)
    store.put("a", 1, 0)
    store.put("a", 1, 0)
    assert list(store.fetch("a", 0, 0)) == [KeyValue(0, 1), KeyValue(0, 1)]
    assert [WindowKeySchema.extract_store_sequence(k) for _, k, _, _ in context.changelog] == [1, 2]


def test_window_store_rejects_window_larger_than_retention() -> None:
    with pytest.raises(ValueError, match=r"must be no smaller than its window size. Got size=\[20\], retention=\[10\]"):
        Stores.persistent_window_store("w", 10, 20, False)


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("caching", [False, True])
def test_session_store_finds_overlapping_sessions(tmp_path: Path, persistent: bool, caching: bool) -> None:
    make = Stores.persistent_session_store if persistent else Stores.in_memory_session_store
    builder = Stores.session_store_builder(make("s", 10 * MINUTE), Serdes.String(), Serdes.Long())
    if caching:
        builder.with_caching_enabled()
    store = builder.build()
    context = ChangelogContext(tmp_path / "a", ThreadCache(1 << 20))
    store.init(context, store)
    store.put(Windowed("a", SessionWindow(0, 10)), 1)
    store.put(Windowed("a", SessionWindow(100, 200)), 2)
    store.put(Windowed("ab", SessionWindow(0, 10)), 9)
    store.put(Windowed("b", SessionWindow(5, 5)), 3)
    found = [(str(kv.key), kv.value) for kv in store.find_sessions("a", 5, 150)]
    assert found == [("[a@0/10]", 1), ("[a@100/200]", 2)]
    assert [(str(kv.key), kv.value) for kv in store.find_sessions("a", 11, 150)] == [("[a@100/200]", 2)]
    assert store.fetch_session("a", 100, 200) == 2
    assert [kv.value for kv in store.fetch("a")] == [1, 2]
    assert sorted(kv.value for kv in store.fetch_range("a", "b")) == [1, 2, 3, 9]
    store.remove(Windowed("a", SessionWindow(0, 10)))
    assert [kv.value for kv in store.fetch("a")] == [2]
    store.flush()
    assert ("s", SessionKeySchema.to_binary(b"a", 100, 200), struct.pack(">q", 2), 0) in context.changelog
    restored = Stores.session_store_builder(Stores.in_memory_session_store("s", 10 * MINUTE), Serdes.String(), Serdes.Long()).build()
    target = ChangelogContext(tmp_path / "b")
    restored.init(target, restored)
    context.restore_into("s", target)
    assert sorted((str(kv.key), kv.value) for kv in restored.fetch_range(None, None)) == [
        ("[a@100/200]", 2),
        ("[ab@0/10]", 9),
        ("[b@5/5]", 3),
    ]
    store.close()


window_ops = st.lists(
    st.tuples(st.sampled_from(["a", "ab", "b"]), st.integers(0, 12).map(lambda i: i * 30_000), st.none() | st.integers(0, 9)), max_size=30
)


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("caching", [False, True])
@settings(max_examples=25, deadline=None)
@given(ops=window_ops, time_from=st.integers(0, 400_000), span=st.integers(0, 400_000))
def test_window_store_matches_model(
    persistent: bool, caching: bool, ops: list[tuple[str, int, int | None]], time_from: int, span: int
) -> None:
    retention = 2 * MINUTE
    with tempfile.TemporaryDirectory() as tmp:
        store = _window_store(persistent, caching, retention=retention)
        store.init(ChangelogContext(Path(tmp), ThreadCache(1 << 20)), store)
        model: dict[tuple[str, int], int] = {}
        observed = -1
        for key, start, value in ops:
            store.put(key, value, start)
            if caching:
                store.flush()  # stream time advances as writes reach the segments
            observed = max(observed, start)
            if value is None:
                model.pop((key, start), None)
            else:
                model[(key, start)] = value
        live = {kt: v for kt, v in model.items() if kt[1] >= observed - retention + 1}
        time_to = time_from + span
        for key in ("a", "ab", "b"):
            expected = sorted((ts, v) for (k, ts), v in live.items() if k == key and time_from <= ts <= time_to)
            assert [tuple(kv) for kv in store.fetch(key, time_from, time_to)] == expected
            assert [tuple(kv) for kv in store.backward_fetch(key, time_from, time_to)] == expected[::-1]
            for ts in range(0, 13 * 30_000, 30_000):
                # Java's caching window store answers a point fetch from its cache, expired or not
                assert store.fetch(key, ts) == (model if caching else live).get((key, ts))
        got = sorted((kv.key.key, kv.key.window.start_ms, kv.value) for kv in store.fetch_all(time_from, time_to))
        assert got == sorted((k, ts, v) for (k, ts), v in live.items() if time_from <= ts <= time_to)
        got_range = sorted((kv.key.key, kv.key.window.start_ms, kv.value) for kv in store.fetch_range("a", "ab", 0, 10**9))
        assert got_range == sorted((k, ts, v) for (k, ts), v in live.items() if k in ("a", "ab"))
        store.close()


session_ops = st.lists(
    st.tuples(
        st.sampled_from(["a", "ab", "b"]),
        st.integers(0, 10).map(lambda i: i * 20_000),
        st.integers(0, 3).map(lambda i: i * 15_000),
        st.none() | st.integers(0, 9),
    ),
    max_size=30,
)


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("caching", [False, True])
@settings(max_examples=25, deadline=None)
@given(ops=session_ops, earliest_end=st.integers(0, 300_000), latest_start=st.integers(0, 300_000))
def test_session_store_matches_model(
    persistent: bool, caching: bool, ops: list[tuple[str, int, int, int | None]], earliest_end: int, latest_start: int
) -> None:
    retention = 2 * MINUTE
    with tempfile.TemporaryDirectory() as tmp:
        make = Stores.persistent_session_store if persistent else Stores.in_memory_session_store
        builder = Stores.session_store_builder(make("s", retention), Serdes.String(), Serdes.Long())
        if caching:
            builder.with_caching_enabled()
        store = builder.build()
        store.init(ChangelogContext(Path(tmp), ThreadCache(1 << 20)), store)
        model: dict[tuple[str, int, int], int] = {}
        observed = -1
        for key, start, length, value in ops:
            store.put(Windowed(key, SessionWindow(start, start + length)), value)
            if caching:
                store.flush()
            observed = max(observed, start + length)
            if value is None:
                model.pop((key, start, start + length), None)
            else:
                model[(key, start, start + length)] = value
        live = {s: v for s, v in model.items() if s[2] >= observed - retention + 1}
        for key in ("a", "ab", "b"):
            expected = sorted(((e, s), v) for (k, s, e), v in live.items() if k == key and e >= earliest_end and s <= latest_start)
            got = [
                ((kv.key.window.end_ms, kv.key.window.start_ms), kv.value) for kv in store.find_sessions(key, earliest_end, latest_start)
            ]
            assert got == expected
            for (k, s, e), v in live.items():
                if k == key:
                    assert store.fetch_session(key, s, e) == v
        all_sessions = sorted((kv.key.key, kv.key.window.start_ms, kv.key.window.end_ms, kv.value) for kv in store.fetch_range(None, None))
        assert all_sessions == sorted((k, s, e, v) for (k, s, e), v in live.items())
        store.close()
