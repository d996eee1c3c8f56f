"""Topology: validation errors, node groups, what the runtime reads, and describe() text equal to Java's.

processor_api_golden.txt is what Kafka Streams 3.9 prints for the same topologies
(tests/integration/streams_java/ProcessorApiGolden.java; the slow test there checks the file against Java).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from strom.streams.errors import TopologyException
from strom.streams.processor.api import ContextualProcessor, Processor, ProcessorSupplier, Record
from strom.streams.processor.nodes import SinkNode, SourceNode
from strom.streams.processor.topology_description import hash_order, java_string_hash
from strom.streams.serdes import Serdes
from strom.streams.state.api import StoreBuilder
from strom.streams.state.stores import Stores
from strom.streams.topology import Topology

GOLDEN = Path(__file__).with_name("processor_api_golden.txt")


def java_golden() -> dict[str, str]:
    text = GOLDEN.read_text()
    return {m.group(1): m.group(2) for m in re.finditer(r"=== (\w+)\n(.*?)\n=== end\n", text, re.S)}


class Forward(ContextualProcessor[object, object, object, object]):
    def process(self, record: Record[object, object]) -> None:
        self.context().forward(record)


def branches() -> Topology:
    t = Topology()
    t.add_source("SOURCE", "input")
    t.add_processor("PROCESS1", Forward, "SOURCE")
    t.add_processor("PROCESS2", Forward, "PROCESS1")
    t.add_processor("PROCESS3", Forward, "PROCESS1")
    t.add_sink("SINK1", "output-1", "PROCESS1")
    t.add_sink("SINK2", "output-2", "PROCESS2")
    t.add_sink("SINK3", "output-3", "PROCESS3")
    return t


def topics_and_pattern() -> Topology:
    t = Topology()
    t.add_source("S-many", "topic-c", "topic-a", "topic-b", "input", "words", "zzz", "A1")
    t.add_source("S-pattern", pattern=re.compile("logs-.*"))
    t.add_processor("P-many", Forward, "S-many")
    t.add_processor("P-pattern", Forward, "S-pattern")
    t.add_sink("K-pattern", "out", "P-pattern")
    return t


def diamonds() -> Topology:
    t = Topology()
    t.add_source("S", "in")
    t.add_processor("A", Forward, "S")
    t.add_processor("B", Forward, "S")
    t.add_processor("C", Forward, "A", "B")
    t.add_processor("D", Forward, "C")
    t.add_processor("E", Forward, "A")
    t.add_processor("F", Forward, "E", "D")
    t.add_sink("SINK", "out", "F", "B")
    t.add_source("S2", "in2")
    t.add_processor("M", Forward, "S2", "S")
    return t


def many_nodes() -> Topology:
    t = Topology()
    t.add_source("KSTREAM-SOURCE-0000000000", "streams-plaintext-input")
    prev = "KSTREAM-SOURCE-0000000000"
    kinds = ["FLATMAPVALUES", "KEY-SELECT", "FILTER", "MAPVALUES", "PEEK", "MAP", "FLATMAP", "BRANCH"]
    for i in range(1, 25):
        name = f"KSTREAM-{kinds[i % len(kinds)]}-{i:010d}"
        t.add_processor(name, Forward, "KSTREAM-SOURCE-0000000000" if i % 3 == 0 else prev)
        prev = name
    t.add_sink("KSTREAM-SINK-0000000025", "streams-wordcount-output", prev)
    return t


def kv(name: str) -> StoreBuilder[Any]:
    return Stores.key_value_store_builder(Stores.in_memory_key_value_store(name), Serdes.String(), Serdes.Long())


def stores() -> Topology:
    t = Topology()
    t.add_source("source-1", "in-1")
    t.add_source("source-2", "in-2")
    t.add_processor("counter", Forward, "source-1")
    t.add_processor("joiner", Forward, "source-2")
    t.add_processor("lonely", Forward, "source-2")
    t.add_state_store(kv("counts"), "counter")
    t.add_state_store(kv("store-b"), "counter")
    t.add_state_store(kv("s1"), "counter", "joiner")
    t.add_state_store(kv("KSTREAM-AGGREGATE-STATE-STORE-0000000003"), "counter")
    t.add_sink("sink", "out", "joiner", "lonely")
    return t


def global_stores() -> Topology:
    s = Serdes.String().deserializer()
    t = Topology()
    t.add_source("A", "a")
    t.add_processor("PA", Forward, "A")
    t.add_global_store(kv("global").with_logging_disabled(), "G-SOURCE", "global-topic", "G-PROCESSOR", Forward, s, s)
    t.add_source("B", "b")
    t.add_processor("PB", Forward, "B")
    t.add_global_store(kv("global-2").with_logging_disabled(), "G2-SOURCE", "global-topic-2", "G2-PROCESSOR", Forward, s, s)
    return t


@pytest.mark.parametrize("name", ["branches", "topics_and_pattern", "stores", "global_stores", "diamonds", "many_nodes"])
def test_describe_is_javas(name: str) -> None:
    topology = globals()[name]()
    assert str(topology.describe()) == java_golden()[name]


def test_java_hash_order() -> None:
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -(1 << 31)
    assert hash_order(["topic-c", "topic-a", "topic-b", "input", "words", "zzz", "A1"], copied=True) == [
        "A1",
        "input",
        "words",
        "topic-a",
        "zzz",
        "topic-b",
        "topic-c",
    ]


def test_validation_messages() -> None:
    t = Topology().add_source("S", "in")
    with pytest.raises(TopologyException, match="Invalid topology: Processor S is already added."):
        t.add_source("S", "other")
    with pytest.raises(TopologyException, match="Topic in has already been registered by another source."):
        t.add_source("S2", "in")
    with pytest.raises(TopologyException, match="Predecessor processor X is not added yet for P"):
        t.add_processor("P", Forward, "X")
    with pytest.raises(TopologyException, match="Processor P must have at least one parent"):
        t.add_processor("P", Forward)
    with pytest.raises(TopologyException, match="Processor P cannot be a predecessor of itself."):
        t.add_processor("P", Forward, "P")
    t.add_sink("K", "out", "S")
    with pytest.raises(TopologyException, match="Sink K cannot be used a parent."):
        t.add_sink("K2", "out2", "K")
    with pytest.raises(TopologyException, match="You must provide at least one topic"):
        t.add_source("S3")
    with pytest.raises(TopologyException, match="Pattern in.* will match a topic that has already been registered"):
        t.add_source("S4", pattern="in.*")
    with pytest.raises(TopologyException, match="StateStore nope is not added yet."):
        t.connect_processor_and_state_stores("K", "nope")


def test_subtopologies_and_build() -> None:
    t = diamonds()
    t.add_source("X", "x-in")
    t.add_processor("XP", Forward, "X")
    t.add_sink("XK", "x-out", "XP")
    builder = t.internal_topology_builder.set_application_id("app")
    assert list(builder.subtopologies()) == [0, 1]
    assert builder.source_topics(0) == ["in", "in2"]
    assert builder.sink_topics(0) == ["out"]
    assert builder.all_source_topics() == ["in", "in2", "x-in"]
    task = builder.build(0)
    assert [n.name for n in task.processors] == ["S", "A", "B", "C", "D", "E", "F", "SINK", "S2", "M"]
    assert isinstance(task.source("in"), SourceNode) and isinstance(task.sinks_by_topic["out"], SinkNode)
    by_name = {n.name: n for n in task.processors}
    assert [c.name for c in by_name["A"].children] == ["C", "E"]
    assert [c.name for c in by_name["S"].children] == ["A", "B", "M"]
    # fresh instances per task
    again = builder.build(0)
    assert again.processors[1] is not task.processors[1]
    assert again.processors[1].processor is not task.processors[1].processor


def test_internal_topics_are_prefixed() -> None:
    t = Topology()
    builder = t.internal_topology_builder
    builder.add_internal_topic("KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition")
    t.add_source("S", "in")
    t.add_sink("K", "KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition", "S")
    t.add_source("R", "KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition")
    t.add_processor("P", Forward, "R")
    builder.set_application_id("wc")
    topic = "wc-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition"
    assert builder.repartition_topics() == {topic: None}
    assert builder.repartition_topic_configs()[topic].properties() == {
        "cleanup.policy": "delete",
        "segment.bytes": "52428800",
        "retention.ms": "-1",
        "message.timestamp.type": "CreateTime",
    }
    assert builder.source_topics(1) == [topic]
    assert builder.sink_topics(0) == [topic]
    assert topic in builder.build(1).repartition_topics
    assert "wc-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition" in builder.build(0).sinks_by_topic


def test_supplier_forms() -> None:
    class Supplier(ProcessorSupplier[object, object, object, object]):
        def get(self) -> Processor[object, object, object, object]:
            return Forward()

    t = Topology().add_source("S", "in").add_processor("A", Supplier(), "S").add_processor("B", lambda: Forward(), "A")
    task = t.internal_topology_builder.set_application_id("a").build(0)
    assert all(isinstance(n.processor, Forward) for n in task.processors[1:])


def test_supplier_must_make_new_processors() -> None:
    shared = Forward()
    with pytest.raises(ValueError, match="generates single reference"):
        Topology().add_source("S", "in").add_processor("A", lambda: shared, "S")


def test_offset_reset_per_source() -> None:
    from enum import Enum

    class DslReset(Enum):  # the DSL's Consumed option carries its own enum
        EARLIEST = "earliest"

    t = Topology().add_source("S", "a", offset_reset=Topology.AutoOffsetReset.LATEST)
    t.add_source("S2", "b", offset_reset=DslReset.EARLIEST).add_source("S3", pattern="c-.*", offset_reset="earliest")
    builder = t.internal_topology_builder.set_application_id("x")
    assert builder.offset_reset_for("a") is Topology.AutoOffsetReset.LATEST
    assert builder.offset_reset_for("b") is Topology.AutoOffsetReset.EARLIEST
    assert builder.offset_reset_for("c-1") is Topology.AutoOffsetReset.EARLIEST
    assert builder.offset_reset_for("d") is None
    with pytest.raises(TopologyException, match="Unrecognized reset format none"):
        Topology().add_source("S", "a", offset_reset="none")


def test_copartition_groups_and_validation() -> None:
    from strom.streams.processor.internal_topology_builder import InternalTopicProperties

    t = Topology()
    builder = t.internal_topology_builder
    builder.add_internal_topic("left-repartition", InternalTopicProperties(4))
    builder.add_internal_topic("right-repartition", InternalTopicProperties(2))
    t.add_source("L", "left-repartition").add_source("R", "right-repartition").add_source("T", "table")
    builder.copartition_sources(["L", "T"])
    builder.copartition_sources(["T", "R"])
    builder.set_application_id("app")
    assert builder.copartition_groups() == [{"app-left-repartition", "table", "app-right-repartition"}]
    builder.validate_copartition()  # "table" has no fixed count: the assignor checks it against the cluster
    builder.copartition_sources(["L", "R"])
    with pytest.raises(
        TopologyException, match=r"do not have the same number of partitions: \[\{left-repartition=4, right-repartition=2\}\]"
    ):
        builder.validate_copartition()


def test_stores_join_subtopologies_and_name_changelogs() -> None:
    t = stores()
    window = Stores.window_store_builder(
        Stores.in_memory_window_store("win", 3_600_000, 60_000, False), Serdes.String(), Serdes.Long()
    ).with_logging_enabled({"min.insync.replicas": "2"})
    t.add_state_store(window, "lonely")
    builder = t.internal_topology_builder.set_application_id("app")
    assert list(builder.subtopologies()) == [0]  # "s1" is shared by counter (source-1) and joiner (source-2)
    assert builder.source_topics(0) == ["in-1", "in-2"]
    assert builder.changelog_topics()["counts"] == "app-counts-changelog"
    configs = builder.changelog_topic_configs()
    assert configs["app-counts-changelog"].properties() == {"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"}
    assert configs["app-win-changelog"].properties() == {
        "cleanup.policy": "compact,delete",
        "retention.ms": str(3_600_000 + 86_400_000),
        "message.timestamp.type": "CreateTime",
        "min.insync.replicas": "2",
    }
    task = builder.build(0)
    assert set(task.store_builders) == {"counts", "store-b", "s1", "KSTREAM-AGGREGATE-STATE-STORE-0000000003", "win"}
    assert task.store_to_changelog_topic["win"] == "app-win-changelog"
    with pytest.raises(TopologyException, match="A different StateStore has already been added with the name counts"):
        t.add_state_store(kv("counts"))
    with pytest.raises(TopologyException, match="cannot connect a state store counts to a source node or a sink node."):
        t.connect_processor_and_state_stores("sink", "counts")


def test_global_stores_make_no_tasks() -> None:
    builder = global_stores().internal_topology_builder.set_application_id("app")
    assert list(builder.subtopologies()) == [0, 2]
    assert builder.all_source_topics() == ["a", "b"]
    assert set(builder.global_stores()) == {"global", "global-2"}
    assert builder.global_stores()["global"].topic == "global-topic"
    assert "global" not in builder.changelog_topic_configs()
    global_task = builder.build_global_state_topology()
    assert global_task is not None and set(global_task.sources_by_topic) == {"global-topic", "global-topic-2"}
    with pytest.raises(TopologyException, match="StateStore global-3 for global table must not have logging enabled."):
        global_stores().add_global_store(kv("global-3"), "X", "x", "XP", Forward)


def test_package_gives_javas_top_level_names() -> None:
    import strom.streams as streams

    assert set(streams.__all__) >= {"KafkaStreams", "StreamsBuilder", "Topology", "Serdes", "Stores", "KeyValue", "TopologyTestDriver"}
    for name in streams.__all__:
        assert getattr(streams, name).__name__ == name
    assert streams.Topology is Topology
    with pytest.raises(AttributeError):
        _ = streams.Nope  # type: ignore[attr-defined]
