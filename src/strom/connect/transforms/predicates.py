"""Kafka's predicates (org.apache.kafka.connect.transforms.predicates), which gate a transform through
``transforms.<alias>.predicate``: TopicNameMatches (``pattern`` matches the whole topic name), HasHeaderKey (a
header called ``name`` is present), RecordIsTombstone (the value is null)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from strom.connect.api import ConfigDef, ConfigException, ConnectRecord, Predicate
from strom.connect.config import Importance, LambdaValidator, NonEmptyString, Type
from strom.connect.transforms import _java

__all__ = ["HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"]


def _check_pattern(name: str, value: Any) -> None:
    if value is None:
        return  # reported as a missing required setting
    if value == "":
        raise ConfigException(name, value, "String must be non-empty")
    try:
        _java.java_regex(value)
    except re.error as e:
        raise ConfigException(name, value, f"Invalid regex: {e}") from None


class TopicNameMatches(Predicate[Any]):
    """True for records whose topic name matches the ``pattern`` regular expression (the whole name)."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"
    CONFIG_DEF = ConfigDef().define(
        "pattern",
        Type.STRING,
        importance=Importance.MEDIUM,
        documentation="A Java regular expression for matching against the name of a record's topic.",
        validator=LambdaValidator.with_(_check_pattern, lambda: "A Java regular expression"),
    )

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.pattern = _java.java_regex(self.CONFIG_DEF.parse(configs)["pattern"])

    def test(self, record: ConnectRecord) -> bool:
        return record.topic is not None and self.pattern.fullmatch(record.topic) is not None

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def __repr__(self) -> str:
        return f"TopicNameMatches{{pattern={self.pattern.pattern}}}"


class HasHeaderKey(Predicate[Any]):
    """True for records with at least one header called ``name``."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey"
    CONFIG_DEF = ConfigDef().define(
        "name",
        Type.STRING,
        importance=Importance.MEDIUM,
        documentation="The header name.",
        validator=NonEmptyString(),
    )

    def configure(self, configs: Mapping[str, Any]) -> None:
        self.name: str = self.CONFIG_DEF.parse(configs)["name"]

    def test(self, record: ConnectRecord) -> bool:
        return record.headers.last_with_name(self.name) is not None

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def __repr__(self) -> str:
        return f"HasHeaderKey{{name='{self.name}'}}"


class RecordIsTombstone(Predicate[Any]):
    """True for tombstones: records whose value is null."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"
    CONFIG_DEF = ConfigDef()

    def configure(self, configs: Mapping[str, Any]) -> None:
        pass

    def test(self, record: ConnectRecord) -> bool:
        return record.value is None

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def __repr__(self) -> str:
        return "RecordIsTombstone{}"
