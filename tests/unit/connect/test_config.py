"""ConfigDef: parsing and validation with the messages Kafka 3.9's ConfigDef gives for the same input
(captured from Kafka's classes), as Kafka Connect's REST validate endpoint returns them."""

from __future__ import annotations

import pytest

from strom.connect.config import (
    NO_DEFAULT_VALUE,
    AbstractConfig,
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigException,
    Importance,
    NonEmptyString,
    Password,
    Range,
    Type,
    ValidList,
    ValidString,
)


def definition() -> ConfigDef:
    return (
        ConfigDef()
        .define("i", Type.INT, 5, Importance.HIGH, "doc", Range.at_least(1))
        .define("r", Type.INT, 5, Importance.HIGH, "doc", Range.between(1, 10))
        .define("b", Type.BOOLEAN, True, Importance.HIGH, "doc")
        .define("l", Type.LONG, 1, Importance.HIGH, "doc")
        .define("s", Type.SHORT, 1, Importance.HIGH, "doc")
        .define("dd", Type.DOUBLE, 1.0, Importance.HIGH, "doc")
        .define("req", Type.STRING, NO_DEFAULT_VALUE, Importance.HIGH, "doc")
        .define("vs", Type.STRING, "a", Importance.HIGH, "doc", ValidString.in_("a", "b"))
        .define("ci", Type.STRING, "a", Importance.HIGH, "doc", CaseInsensitiveValidString.in_("a", "b"))
        .define("ne", Type.STRING, "a", Importance.HIGH, "doc", NonEmptyString())
        .define("li", Type.LIST, "", Importance.HIGH, "doc")
        .define("vl", Type.LIST, "a", Importance.HIGH, "doc", ValidList.in_("a", "b"))
        .define("pw", Type.PASSWORD, None, Importance.HIGH, "doc")
    )


BAD = {
    "i": "zz",
    "r": "11",
    "b": "yes",
    "l": "99999999999999999999",
    "s": "70000",
    "dd": "x",
    "vs": "c",
    "ci": "C",
    "ne": "",
    "li": " x , y ,",
    "vl": "a,c",
    "pw": "secret",
}

# name -> (value, errors) exactly as Kafka 3.9's ConfigDef.validate reports them for BAD
KAFKA = {
    "dd": (None, ["Invalid value x for configuration dd: Not a number of type DOUBLE"]),
    "b": (None, ["Invalid value yes for configuration b: Expected value to be either true or false"]),
    "ci": ("C", ["Invalid value C for configuration ci: String must be one of (case insensitive): A, B"]),
    "pw": ("[hidden]", []),
    "i": (
        None,
        [
            "Invalid value zz for configuration i: Not a number of type INT",
            "Invalid value null for configuration i: Value must be non-null",
        ],
    ),
    "l": (None, ["Invalid value 99999999999999999999 for configuration l: Not a number of type LONG"]),
    "r": (11, ["Invalid value 11 for configuration r: Value must be no more than 10"]),
    "s": (None, ["Invalid value 70000 for configuration s: Not a number of type SHORT"]),
    "vl": (["a", "c"], ["Invalid value c for configuration vl: String must be one of: a, b"]),
    "ne": ("", ["Invalid value  for configuration ne: String must be non-empty"]),
    "vs": ("c", ["Invalid value c for configuration vs: String must be one of: a, b"]),
    "li": (["x", "y", ""], []),
    "req": (None, ['Missing required configuration "req" which has no default value.']),
}


def test_validate_reports_kafkas_messages() -> None:
    results = {cv.name: cv for cv in definition().validate(BAD)}
    assert set(results) == set(KAFKA)
    for name, (value, errors) in KAFKA.items():
        cv = results[name]
        shown = str(cv.value) if isinstance(cv.value, Password) else cv.value
        assert (shown, cv.error_messages) == (value, errors), name
    assert {cv.name: cv.error_messages for cv in definition().validate({"i": "0", "req": "x"})}["i"] == [
        "Invalid value 0 for configuration i: Value must be at least 1"
    ]


def test_parse_types_defaults_and_first_error() -> None:
    parsed = definition().parse({"i": " +7 ", "req": "x", "pw": "secret", "li": "a, b"})
    assert parsed["i"] == 7 and parsed["b"] is True and parsed["dd"] == 1.0 and parsed["li"] == ["a", "b"]
    assert parsed["pw"] == Password("secret") and str(parsed["pw"]) == "[hidden]"
    with pytest.raises(ConfigException, match="^Invalid value 11 for configuration r: Value must be no more than 10$"):
        definition().parse({"r": "11", "req": "x"})
    with pytest.raises(ConfigException, match="^Invalid value 5.5 for configuration i: Not a number of type INT$"):
        definition().parse({"i": "5.5", "req": "x"})
    with pytest.raises(ConfigException, match='^Missing required configuration "req" which has no default value.$'):
        definition().parse({})
    with pytest.raises(ConfigException, match="defined twice"):
        definition().define("i", Type.INT, 1)
    with pytest.raises(ConfigException, match="Value must be at least 1"):
        ConfigDef().define("x", Type.INT, 0, Importance.LOW, "bad default", Range.at_least(1))


def test_validator_descriptions_as_kafka_docs() -> None:
    assert [str(v) for v in (Range.at_least(1), Range.between(1, 10), ValidString.in_("a", "b"))] == ["[1,...]", "[1,...,10]", "[a, b]"]
    assert str(CaseInsensitiveValidString.in_("a", "b")) == "(case insensitive) [A, B]" and str(NonEmptyString()) == "non-empty string"


def test_abstract_config_and_embed() -> None:
    config = AbstractConfig(definition(), {"req": "x", "transforms.a.type": "T", "i": "9"})
    assert config.get_int("i") == 9 and config.get_string("req") == "x"
    assert config.originals_with_prefix("transforms.a.") == {"type": "T"}
    with pytest.raises(ConfigException, match="Unknown configuration 'nope'"):
        config.get("nope")
    embedded = ConfigDef().embed(
        "transforms.a.", "Transforms: a", 0, ConfigDef().define("field", Type.STRING, NO_DEFAULT_VALUE, Importance.HIGH, "f")
    )
    errors = {cv.name: cv.error_messages for cv in embedded.validate({})}
    assert errors == {"transforms.a.field": ['Missing required configuration "transforms.a.field" which has no default value.']}


def test_convert_to_string_as_kafkas_rest_api() -> None:
    to_string = ConfigDef.convert_to_string
    assert to_string(["a", "b"], Type.LIST) == "a,b" and to_string([], Type.LIST) == ""
    assert to_string(True, Type.BOOLEAN) == "true" and to_string(1.0, Type.DOUBLE) == "1.0" and to_string(5, Type.INT) == "5"
    assert to_string(Password("x"), Type.PASSWORD) == "[hidden]" and to_string(None, Type.STRING) is None
