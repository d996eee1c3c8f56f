"""The connector ConfigDef enriched with its transforms' and predicates' settings: what config/validate reports."""

from __future__ import annotations

import pytest

from strom.connect.api import ConfigDef, ConfigException
from strom.connect.config import Importance, Type
from strom.connect.transforms.enrich import enrich

BASE = (
    ConfigDef()
    .define("transforms", Type.LIST, "", Importance.LOW, "Aliases for the transformations.")
    .define("predicates", Type.LIST, "", Importance.LOW, "Aliases for the predicates.")
)


def errors(props: dict[str, str]) -> dict[str, list[str]]:
    return {cv.name: cv.error_messages for cv in enrich(BASE, props).validate(props)}


def test_each_transform_key_is_reported_on_its_own() -> None:
    props = {
        "transforms": "cast,missing,abstract,negated",
        "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.cast.spec": "x:bytes",
        "transforms.missing.type": "com.example.Nope",
        "transforms.abstract.type": "org.apache.kafka.connect.transforms.ReplaceField",
        "transforms.negated.type": "Filter",
        "transforms.negated.negate": "true",
        "predicates": "p",
        "predicates.p.type": "TopicNameMatches",
    }
    found = errors(props)
    assert found["transforms"] == []
    assert found["transforms.cast.type"] == []
    assert found["transforms.cast.predicate"] == [] and found["transforms.cast.negate"] == []
    assert found["transforms.cast.spec"] == [
        "Cast transformation does not support casting to BYTES; supported types are "
        "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
    ]
    assert found["transforms.missing.type"] == [
        "Invalid value com.example.Nope for configuration transforms.missing.type: Class com.example.Nope could not be found."
    ]
    assert "Transformation is abstract and cannot be created. Did you mean" in found["transforms.abstract.type"][0]
    assert found["transforms.negated.type"] == [
        "Config 'transforms.negated.negate' was provided but there is no config 'transforms.negated.predicate' "
        "defining a predicate to be negated."
    ]
    assert found["predicates.p.pattern"] == ['Missing required configuration "predicates.p.pattern" which has no default value.']
    # a class that cannot be loaded contributes no settings of its own
    assert not any(name.startswith("transforms.missing.") and name != "transforms.missing.type" for name in found)


def test_groups_and_required_type() -> None:
    props = {"transforms": "a", "predicates": "p", "predicates.p.type": "RecordIsTombstone"}
    enriched = enrich(BASE, props)
    keys = enriched.config_keys()
    assert keys["transforms.a.type"].group == "Transforms: a"
    assert keys["transforms.a.type"].display_name == "Transformation type for a"
    assert keys["predicates.p.type"].group == "Predicates: p"
    assert {cv.name: cv.error_messages for cv in enriched.validate(props)}["transforms.a.type"] == [
        'Missing required configuration "transforms.a.type" which has no default value.'
    ]
    assert "transforms.a.type" not in BASE.config_keys()  # the base is not changed


def test_full_config_raises() -> None:
    with pytest.raises(ConfigException, match="Class com.example.Nope could not be found"):
        enrich(BASE, {"transforms": "a", "transforms.a.type": "com.example.Nope"}, require_full_config=True)
