"""topology.optimization=all builds Java's topology: describe() of each program in dsl_optimized_programs.py is the
text Kafka Streams 3.9.1 prints for `builder.build(props)` (dsl_optimized_golden.txt), the TopologyTestDriver
outputs are Java's (dsl_optimized_outputs_golden.txt); both files are DslOptimized.java's output, re-checked
against Java by tests/integration/test_streams_optimized_java.py (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strom.client.config import ConfigError
from strom.streams.config import verify_topology_optimization_configs
from strom.streams.kstream.builder import StreamsBuilder
from strom.streams.processor.internal_topology_builder import InternalTopologyBuilder
from tests.unit.streams import dsl_optimized_programs as programs
from tests.unit.streams.dsl_programs import golden

HERE = Path(__file__).parent
DESCRIBED = golden((HERE / "dsl_optimized_golden.txt").read_text())
OUTPUTS = golden((HERE / "dsl_optimized_outputs_golden.txt").read_text())


@pytest.mark.parametrize("name", list(programs.PROGRAMS))
def test_describe_is_javas(name: str) -> None:
    assert str(programs.build(name).describe()) == DESCRIBED[name]


@pytest.mark.parametrize("name", list(programs.PROGRAMS))
def test_outputs_are_javas(name: str) -> None:
    assert "".join(line + "\n" for line in programs.run(name)[1:]) == OUTPUTS[name]


def _internal(name: str, optimization: str = "all") -> InternalTopologyBuilder:
    b = StreamsBuilder()
    programs.PROGRAMS[name](b)
    itb = b.build({"topology.optimization": optimization}).internal_topology_builder
    itb.set_application_id("app")
    return itb


def test_source_tables_use_their_topic_as_changelog() -> None:
    itb = _internal("opt_table_source")
    assert itb.changelog_topics() == {"tstore": "t", "t2-STATE-STORE-0000000004": "t2"}
    assert itb.changelog_topic_configs() == {}  # no -changelog topic is created
    assert not itb.state_store_builder("tstore").logging_enabled()
    plain = _internal("opt_table_source", "none")
    assert plain.changelog_topics()["tstore"] == "app-tstore-changelog"


def test_repartitions_after_one_key_change_are_merged() -> None:
    assert list(_internal("opt_merge_groupby").repartition_topics()) == ["app-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition"]
    assert list(_internal("opt_merge_named").repartition_topics()) == ["app-first-repartition"]
    assert len(_internal("opt_merge_groupby", "none").repartition_topics()) == 3
    # a value-changing operation between the key change and the grouping keeps them apart, as in Java
    assert len(_internal("opt_value_changing").repartition_topics()) == 2


def test_single_optimizations_can_be_chosen() -> None:
    only_reuse = _internal("opt_merge_groupby", "reuse.ktable.source.topics")
    assert len(only_reuse.repartition_topics()) == 3
    only_merge = _internal("opt_table_source", "merge.repartition.topics")
    assert only_merge.changelog_topics()["tstore"] == "app-tstore-changelog"
    assert verify_topology_optimization_configs("reuse.ktable.source.topics, merge.repartition.topics") == {
        "reuse.ktable.source.topics",
        "merge.repartition.topics",
    }
    assert verify_topology_optimization_configs("none") == set()


def test_a_self_join_keeps_one_store() -> None:
    assert _internal("opt_self_join").state_store_names() == ["KSTREAM-JOINTHIS-0000000003-store"]
    assert len(_internal("opt_self_join", "merge.repartition.topics").state_store_names()) == 2
    assert len(_internal("opt_self_join", "single.store.self.join").state_store_names()) == 1


@pytest.mark.parametrize("value", ["all,none", "all, merge.repartition.topics", "fast"])
def test_bad_optimization_configs_fail_as_javas(value: str) -> None:
    with pytest.raises(ConfigError, match="Acceptable values are"):
        verify_topology_optimization_configs(value)
