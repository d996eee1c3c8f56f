"""Java's count(Materialized) without a store name uses up one name index before naming its store (kept for
topology compatibility), on grouped, time-windowed and session-windowed streams but not on sliding windows or
count(Named); the store and changelog names after it are Java's only if Strom does the same (Kafka Streams 3.9.1
names the windowed count's store below KSTREAM-AGGREGATE-STATE-STORE-0000000002, as
tests/integration/streams/test_internal_topics_java.py sees on a broker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Materialized, Named
from strom.streams.kstream.windows import SessionWindows, SlidingWindows, TimeWindows
from strom.streams.serdes import Serdes

M = Materialized.with_(Serdes.String(), Serdes.Long())


@pytest.mark.parametrize(
    ("count", "store"),
    [
        (lambda g: g.count(materialized=M), "KSTREAM-AGGREGATE-STATE-STORE-0000000002"),
        (lambda g: g.count(), "KSTREAM-AGGREGATE-STATE-STORE-0000000001"),
        (lambda g: g.windowed_by(TimeWindows.of_size_with_no_grace(10)).count(materialized=M), "KSTREAM-AGGREGATE-STATE-STORE-0000000002"),
        (
            lambda g: g.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10)).count(materialized=M),
            "KSTREAM-AGGREGATE-STATE-STORE-0000000002",
        ),
        (
            lambda g: g.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10)).count(named=Named.as_("c")),
            "KSTREAM-AGGREGATE-STATE-STORE-0000000001",
        ),
        (
            lambda g: g.windowed_by(SlidingWindows.of_time_difference_with_no_grace(10)).count(materialized=M),
            "KSTREAM-AGGREGATE-STATE-STORE-0000000001",
        ),
    ],
)
def test_count_burns_a_name_as_java(count: Callable[[Any], Any], store: str) -> None:
    b = StreamsBuilder()
    count(b.stream("in").group_by_key())
    assert list(b.build().internal_topology_builder.state_store_names()) == [store]
