"""Field paths of KIP-821 (``field.syntax.version``): V1 takes a field name as is; V2 reads ``a.b.c`` as a path
into nested structs or maps, with backticks around a step that holds dots (``\\```a.b\\```.c``) and a backslash
before a backtick that is part of a backticked name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strom.connect.api import ConfigDef, ConfigException
from strom.connect.config import CaseInsensitiveValidString, Importance, Type
from strom.connect.data import Field, Schema, Struct
from strom.connect.data import Type as SchemaType

__all__ = ["FIELD_SYNTAX_VERSION_CONFIG", "SingleFieldPath", "define_field_syntax"]

FIELD_SYNTAX_VERSION_CONFIG = "field.syntax.version"
FIELD_SYNTAX_VERSION_DOC = (
    "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to "
    "access the elements at the root level of the struct or map. If set to `V2`, the syntax will support "
    "accessing nested elements. To access nested elements, dotted notation is used. If dots are already included "
    "in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access the "
    'subfield `baz` from a field named "foo.bar" in a struct/map the following format can be used to access its '
    'elements: "`foo.bar`.baz".'
)


def define_field_syntax(config_def: ConfigDef) -> ConfigDef:
    return config_def.define(
        FIELD_SYNTAX_VERSION_CONFIG,
        Type.STRING,
        "V1",
        Importance.HIGH,
        FIELD_SYNTAX_VERSION_DOC,
        CaseInsensitiveValidString.in_("V1", "V2"),
    )


def _incomplete(path: str, backtick_at: int) -> ConfigException:
    return ConfigException.of(
        f"Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {backtick_at} to escape it"
    )


def parse_v2(path: str) -> list[str]:
    """The steps of a V2 path, by Kafka's rules (an unclosed backtick is a ConfigException)."""
    steps: list[str] = []
    idx, n = 0, len(path)
    while 0 <= idx < n:
        if path[idx] != "`":
            start = idx
            idx = path.find(".", idx)
            if idx >= 0:
                steps.append(path[start:idx])
                idx += 1
            else:
                steps.append(path[start:])
            continue
        backtick_at = idx
        idx += 1
        start = idx
        name: list[str] = []
        while True:
            idx = path.find("`", idx)
            if idx == -1:
                raise _incomplete(path, backtick_at)
            escaped = path[idx - 1] == "\\"
            if idx >= n - 1:
                if escaped:
                    raise _incomplete(path, backtick_at)
                name.append(path[start:idx])
                steps.append("".join(name))
                idx += 1
                break
            if path[idx + 1] != ".":
                idx += 1
                continue
            if escaped:
                name.append(path[start : idx - 1] + "`")
                idx += 1
                start = idx
                continue
            name.append(path[start:idx])
            steps.append("".join(name))
            idx += 2
            break
    if path.endswith("."):
        steps.append("")
    return steps


class SingleFieldPath:
    """One field addressed by name (V1) or by path (V2) in a schema, a struct or a map."""

    def __init__(self, path: str, version: str = "V1") -> None:
        self.path = path
        self.version = version.upper()
        self.steps = [path] if self.version == "V1" else parse_v2(path)

    def field_from(self, schema: Schema) -> Field | None:
        current = schema
        for step in self.steps[:-1]:
            if current.type is not SchemaType.STRUCT:
                return None
            field = current.field(step)
            if field is None:
                return None
            current = field.schema
        if current.type is not SchemaType.STRUCT:
            return None
        return current.field(self.steps[-1])

    def value_from(self, value: Mapping[str, Any]) -> Any:
        current: Any = value
        for step in self.steps[:-1]:
            current = current.get(step)
            if not isinstance(current, Mapping):
                return None
        return current.get(self.steps[-1])

    def struct_value_from(self, struct: Struct, replace_null_with_default: bool = True) -> Any:
        current: Struct = struct
        for step in self.steps[:-1]:
            if current.schema.field(step) is None:
                return None
            nested = current.get(step)
            if not isinstance(nested, Struct):
                return None
            current = nested
        last = self.steps[-1]
        if current.schema.field(last) is None:
            return None
        return current.get(last) if replace_null_with_default else current.get_without_default(last)

    def __repr__(self) -> str:
        return f"SingleFieldPath(path={self.path!r}, version={self.version}, steps={self.steps})"
