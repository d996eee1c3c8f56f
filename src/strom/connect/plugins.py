"""Finds connector, converter, transform and predicate classes by the names users write in their configs.

A name may be Kafka's or Confluent's/Debezium's Java class name (`org.apache.kafka.connect.file.FileStreamSourceConnector`,
`io.confluent.connect.jdbc.JdbcSinkConnector`, `org.apache.kafka.connect.json.JsonConverter`), Kafka's aliases (the
simple class name, and without its `Connector`/`Converter` suffix: `FileStreamSource`), a Python path
(`package.module.Class` or `package.module:Class`), or the name of an entry point in the `strom.connect` group,
which is how a separately installed package ships its plugins (`[project.entry-points."strom.connect"]`).
Classes are imported only when named or listed, so a connector's drivers load only if it is used.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from strom.connect.api import Connector, Predicate, SinkConnector, SourceConnector, Transformation
from strom.connect.converters import Converter, HeaderConverter
from strom.connect.errors import ConnectException
from strom.connect.transforms.registry import BUILTIN_PREDICATES, BUILTIN_TRANSFORMATIONS, import_class

log = logging.getLogger("org.apache.kafka.connect.runtime.isolation.Plugins")

ENTRY_POINT_GROUP = "strom.connect"


class PluginType(enum.Enum):
    """The `type` of GET /connector-plugins (Java's PluginType, lower case)."""

    SOURCE = "source"
    SINK = "sink"
    CONVERTER = "converter"
    HEADER_CONVERTER = "header_converter"
    TRANSFORMATION = "transformation"
    PREDICATE = "predicate"
    UNKNOWN = "unknown"


# Java class name -> "python.module:Class" of what ships with Strom.
BUILTIN_CONNECTORS: dict[str, str] = {
    "org.apache.kafka.connect.file.FileStreamSourceConnector": "strom.connect.connectors.file:FileStreamSourceConnector",
    "org.apache.kafka.connect.file.FileStreamSinkConnector": "strom.connect.connectors.file:FileStreamSinkConnector",
    "io.confluent.connect.jdbc.JdbcSourceConnector": "strom.connect.connectors.jdbc:JdbcSourceConnector",
    "io.confluent.connect.jdbc.JdbcSinkConnector": "strom.connect.connectors.jdbc:JdbcSinkConnector",
    "io.debezium.connector.postgresql.PostgresConnector": "strom.connect.connectors.postgres:PostgresConnector",
}
BUILTIN_CONVERTERS: dict[str, str] = {
    "org.apache.kafka.connect.json.JsonConverter": "strom.connect.converters:JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter": "strom.connect.converters:StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter": "strom.connect.converters:ByteArrayConverter",
}
BUILTIN_HEADER_CONVERTERS: dict[str, str] = {
    "org.apache.kafka.connect.storage.SimpleHeaderConverter": "strom.connect.converters:SimpleHeaderConverter",
}
_BUILTIN_TABLES: list[tuple[dict[str, str], tuple[PluginType, ...]]] = [
    (BUILTIN_CONNECTORS, (PluginType.SOURCE, PluginType.SINK)),
    (BUILTIN_CONVERTERS, (PluginType.CONVERTER,)),
    (BUILTIN_HEADER_CONVERTERS, (PluginType.HEADER_CONVERTER,)),
    (BUILTIN_TRANSFORMATIONS, (PluginType.TRANSFORMATION,)),
    (BUILTIN_PREDICATES, (PluginType.PREDICATE,)),
]
_SUFFIXES = {
    PluginType.SOURCE: "Connector",
    PluginType.SINK: "Connector",
    PluginType.CONVERTER: "Converter",
    PluginType.HEADER_CONVERTER: "Converter",
}


_BASES: tuple[tuple[type, PluginType], ...] = (
    (SourceConnector, PluginType.SOURCE),
    (SinkConnector, PluginType.SINK),
    (Converter, PluginType.CONVERTER),
    (HeaderConverter, PluginType.HEADER_CONVERTER),
    (Transformation, PluginType.TRANSFORMATION),
    (Predicate, PluginType.PREDICATE),
)


def plugin_types(cls: Any) -> list[PluginType]:
    """Every kind a class is (StringConverter is a converter and a header converter, as Kafka lists it)."""
    if not isinstance(cls, type):
        return []
    return [kind for base, kind in _BASES if issubclass(cls, base)]


def plugin_type(cls: Any) -> PluginType:
    kinds = plugin_types(cls)
    return kinds[0] if kinds else PluginType.UNKNOWN


@dataclass(frozen=True, slots=True)
class PluginDesc:
    """One installed plugin: its canonical (Java) name, where it lives in Python, and its kind."""

    class_name: str
    target: str
    type: PluginType
    version: str


class Plugins:
    """The plugin registry of a worker: aliases -> class, and the listing for GET /connector-plugins."""

    def __init__(self) -> None:
        self._aliases: dict[str, str] = {}  # any accepted name -> target ("module:Class" or dotted path)
        self._canonical: dict[str, str] = {}  # target -> canonical name shown in listings
        for table, _ in _BUILTIN_TABLES:
            for java_name, target in table.items():
                self._add(java_name, target)
        for ep in _entry_points():
            self._aliases.setdefault(ep.name, ep.value)
            self._canonical.setdefault(ep.value, ep.name)

    def _add(self, java_name: str, target: str) -> None:
        self._aliases[java_name] = target
        self._canonical.setdefault(target, java_name)
        simple = java_name.rsplit(".", 1)[-1]
        self._aliases.setdefault(simple, target)
        for suffix in ("Connector", "Converter"):
            if simple.endswith(suffix) and len(simple) > len(suffix):
                self._aliases.setdefault(simple[: -len(suffix)], target)

    def target(self, name: str) -> str:
        """Where the plugin named `name` lives (a Python path, as given when no alias matches)."""
        return self._aliases.get(name.strip(), name.strip())

    def canonical_name(self, name: str) -> str:
        """The name a listing or a status shows: the Java name for Strom's plugins, else the Python path."""
        target = self.target(name)
        return self._canonical.get(target, name.strip())

    def plugin_class(self, name: str) -> type:
        """The class named `name`; ConnectException (with Kafka's text) when none is found."""
        target = self.target(name)
        try:
            cls = import_class(target)
        except (LookupError, ImportError, ValueError) as exc:
            raise ConnectException(f"Failed to find any class that implements {name!r}: {exc}") from None
        if not isinstance(cls, type):
            raise ConnectException(f"{name} is not a class")
        return cls

    def connector_class(self, name: str) -> type[Connector]:
        try:
            cls = self.plugin_class(name)
        except ConnectException:
            cls = None
        if cls is None or not issubclass(cls, Connector):
            raise ConnectException(
                f"Failed to find any class that implements Connector and which name matches {name}, "
                f"available connectors are: {', '.join(p.class_name for p in self.connector_plugins())}"
            )
        return cls

    def new_connector(self, name: str) -> Connector:
        return self.connector_class(name)()

    def new_converter(self, name: str) -> Converter:
        cls = self.plugin_class(name)
        if not issubclass(cls, Converter):
            raise ConnectException(f"{name} is not a Converter")
        return cls()

    def new_header_converter(self, name: str) -> HeaderConverter:
        cls = self.plugin_class(name)
        if not issubclass(cls, HeaderConverter):
            raise ConnectException(f"{name} is not a HeaderConverter")
        return cls()

    def connector_plugins(self) -> list[PluginDesc]:
        return [p for p in self.all_plugins() if p.type in (PluginType.SOURCE, PluginType.SINK)]

    def all_plugins(self) -> list[PluginDesc]:
        """Every plugin that imports, sorted by name (one that fails to import is logged and left out)."""
        out: dict[tuple[str, PluginType], PluginDesc] = {}
        for target, name in self._canonical.items():
            try:
                cls = import_class(target)
            except Exception as exc:  # a plugin whose driver is missing must not hide the others
                log.debug("Plugin %s (%s) is not available: %s", name, target, exc)
                continue
            if getattr(cls, "__abstractmethods__", None):
                continue
            for kind in plugin_types(cls):
                out[(name, kind)] = PluginDesc(name, target, kind, _version(cls))
        return sorted(out.values(), key=lambda p: (p.class_name, p.type.value))


def _version(cls: type) -> str:
    try:
        version = cls().version()  # Kafka instantiates the plugin to ask
        return str(version)
    except Exception:
        from strom.version import __version__

        return __version__


def _entry_points() -> list[Any]:
    try:
        return list(entry_points(group=ENTRY_POINT_GROUP))
    except Exception as exc:  # broken metadata of another package must not stop the worker
        log.warning("Cannot read entry points %s: %s", ENTRY_POINT_GROUP, exc)
        return []
