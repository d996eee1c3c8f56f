"""The names a transform or predicate answers to in a connector config: Kafka's and Debezium's Java class names
(``org.apache.kafka.connect.transforms.InsertField$Value``), Kafka's short aliases where they are unique
(``Filter``, ``RegexRouter``, ``TopicNameMatches``), and Python dotted paths (``pkg.module.Class``, with ``$``
for a nested class as Java writes it). Classes are imported only when a config names them."""

from __future__ import annotations

import importlib
from typing import Any

from strom.connect.api import ConfigException, Predicate, Transformation

__all__ = [
    "BUILTIN_PREDICATES",
    "BUILTIN_TRANSFORMATIONS",
    "ConfigException",
    "import_class",
    "resolve_predicate",
    "resolve_transformation",
]

_KAFKA = "org.apache.kafka.connect.transforms"
_HERE = "strom.connect.transforms"

# Java name -> "module:qualified name"; the variants of an abstract Kafka class are nested, as in Java.
BUILTIN_TRANSFORMATIONS: dict[str, str] = {}
for _simple, _module in [
    ("InsertField", "insert_field"),
    ("ReplaceField", "replace_field"),
    ("ExtractField", "extract_field"),
    ("HoistField", "hoist_field"),
    ("Flatten", "flatten"),
    ("Cast", "cast"),
    ("MaskField", "mask_field"),
    ("SetSchemaMetadata", "set_schema_metadata"),
    ("TimestampConverter", "timestamp_converter"),
    ("HeaderFrom", "headers"),
]:
    BUILTIN_TRANSFORMATIONS[f"{_KAFKA}.{_simple}"] = f"{_HERE}.{_module}:{_simple}"
    for _variant in ("Key", "Value"):
        BUILTIN_TRANSFORMATIONS[f"{_KAFKA}.{_simple}${_variant}"] = f"{_HERE}.{_module}:{_simple}.{_variant}"
BUILTIN_TRANSFORMATIONS.update(
    {
        f"{_KAFKA}.ValueToKey": f"{_HERE}.value_to_key:ValueToKey",
        f"{_KAFKA}.RegexRouter": f"{_HERE}.regex_router:RegexRouter",
        f"{_KAFKA}.TimestampRouter": f"{_HERE}.timestamp_router:TimestampRouter",
        f"{_KAFKA}.Filter": f"{_HERE}.filter:Filter",
        f"{_KAFKA}.InsertHeader": f"{_HERE}.headers:InsertHeader",
        f"{_KAFKA}.DropHeaders": f"{_HERE}.headers:DropHeaders",
        "io.debezium.transforms.ExtractNewRecordState": f"{_HERE}.extract_new_record_state:ExtractNewRecordState",
    }
)

BUILTIN_PREDICATES: dict[str, str] = {
    f"{_KAFKA}.predicates.{name}": f"{_HERE}.predicates:{name}" for name in ("TopicNameMatches", "HasHeaderKey", "RecordIsTombstone")
}


def _short_aliases(table: dict[str, str]) -> dict[str, str]:
    """Kafka's plugin aliases: the simple class name (``Filter``) and, for nested variants, ``Outer$Inner``."""
    aliases: dict[str, str] = {}
    for java_name, target in table.items():
        aliases[java_name.rsplit(".", 1)[1]] = target
    return aliases


_TRANSFORM_ALIASES = _short_aliases(BUILTIN_TRANSFORMATIONS)
_PREDICATE_ALIASES = _short_aliases(BUILTIN_PREDICATES)


def import_class(path: str) -> Any:
    """``module:Qual.Name`` or a dotted ``module.Class`` / ``module.Outer$Inner``; LookupError when absent."""
    if ":" in path:
        module_name, _, qualname = path.partition(":")
        candidates = [(module_name, qualname.split("."))]
    else:
        parts = path.replace("$", ".").split(".")
        candidates = [(".".join(parts[:i]), parts[i:]) for i in range(len(parts) - 1, 0, -1)]
    for module_name, attributes in candidates:
        try:
            target: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for attribute in attributes:
                target = getattr(target, attribute)
        except AttributeError:
            continue
        return target
    raise LookupError(path)


def resolve_transformation(name: str) -> type[Transformation[Any]]:
    target = BUILTIN_TRANSFORMATIONS.get(name) or _TRANSFORM_ALIASES.get(name) or name
    cls: type[Transformation[Any]] = import_class(target)
    return cls


def resolve_predicate(name: str) -> type[Predicate[Any]]:
    target = BUILTIN_PREDICATES.get(name) or _PREDICATE_ALIASES.get(name) or name
    cls: type[Predicate[Any]] = import_class(target)
    return cls
