"""RegexRouter: rename the topic when the whole topic name matches ``regex``, to ``replacement`` with Java's
``$1`` / ``${name}`` group references -- e.g. ``regex=(.*)`` and ``replacement=prefix-$1``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from strom.connect.api import ConfigDef, ConfigException, Transformation
from strom.connect.config import Importance, LambdaValidator, Type
from strom.connect.transforms import _java
from strom.connect.transforms._base import R

__all__ = ["RegexRouter"]

log = logging.getLogger("org.apache.kafka.connect.transforms.RegexRouter")


def _check_regex(name: str, value: Any) -> None:
    if value is None:
        return  # reported as a missing required setting
    try:
        _java.java_regex(value)
    except re.error as e:
        raise ConfigException(name, value, f"Invalid regex: {e}") from None


CONFIG_DEF = (
    ConfigDef()
    .define(
        "regex",
        Type.STRING,
        importance=Importance.HIGH,
        documentation="Regular expression to use for matching.",
        validator=LambdaValidator.with_(_check_regex, lambda: "valid regex"),
    )
    .define("replacement", Type.STRING, importance=Importance.HIGH, documentation="Replacement string.")
)


class RegexRouter(Transformation[Any]):
    """Kafka's org.apache.kafka.connect.transforms.RegexRouter."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.RegexRouter"

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(configs)
        self.regex = _java.java_regex(config["regex"])
        try:
            self._expand = _java.replacement_function(config["replacement"], self.regex)
        except ValueError as e:
            raise ConfigException("replacement", config["replacement"], str(e)) from None

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        if not self.regex.fullmatch(record.topic):
            return record
        # Matcher.replaceFirst after matches(): the first match from the start, as Java
        topic = self.regex.sub(self._expand, record.topic, count=1)
        log.debug("Rerouting from topic '%s' to new topic '%s'", record.topic, topic)
        result: R = record.new_record(
            topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
        )
        return result
