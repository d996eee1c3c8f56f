"""The programs of tests/integration/streams_java/DslOutputs.java in Strom's DSL, run in Strom's
TopologyTestDriver on dsl_inputs.txt; `run_all()` prints what DslOutputs.java prints."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Branched, BufferConfig, Materialized, Named, Suppressed
from strom.streams.kstream.windows import JoinWindows, SessionWindows, SlidingWindows, TimeWindows
from strom.streams.processor.api import ContextualProcessor, ProcessorContext, ProcessorSupplier, Record
from strom.streams.serdes import Serdes
from strom.streams.state.stores import Stores
from strom.streams.topology_test_driver import TopologyTestDriver

INPUTS = Path(__file__).parent / "dsl_inputs.txt"


def s(v: Any) -> str | None:
    return None if v is None else str(v)


def j(v: Any) -> str:
    """As Java's string concatenation prints a value (null for None)."""
    return "null" if v is None else str(v)


def wordcount(b: StreamsBuilder) -> None:
    b.stream("in").flat_map_values(lambda v: re.split(r"\W+|_", v.lower())).group_by(lambda k, w: w).count().to_stream().map_values(s).to(
        "out"
    )


def windowed(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(10, 5))
        .count()
        .to_stream(lambda wk, v: str(wk))
        .map_values(s)
        .to("out")
    )


def suppress(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(10, 2).advance_by(5))
        .count(materialized=Materialized.with_(Serdes.String(), Serdes.Long()))
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream(lambda wk, v: str(wk))
        .map_values(s)
        .to("out")
    )


def session(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 20))
        .count()
        .to_stream(lambda wk, v: str(wk))
        .map_values(s)
        .to("out")
    )


def sliding(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SlidingWindows.of_time_difference_and_grace(10, 5))
        .aggregate(lambda: "", lambda k, v, agg: agg + v)
        .to_stream(lambda wk, v: str(wk))
        .to("out")
    )


def stream_table(b: StreamsBuilder) -> None:
    t = b.table("t")
    st = b.stream("s")
    st.join(t, lambda x, y: f"{x}+{y}").to("out")
    st.left_join(t, lambda x, y: f"{x}+{j(y)}").to("out2")


def stream_stream(b: StreamsBuilder) -> None:
    left, right = b.stream("l"), b.stream("r")
    w = JoinWindows.of_time_difference_and_grace(5, 3)
    left.join(right, lambda x, y: f"{x}+{y}", w).to("out")
    left.left_join(right, lambda x, y: f"{x}+{j(y)}", w).to("out2")
    left.outer_join(right, lambda x, y: f"{j(x)}+{j(y)}", w).to("out3")


def table_table(b: StreamsBuilder) -> None:
    a, c = b.table("a"), b.table("b")
    a.join(c, lambda x, y: f"{x}+{y}").to_stream().to("out")
    a.left_join(c, lambda x, y: f"{x}+{j(y)}").to_stream().to("out2")
    a.outer_join(c, lambda x, y: f"{j(x)}+{j(y)}").to_stream().to("out3")


def fk_join(b: StreamsBuilder) -> None:
    left, right = b.table("l"), b.table("r")
    left.join(right, lambda v: v.split("|")[0], lambda a, c: f"{a}+{c}").to_stream().to("out")
    left.left_join(right, lambda v: v.split("|")[0], lambda a, c: f"{j(a)}+{j(c)}").to_stream().to("out2")


def table_groupby(b: StreamsBuilder) -> None:
    (
        b.table("t")
        .group_by(lambda k, v: (str(len(v)), v))
        .aggregate(lambda: "", lambda k, v, agg: f"{agg}+{v}", lambda k, v, agg: f"{agg}-{v}")
        .to_stream()
        .to("out")
    )


def global_(b: StreamsBuilder) -> None:
    g = b.global_table("g")
    st = b.stream("s")
    st.join(g, lambda k, v: v, lambda x, y: f"{x}+{y}").to("out")
    st.left_join(g, lambda k, v: v, lambda x, y: f"{x}+{j(y)}").to("out2")


