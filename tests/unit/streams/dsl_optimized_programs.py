"""The programs of tests/integration/streams_java/DslOptimized.java in Strom's DSL: topology.optimization=all
(built with `build({"topology.optimization": "all"})`, as Java's `build(props)`) and the transform() family.
`describe_all()` and `run_all()` print what DslOptimized.java prints for `describe` and `outputs`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.kstream.options import Grouped, Materialized, Named, Produced
from strom.streams.kstream.transformer import Transformer, TransformerContext, ValueTransformer, ValueTransformerWithKey
from strom.streams.kstream.windows import JoinWindows, TimeWindows
from strom.streams.processor.api import PunctuationType
from strom.streams.serdes import Serdes
from strom.streams.state.api import KeyValue
from strom.streams.state.stores import Stores
from strom.streams.topology import Topology
from strom.streams.topology_test_driver import TopologyTestDriver

INPUTS = Path(__file__).parent / "dsl_optimized_inputs.txt"
OPTIMIZED = {"topology.optimization": "all"}


def s(v: Any) -> str | None:
    return None if v is None else str(v)


def j(v: Any) -> str:
    """As Java's string concatenation prints a value (null for None)."""
    return "null" if v is None else str(v)


def opt_table_source(b: StreamsBuilder) -> None:
    t = b.table("t", materialized=Materialized.as_("tstore"))
    t.to_stream().to("out")
    t2 = b.table("t2")
    b.stream("s").join(t2, lambda x, y: f"{x}+{y}").to("out2")


def opt_merge_groupby(b: StreamsBuilder) -> None:
    m = b.stream("in").map(lambda k, v: (v[:1], v))
    m.group_by_key().count().to_stream().map_values(s).to("out")
    m.group_by_key().reduce(lambda a, c: a + c).to_stream().to("out2")
    m.filter(lambda k, v: len(v) > 1).group_by_key().aggregate(lambda: "", lambda k, v, a: a + str(len(v))).to_stream().to("out3")


def opt_merge_named(b: StreamsBuilder) -> None:
    m = b.stream("in").select_key(lambda k, v: v[:1])
    m.group_by_key(Grouped.as_("first")).count().to_stream().map_values(s).to("out")
    m.group_by_key(Grouped.as_("second")).windowed_by(TimeWindows.of_size_with_no_grace(10)).count().to_stream(
        lambda wk, v: str(wk)
    ).map_values(s).to("out2")


def opt_merge_join(b: StreamsBuilder) -> None:
    m = b.stream("in").select_key(lambda k, v: v[:1])
    m.join(b.table("t"), lambda x, y: f"{x}+{y}").to("out")
    m.group_by_key().count().to_stream().map_values(s).to("out2")


def opt_merge_node(b: StreamsBuilder) -> None:
    a = b.stream("a").select_key(lambda k, v: v[:1])
    c = b.stream("c").select_key(lambda k, v: v[:1])
    m = a.merge(c)
    m.group_by_key().count().to_stream().map_values(s).to("out")
    m.group_by_key().reduce(lambda x, y: x + y).to_stream().to("out2")


def opt_value_changing(b: StreamsBuilder) -> None:
    m = b.stream("in").map(lambda k, v: (v[:1], v)).map_values(lambda v: v.upper())
    m.group_by_key().count().to_stream().map_values(s).to("out")
    m.group_by_key().reduce(lambda x, y: x + y).to_stream().to("out2")


def opt_to_table(b: StreamsBuilder) -> None:
    m = b.stream("in").select_key(lambda k, v: v[:1])
    m.to_table().to_stream().to("out")
    m.group_by_key().count().to_stream().map_values(s).to("out2")


class CountingTransformer(Transformer[str, str, Any]):
    """DslOptimized.java's: counts values per key in store "seen", forwards (first letter, key:count), and on each
    stream-time punctuation of 10 ms ("tick", number of keys)."""

    def init(self, context: TransformerContext) -> None:
        self.context = context
        self.seen = context.get_state_store("seen")
        context.schedule(
            10, PunctuationType.STREAM_TIME, lambda t: context.forward("tick", f"keys={self.seen.approximate_num_entries()}@{t}")
        )

    def transform(self, key: str, value: str) -> Any:
        before = self.seen.get(key)
        count = 1 if before is None else int(before) + 1
        self.seen.put(key, str(count))
        return None if value.startswith("x") else KeyValue(value[:1], f"{key}:{count}")


class Upper(ValueTransformer[str, str]):
    def transform(self, value: str) -> str:
        return value.upper()


class Fan(ValueTransformerWithKey[str, str, Any]):
    def transform(self, key: str, value: str) -> Any:
        return [f"{key}/{value}", value.lower()]


class Swap(Transformer[str, str, Any]):
    def transform(self, key: str, value: str) -> Any:
        return [] if "tick" in value else [(value, key)]


def transform(b: StreamsBuilder, source: str = "in", sink: str = "out") -> None:
    b.add_state_store(Stores.key_value_store_builder(Stores.in_memory_key_value_store("seen"), Serdes.String(), Serdes.String()))
    (
        b.stream(source)
        .transform(CountingTransformer, "seen")
        .transform_values(Upper)
        .flat_transform_values(Fan, named=Named.as_("fan"))
        .flat_transform(Swap)
        .to(sink)
    )


