"""The transformation chain built from a connector config, as Kafka's ConnectorConfig/TransformationChain."""

from __future__ import annotations

from typing import Any

import pytest

from strom.connect.api import ConnectException
from strom.connect.transforms.chain import TransformationChain, parse_alias_list
from strom.connect.transforms.insert_field import InsertField
from strom.connect.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches
from strom.connect.transforms.registry import resolve_predicate, resolve_transformation

from .conftest import source


def test_stages_run_in_config_order_with_their_own_keys() -> None:
    chain = TransformationChain.from_config(
        {
            "transforms": " hoist , insert ",
            "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.hoist.field": "line",
            "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.insert.topic.field": "from",
        }
    )
    assert [s.alias for s in chain.stages] == ["hoist", "insert"]
    out = chain.apply(source("hello", topic="t"))
    assert out is not None and out.value == {"line": "hello", "from": "t"}


def test_no_transforms_is_an_empty_chain_that_returns_the_record() -> None:
    record = source({"a": 1})
    for props in ({}, {"transforms": ""}):
        chain = TransformationChain.from_config(props)
        assert len(chain) == 0 and chain.apply(record) is record


def test_predicate_gates_a_stage_and_negate_inverts_it() -> None:
    props = {
        "transforms": "drop",
        "transforms.drop.type": "Filter",
        "transforms.drop.predicate": "isFoo",
        "predicates": "isFoo",
        "predicates.isFoo.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicates.isFoo.pattern": "foo.*",
    }
    chain = TransformationChain.from_config(props)
    assert chain.apply(source({}, topic="foo-1")) is None
    assert chain.apply(source({}, topic="bar")) is not None
    negated = TransformationChain.from_config({**props, "transforms.drop.negate": "true"})
    assert negated.apply(source({}, topic="foo-1")) is not None
    assert negated.apply(source({}, topic="bar")) is None


def test_a_dropped_record_stops_the_chain() -> None:
    chain = TransformationChain.from_config(
        {
            "transforms": "drop,insert",
            "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.insert.type": "InsertField$Value",
            "transforms.insert.static.field": "x",
            "transforms.insert.static.value": "y",
        }
    )
    assert chain.apply(source({"a": 1})) is None


def test_errors_carry_kafkas_messages() -> None:
    def error(props: dict[str, str]) -> str:
        with pytest.raises(ConnectException) as info:
            TransformationChain.from_config(props)
        return str(info.value)

    assert error({"transforms": "a,a", "transforms.a.type": "Filter"}) == (
        "Invalid value [a, a] for configuration transforms: Duplicate alias provided."
    )
    assert error({"transforms": "a"}) == 'Missing required configuration "transforms.a.type" which has no default value.'
    assert error({"transforms": "a", "transforms.a.type": "com.example.Nope"}) == (
        "Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found."
    )
    assert error({"transforms": "a", "transforms.a.type": "org.apache.kafka.connect.transforms.InsertField"}) == (
        "Invalid value org.apache.kafka.connect.transforms.InsertField for configuration transforms.a.type: "
        "Transformation is abstract and cannot be created. Did you mean "
        "org.apache.kafka.connect.transforms.InsertField$Key, org.apache.kafka.connect.transforms.InsertField$Value?"
    )
    assert error({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "true"}) == (
        "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a predicate to be negated."
    )
    assert error({"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p", "predicates.p.type": "x"}) == (
        "Unknown configuration 'predicates.p.type'"
    )
    assert error({"transforms": "a", "transforms.a.type": "RecordIsTombstone"}) == (
        "Invalid value RecordIsTombstone for configuration transforms.a.type: Class RecordIsTombstone could not be found."
    )
    assert error({"transforms": "a", "transforms.a.type": "strom.connect.transforms.predicates.HasHeaderKey"}) == (
        "Invalid value strom.connect.transforms.predicates.HasHeaderKey for configuration transforms.a.type: Not a Transformation"
    )
    assert error(
        {"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p", "transforms.a.negate": "maybe",
         "predicates": "p", "predicates.p.type": "RecordIsTombstone"}
    ) == "Invalid value maybe for configuration transforms.a.negate: Expected value to be either true or false"  # fmt: skip
    # the transform's own validation, as Kafka's ConfigDef reports it
    assert error({"transforms": "a", "transforms.a.type": "ExtractField$Key"}) == (
        'Missing required configuration "field" which has no default value.'
    )