def cogroup(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    g1.cogroup(lambda k, v, a: a + v).cogroup(g2, lambda k, v, a: a + v.upper()).aggregate(lambda: "").to_stream().to("out")


def cogroup_windowed(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    (
        g1.cogroup(lambda k, v, a: a + v)
        .cogroup(g2, lambda k, v, a: a + v.upper())
        .windowed_by(TimeWindows.of_size_and_grace(10, 5))
        .aggregate(lambda: "")
        .to_stream(lambda wk, v: str(wk))
        .to("out")
    )


def cogroup_session(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    (
        g1.cogroup(lambda k, v, a: a + v)
        .cogroup(g2, lambda k, v, a: a + v.upper())
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 20))
        .aggregate(lambda: "", lambda k, x, y: x + "|" + y)
        .to_stream(lambda wk, v: str(wk))
        .to("out")
    )


def cogroup_sliding(b: StreamsBuilder) -> None:
    g1 = b.stream("a").group_by_key()
    g2 = b.stream("c").group_by_key()
    (
        g1.cogroup(lambda k, v, a: a + v)
        .cogroup(g2, lambda k, v, a: a + v.upper())
        .windowed_by(SlidingWindows.of_time_difference_and_grace(10, 5))
        .aggregate(lambda: "")
        .to_stream(lambda wk, v: str(wk))
        .to("out")
    )


class _Seen(ContextualProcessor[Any, Any, Any, Any]):
    store: Any = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store("seen")

    def process(self, record: Record[Any, Any]) -> None:
        before = self.store.get(record.key)
        now = record.value if before is None else f"{before},{record.value}"
        self.store.put(record.key, now)
        self.context().forward(record.with_key(record.value).with_value(now))


class _SeenSupplier(ProcessorSupplier[Any, Any, Any, Any]):
    def get(self) -> _Seen:
        return _Seen()


def process_extractor(b: StreamsBuilder) -> None:
    b.add_state_store(Stores.key_value_store_builder(Stores.in_memory_key_value_store("seen"), Serdes.String(), Serdes.String()))
    b.stream("in").process(_SeenSupplier(), "seen").to(lambda k, v, rc: "out2" if "," in v else "out")


def to_table(b: StreamsBuilder) -> None:
    b.stream("in").to_table().join(b.table("t"), lambda x, y: f"{x}+{y}").to_stream().to("out")


def stateless(b: StreamsBuilder) -> None:
    m = (
        b.stream("in")
        .filter(lambda k, v: not v.startswith("c"))
        .map_values(lambda v: v.upper())
        .split(Named.as_("b-"))
        .branch(lambda k, v: v.startswith("A"), Branched.as_("a"))
        .default_branch()
    )
    m["b-a"].select_key(lambda k, v: v[:2]).to("out")
    m["b-0"].flat_map(lambda k, v: [(k, v), (k + "!", v.lower())]).to("out2")


PROGRAMS: dict[str, Callable[[StreamsBuilder], None]] = {
    "wordcount": wordcount,
    "windowed": windowed,
    "suppress": suppress,
    "session": session,
    "sliding": sliding,
    "stream_table": stream_table,
    "stream_stream": stream_stream,
    "table_table": table_table,
    "fk_join": fk_join,
    "table_groupby": table_groupby,
    "global": global_,
    "cogroup": cogroup,
    "cogroup_windowed": cogroup_windowed,
    "cogroup_session": cogroup_session,
    "cogroup_sliding": cogroup_sliding,
    "process_extractor": process_extractor,
    "to_table": to_table,
    "stateless": stateless,
}

CONFIG = {
    "application.id": "dsl-outputs",
    "default.key.serde": Serdes.String(),
    "default.value.serde": Serdes.String(),
    "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__": 0,
}


def run(name: str) -> list[str]:
    inputs = [line.split(" ") for line in INPUTS.read_text().splitlines() if line and not line.startswith("#")]
    b = StreamsBuilder()
    PROGRAMS[name](b)
    lines = [f"=== {name}"]
    with TopologyTestDriver(b.build(), CONFIG, 0) as d:
        ser = Serdes.String().serializer()
        for case, topic, key, value, ts in inputs:
            if case == name:
                d.create_input_topic(topic, ser, ser).pipe_input(None if key == "-" else key, None if value == "-" else value, int(ts))
        de = Serdes.String().deserializer()
        for topic in ("out", "out2", "out3"):
            if topic in d.produced_topic_names():
                for r in d.create_output_topic(topic, de, de).read_records_to_list():
                    lines.append(f"{topic} {r.key} {r.value} {r.timestamp}".replace(" None ", " null "))
    return lines


def run_all() -> str:
    return "".join(line + "\n" for name in PROGRAMS for line in run(name))