class KeyEquals(ValueTransformerWithKey[str, str, Any]):
    def transform(self, key: str, value: str | None) -> str | None:
        return None if value is None else f"{key}={value}"


class UpperOrGone(ValueTransformerWithKey[str, str, Any]):
    def transform(self, key: str, value: str | None) -> str:
        return "gone" if value is None else value.upper()


def table_transform_values(b: StreamsBuilder) -> None:
    t = b.table("t")
    t.transform_values(KeyEquals, materialized=Materialized.as_("tv")).to_stream().to("out")
    t.transform_values(UpperOrGone, named=Named.as_("upper")).to_stream().to("out2")


class FirstLetterKey(Transformer[str, str, Any]):
    def transform(self, key: str, value: str) -> Any:
        return (value[:1], value)


def opt_transform_merge(b: StreamsBuilder) -> None:
    m = b.stream("in").transform(FirstLetterKey)
    m.group_by_key().count().to_stream().map_values(s).to("out")
    m.group_by_key().reduce(lambda x, y: x + y).to_stream().to("out2")


class UpperOrNone(ValueTransformerWithKey[str, str, Any]):
    def transform(self, key: str, value: str | None) -> str | None:
        return None if value is None else value.upper()


def table_transform_join(b: StreamsBuilder) -> None:
    t = b.table("t").transform_values(UpperOrNone)
    b.stream("s").left_join(t, lambda x, y: f"{x}+{j(y)}").to("out")


class WithContext(ValueTransformerWithKey[str, str, str]):
    def init(self, context: TransformerContext) -> None:
        self.context = context

    def transform(self, key: str, value: str) -> str:
        c = self.context
        return f"{value}@{c.topic()}/{c.partition()}/{c.offset()}/{c.timestamp()}"


def transform_context(b: StreamsBuilder) -> None:
    b.stream("in").transform_values(WithContext).to("out")


def opt_self_join(b: StreamsBuilder) -> None:
    s = b.stream("in")
    s.join(s, lambda x, y: f"{x}+{y}", JoinWindows.of_time_difference_with_no_grace(10)).to("out")


def opt_app(b: StreamsBuilder) -> None:
    """tests/integration/streams/test_dsl_optimized_on_broker.py's topology."""
    users = b.table("opt-users", materialized=Materialized.as_("users"))
    users.group_by(lambda user, region: (region, user)).count(materialized=Materialized.as_("per-region")).to_stream().to(
        "opt-regions", Produced.with_(Serdes.String(), Serdes.Long())
    )
    clicks = b.stream("opt-clicks").select_key(lambda key, user: user)
    clicks.group_by_key().count(materialized=Materialized.as_("clicks")).to_stream().to(
        "opt-click-counts", Produced.with_(Serdes.String(), Serdes.Long())
    )
    clicks.join(users, lambda page, region: f"{page}@{region}").to("opt-enriched")


PROGRAMS: dict[str, Callable[[StreamsBuilder], None]] = {
    f.__name__: f
    for f in (
        opt_table_source,
        opt_merge_groupby,
        opt_merge_named,
        opt_merge_join,
        opt_merge_node,
        opt_value_changing,
        opt_to_table,
        transform,
        table_transform_values,
        opt_transform_merge,
        table_transform_join,
        transform_context,
        opt_self_join,
        opt_app,
    )
}


def build(name: str) -> Topology:
    b = StreamsBuilder()
    PROGRAMS[name](b)
    return b.build(OPTIMIZED)


def describe_all(names: list[str] | None = None) -> str:
    return "".join(f"=== {name}\n{build(name).describe()}" for name in (names or PROGRAMS))


def run(name: str) -> list[str]:
    config = {"application.id": "dsl-optimized", "default.key.serde": Serdes.String(), "default.value.serde": Serdes.String()}
    out = [f"=== {name}"]
    with TopologyTestDriver(build(name), config) as driver:
        inputs: dict[str, Any] = {}
        for line in INPUTS.read_text().splitlines():
            if not line or line.startswith("#"):
                continue
            case, topic, key, value, ts = line.split(" ")
            if case != name:
                continue
            if topic not in inputs:
                inputs[topic] = driver.create_input_topic(topic, Serdes.String().serializer(), Serdes.String().serializer())
            inputs[topic].pipe_input(None if key == "-" else key, None if value == "-" else value, timestamp=int(ts))
        for topic in ("out", "out2", "out3"):
            if topic not in driver.produced_topic_names():
                continue
            o = driver.create_output_topic(topic, Serdes.String().deserializer(), Serdes.String().deserializer())
            for r in o.read_records_to_list():
                out.append(f"{topic} {'null' if r.key is None else r.key} {'null' if r.value is None else r.value} {r.timestamp}")
    return out


def run_all(names: list[str] | None = None) -> str:
    return "".join(line + "\n" for name in (names or PROGRAMS) for line in run(name))
