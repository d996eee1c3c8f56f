"""The DSL's windows assign records to the windows Java assigns them to; options are immutable builders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strom.streams.kstream.options import BufferConfig, Consumed, Grouped, Materialized, Named, Produced, Suppressed
from strom.streams.kstream.windows import JoinWindows, SessionWindows, SlidingWindows, TimeWindows


def test_tumbling_windows_for() -> None:
    w = TimeWindows.of_size_with_no_grace(timedelta(seconds=1))
    assert w.windows_for(0) == {0: 1000}
    assert w.windows_for(999) == {0: 1000}
    assert w.windows_for(1000) == {1000: 2000}
    assert w.grace_period_ms() == 0


def test_hopping_windows_for() -> None:
    w = TimeWindows.of_size_and_grace(1000, 50).advance_by(300)
    assert w.windows_for(1000) == {300: 1300, 600: 1600, 900: 1900}
    assert w.windows_for(100) == {0: 1000}
    assert w.grace_period_ms() == 50


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(0, 10**9))
def test_hopping_windows_contain_the_timestamp(size: int, advance: int, ts: int) -> None:
    if advance > size:
        size, advance = advance, size
    windows = TimeWindows.of_size_with_no_grace(size).advance_by(advance).windows_for(ts)
    assert windows
    for start, end in windows.items():
        assert start <= ts < end and start % advance == 0 and end - start == size
    # no window of the grid that contains ts is missing
    assert len(windows) == len([s for s in range(max(0, ts - size + 1), ts + 1) if s % advance == 0])


def test_window_validation() -> None:
    with pytest.raises(ValueError, match="must be larger than zero"):
        TimeWindows.of_size_with_no_grace(0)
    with pytest.raises(ValueError, match="advancement interval"):
        TimeWindows.of_size_with_no_grace(10).advance_by(11)
    with pytest.raises(ValueError):
        SessionWindows.of_inactivity_gap_with_no_grace(0)
    with pytest.raises(ValueError, match="negative"):
        SlidingWindows.of_time_difference_and_grace(10, -1)


def test_join_windows() -> None:
    j = JoinWindows.of_time_difference_and_grace(100, 20)
    assert (j.before_ms, j.after_ms, j.grace_period_ms(), j.size()) == (100, 100, 20, 200)
    j = j.before(0).after(50)
    assert (j.before_ms, j.after_ms, j.size()) == (0, 50, 50)


def test_options_static_and_instance_builders() -> None:
    c = Consumed.with_key_serde("k")
    assert c.key_serde == "k" and c.value_serde is None
    c2 = c.with_value_serde("v").with_name("src")
    assert (c.value_serde, c2.value_serde, c2.processor_name, c2.key_serde) == (None, "v", "src", "k")
    assert Produced.as_("snk").with_key_serde("k").processor_name == "snk"
    assert Grouped.as_("g").name == "g"
    m = Materialized.as_("store").with_logging_disabled().with_caching_disabled().with_retention(timedelta(minutes=1))
    assert (m.store_name, m.logging_enabled, m.caching_enabled, m.retention_ms) == ("store", False, False, 60000)
    with pytest.raises(ValueError, match="illegal"):
        Named.as_("bad name")


def test_suppressed_until_window_closes_needs_a_strict_buffer() -> None:
    assert Suppressed.until_window_closes(BufferConfig.unbounded()).time_to_wait_ms is None
    assert Suppressed.until_window_closes(BufferConfig.max_records_(5).shut_down_when_full()).buffer_config.max_records == 5
    with pytest.raises(ValueError, match="strict"):
        Suppressed.until_window_closes(BufferConfig.max_records_(5))
    assert Suppressed.until_time_limit(timedelta(seconds=2), BufferConfig.unbounded()).time_to_wait_ms == 2000


def test_windowed_keys_go_to_the_partition_of_their_plain_key() -> None:
    from strom.client.partitioner import partition_for_key
    from strom.streams.kstream.internals.stream_processors import windowed_partitioner
    from strom.streams.serdes import Serdes, WindowedSerdes
    from strom.streams.windowed import TimeWindow, Windowed

    partitioner = windowed_partitioner(WindowedSerdes.time_windowed_serde_from(Serdes.String(), 10).serializer())
    assert partitioner is not None and windowed_partitioner(Serdes.String().serializer()) is None
    for key in ("a", "page-17", "ü"):
        for start in (0, 10, 990):
            assert partitioner.partition("t", Windowed(key, TimeWindow(start, start + 10)), None, 7) == partition_for_key(key.encode(), 7)
