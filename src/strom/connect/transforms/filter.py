"""Filter: drops every record it is applied to -- used with a predicate (``transforms.<alias>.predicate``), so
only the records the predicate matches (or, with ``negate=true``, does not match) are dropped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strom.connect.api import ConfigDef, Transformation
from strom.connect.transforms._base import R

__all__ = ["Filter"]

CONFIG_DEF = ConfigDef()


class Filter(Transformation[Any]):
    """Kafka's org.apache.kafka.connect.transforms.Filter."""

    JAVA_NAME = "org.apache.kafka.connect.transforms.Filter"

    def configure(self, configs: Mapping[str, Any]) -> None:
        pass

    def apply(self, record: R) -> R | None:
        return None

    def config(self) -> ConfigDef:
        return CONFIG_DEF
