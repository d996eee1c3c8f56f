"""The DSL programs of tests/integration/streams_java/DslDescribe.java, written with Strom's DSL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import (
    Branched,
    BufferConfig,
    Consumed,
    Grouped,
    Joined,
    Materialized,
    Named,
    Produced,
    Repartitioned,
    Suppressed,
)
from strom.streams.kstream.windows import JoinWindows, SessionWindows, SlidingWindows, TimeWindows
from strom.streams.processor.api import ContextualFixedKeyProcessor, FixedKeyProcessorSupplier, FixedKeyRecord
from strom.streams.serdes import Serdes


def wordcount(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .flat_map_values(lambda v: re.split(r"\W+", v.lower()))
        .group_by(lambda k, w: w)
        .count(materialized=Materialized.as_("counts-store"))
        .to_stream()
        .to("out", Produced.with_(Serdes.String(), Serdes.Long()))
    )


def stateless(b: StreamsBuilder) -> None:
    s = b.stream("in")
    s.filter(lambda k, v: True).filter_not(lambda k, v: False).map(lambda k, v: (k, v)).map_values(lambda v: v).select_key(
        lambda k, v: v
    ).peek(lambda k, v: None).to("out")
    s.foreach(lambda k, v: None)


def groupbykey_reduce(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().reduce(lambda a, c: a + c).to_stream().to("out")


def selectkey_aggregate(b: StreamsBuilder) -> None:
    b.stream("in").select_key(lambda k, v: v).group_by_key().aggregate(lambda: 0, lambda k, v, a: a + 1).to_stream().to("out")


def windowed_count(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().windowed_by(TimeWindows.of_size_and_grace(1000, 500)).count().to_stream().to("out")


def hopping_suppress(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(1000).advance_by(500))
        .count(materialized=Materialized.as_("hop"))
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream()
        .to("out")
    )


def session_count(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5000)).count().to_stream().to("out")


def sliding_reduce(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().windowed_by(SlidingWindows.of_time_difference_with_no_grace(1000)).reduce(
        lambda a, c: a + c
    ).to_stream().to("out")


def stream_table_join(b: StreamsBuilder) -> None:
    t = b.table("t")
    b.stream("s").join(t, lambda v1, v2: v1 + v2).to("out")


def stream_table_leftjoin_named(b: StreamsBuilder) -> None:
    t = b.table("t", materialized=Materialized.as_("tstore"))
    b.stream("s").left_join(t, lambda v1, v2: v1 + v2, Joined.as_("myjoin")).to("out")


def table_plain(b: StreamsBuilder) -> None:
    b.table("t").to_stream().to("out")


def stream_stream_join(b: StreamsBuilder) -> None:
    left, right = b.stream("l"), b.stream("r")
    left.join(right, lambda a, c: a + c, JoinWindows.of_time_difference_with_no_grace(100)).to("out")


def stream_stream_outer(b: StreamsBuilder) -> None:
    left, right = b.stream("l"), b.stream("r")
    left.outer_join(right, lambda a, c: a + c, JoinWindows.of_time_difference_and_grace(100, 50)).to("out")


def stream_stream_leftjoin(b: StreamsBuilder) -> None:
    left, right = b.stream("l"), b.stream("r")
    left.left_join(right, lambda a, c: a + c, JoinWindows.of_time_difference_and_grace(100, 50)).to("out")


def table_table_join(b: StreamsBuilder) -> None:
    a, c = b.table("a"), b.table("c")
    a.join(c, lambda x, y: x + y).to_stream().to("out")


def table_table_outer(b: StreamsBuilder) -> None:
    a, c = b.table("a"), b.table("c")
    a.outer_join(c, lambda x, y: x + y).left_join(b.table("d"), lambda x, y: x + y).to_stream().to("out")


def table_filter_mapvalues(b: StreamsBuilder) -> None:
    b.table("t").filter(lambda k, v: True).map_values(lambda v: v).to_stream().to("out")


def table_groupby_aggregate(b: StreamsBuilder) -> None:
    b.table("t").group_by(lambda k, v: (v, k)).aggregate(lambda: "", lambda k, v, a: a + v, lambda k, v, a: a).to_stream().to("out")


def table_groupby_count(b: StreamsBuilder) -> None:
    b.table("t").group_by(lambda k, v: (v, k)).count(materialized=Materialized.as_("cnt")).to_stream().to("out")


def global_join(b: StreamsBuilder) -> None:
    g = b.global_table("g")
    b.stream("s").join(g, lambda k, v: k, lambda v1, v2: v1 + v2).to("out")


def global_leftjoin_named(b: StreamsBuilder) -> None:
    g = b.global_table("g", materialized=Materialized.as_("gstore"))
    b.stream("s").left_join(g, lambda k, v: k, lambda v1, v2: v1 + v2).to("out")


def split_merge(b: StreamsBuilder) -> None:
    s = b.stream("in")
    m = (
        s.split(Named.as_("br-"))
        .branch(lambda k, v: v.startswith("a"), Branched.as_("a"))
        .branch(lambda k, v: v.startswith("b"))
        .default_branch()
    )
    m["br-a"].merge(m["br-2"]).to("out")
    m["br-0"].to("other")


def repartition(b: StreamsBuilder) -> None:
    b.stream("in").repartition().to("out")


def repartition_named(b: StreamsBuilder) -> None:
    b.stream("in").repartition(Repartitioned.as_("rp").with_number_of_partitions(3)).to("out")


def groupby_named(b: StreamsBuilder) -> None:
    b.stream("in").group_by(lambda k, v: v, Grouped.as_("grp")).count().to_stream().to("out")


def two_sources_pattern(b: StreamsBuilder) -> None:
    b.stream(re.compile("in-.*")).to("out")
    b.stream(["x", "y"]).to("out2")


def fk_join(b: StreamsBuilder) -> None:
    left, right = b.table("l"), b.table("r")
    left.join(right, lambda v: v, lambda a, c: a + c).to_stream().to("out")


def cogroup(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    g1.cogroup(lambda k, v, a: a + v).cogroup(g2, lambda k, v, a: a + v).aggregate(lambda: "").to_stream().to("out")


def cogroup_windowed(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    (
        g1.cogroup(lambda k, v, a: a + v)
        .cogroup(g2, lambda k, v, a: a + v)
        .windowed_by(TimeWindows.of_size_and_grace(10, 5))
        .aggregate(lambda: "")
        .to_stream()
        .to("out")
    )


def cogroup_session(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    windows = SessionWindows.of_inactivity_gap_and_grace(5, 20)
    g1.cogroup(lambda k, v, a: a + v).cogroup(g2, lambda k, v, a: a + v).windowed_by(windows).aggregate(
        lambda: "", lambda k, x, y: x + y
    ).to_stream().to("out")


def cogroup_sliding(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    windows = SlidingWindows.of_time_difference_and_grace(10, 5)
    g1.cogroup(lambda k, v, a: a + v).cogroup(g2, lambda k, v, a: a + v).windowed_by(windows).aggregate(lambda: "").to_stream().to("out")


def named_ops(b: StreamsBuilder) -> None:
    (
        b.stream("in", Consumed.as_("src"))
        .filter(lambda k, v: True, Named.as_("flt"))
        .map_values(lambda v: v, Named.as_("mv"))
        .group_by_key(Grouped.as_("g"))
        .count(Named.as_("cnt"), Materialized.as_("cs"))
        .to_stream(Named.as_("ts"))
        .to("out", Produced.as_("snk"))
    )


def to_table(b: StreamsBuilder) -> None:
    b.stream("in").to_table().to_stream().to("out")
    b.stream("in2").select_key(lambda k, v: v).to_table(Named.as_("tt"), Materialized.as_("tstore")).to_stream().to("out2")


class _Forward(ContextualFixedKeyProcessor[Any, Any, Any]):
    def process(self, record: FixedKeyRecord[Any, Any]) -> None:
        self.context().forward(record)


class _ForwardSupplier(FixedKeyProcessorSupplier[Any, Any, Any]):
    def get(self) -> _Forward:
        return _Forward()


def process(b: StreamsBuilder) -> None:
    b.stream("in").process_values(_ForwardSupplier()).to("out")


PROGRAMS: dict[str, Callable[[StreamsBuilder], None]] = {
    f.__name__: f
    for f in (
        wordcount,
        stateless,
        groupbykey_reduce,
        selectkey_aggregate,
        windowed_count,
        hopping_suppress,
        session_count,
        sliding_reduce,
        stream_table_join,
        stream_table_leftjoin_named,
        table_plain,
        stream_stream_join,
        stream_stream_outer,
        stream_stream_leftjoin,
        table_table_join,
        table_table_outer,
        table_filter_mapvalues,
        table_groupby_aggregate,
        table_groupby_count,
        global_join,
        global_leftjoin_named,
        split_merge,
        repartition,
        repartition_named,
        groupby_named,
        two_sources_pattern,
        fk_join,
        cogroup,
        cogroup_windowed,
        cogroup_session,
        cogroup_sliding,
        named_ops,
        process,
        to_table,
    )
}


def golden(text: str) -> dict[str, str]:
    """The `=== name` sections of DslDescribe.java's output."""
    out: dict[str, str] = {}
    for part in text.split("=== ")[1:]:
        name, _, body = part.partition("\n")
        out[name.strip()] = body
    return out