def test_class_names_resolve_from_java_short_and_python_names() -> None:
    java = "org.apache.kafka.connect.transforms.InsertField$Value"
    assert resolve_transformation(java) is InsertField.Value
    assert resolve_transformation("InsertField$Value") is InsertField.Value
    assert resolve_transformation("strom.connect.transforms.insert_field.InsertField$Value") is InsertField.Value
    assert resolve_transformation("strom.connect.transforms.insert_field:InsertField.Value") is InsertField.Value
    assert InsertField.Value.JAVA_NAME == java
    assert resolve_predicate("RecordIsTombstone") is RecordIsTombstone
    assert resolve_predicate("org.apache.kafka.connect.transforms.predicates.HasHeaderKey") is HasHeaderKey
    with pytest.raises(LookupError):
        resolve_transformation("nope.Nope")


def test_predicates() -> None:
    topic = TopicNameMatches()
    topic.configure({"pattern": "my-prefix-.*"})
    assert topic.test(source(topic="my-prefix-1")) and not topic.test(source(topic="x-my-prefix-1"))
    header = HasHeaderKey()
    header.configure({"name": "h"})
    record = source({})
    assert not header.test(record)
    record.headers.add_string("h", "v")
    assert header.test(record)
    tombstone = RecordIsTombstone()
    tombstone.configure({})
    assert tombstone.test(source(None, key="k")) and not tombstone.test(source({}))
    bad = TopicNameMatches()
    with pytest.raises(Exception, match="Invalid value \\[ for configuration pattern"):
        bad.configure({"pattern": "["})


def test_alias_list_parsing() -> None:
    assert parse_alias_list("transforms", " a ,b,  c ") == ["a", "b", "c"]
    assert parse_alias_list("transforms", "  ") == []
    assert parse_alias_list("transforms", None) == []


def test_executor_runs_each_stage_and_names_its_transformation() -> None:
    chain = TransformationChain.from_config(
        {
            "transforms": "cast,insert",
            "transforms.cast.type": "Cast$Value",
            "transforms.cast.spec": "a:int8",
            "transforms.insert.type": "InsertField$Value",
            "transforms.insert.static.field": "s",
            "transforms.insert.static.value": "v",
        }
    )
    seen: list[str] = []

    def execute(run: Any, transformation: Any) -> Any:
        seen.append(transformation.JAVA_NAME)
        try:
            return run()
        except Exception:
            return None  # a tolerated failure skips the record

    out = chain.apply(source({"a": "1"}), execute)
    assert out is not None and out.value == {"a": 1, "s": "v"}
    assert seen == ["org.apache.kafka.connect.transforms.Cast$Value", "org.apache.kafka.connect.transforms.InsertField$Value"]
    seen.clear()
    assert chain.apply(source({"a": "not a number"}), execute) is None
    assert seen == ["org.apache.kafka.connect.transforms.Cast$Value"]


def test_abstract_transforms_are_abstract_and_variants_concrete() -> None:
    # a plugin listing (GET /connector-plugins) shows the $Key/$Value classes only, as Kafka's
    from strom.connect.transforms.registry import BUILTIN_TRANSFORMATIONS

    abstract = {name for name in BUILTIN_TRANSFORMATIONS if getattr(resolve_transformation(name), "__abstractmethods__", None)}
    assert "org.apache.kafka.connect.transforms.InsertField" in abstract
    assert not any(name.endswith(("$Key", "$Value")) for name in abstract)
    assert "org.apache.kafka.connect.transforms.RegexRouter" not in abstract
    with pytest.raises(TypeError):
        InsertField()  # type: ignore[abstract]
