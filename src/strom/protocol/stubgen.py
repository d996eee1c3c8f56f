"""Writes the typed stubs of the schema modules (schema/<api>.pyi) from the same field tables the codecs use.

Why stubs: the message classes are built at import time (`define_message`), so a type checker sees none of
their fields. The stubs declare each class the runtime exports -- nested structs under the names
`_export_children` gives them -- as a frozen dataclass whose fields carry their Kafka types and say in which
versions they are present. The runtime classes and codecs stay as they are.

    python -m strom.protocol.stubgen            # (re)writes every schema/*.pyi
    python -m strom.protocol.stubgen --check    # exit 1 if a stub differs from its table
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from pathlib import Path
from types import ModuleType

import strom.protocol.schema as schema_package
from strom.protocol.compiler import Field, Message, Struct, Versions, _zero_value, children_of

REGENERATE = "python -m strom.protocol.stubgen"

_SCALARS = {
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "int64": "int",
    "uint16": "int",
    "float64": "float",
    "bool": "bool",
    "string": "str",
    "bytes": "Buffer",  # decoded as a memoryview of the input; bytes or bytearray to encode
    "records": "Records",
    "uuid": "uuid.UUID",
}


def schema_modules() -> list[ModuleType]:
    """Every schema module, in name order."""
    names = sorted(info.name for info in pkgutil.iter_modules(schema_package.__path__) if not info.name.startswith("_"))
    return [importlib.import_module(f"{schema_package.__name__}.{name}") for name in names]


def stub_path(module: ModuleType) -> Path:
    assert module.__file__ is not None
    return Path(module.__file__).with_suffix(".pyi")


def _versions_text(text: str | None) -> str:
    v = Versions.parse(text)
    if v.low > v.high:
        return "none"
    if v.high == 32767:
        return f"{v.low}+"
    return str(v.low) if v.low == v.high else f"{v.low}-{v.high}"


def _is_empty(text: str | None) -> bool:
    v = Versions.parse(text)
    return v.low > v.high


def _annotation(f: Field, cls: type[Struct]) -> str:
    child = children_of(cls).get(f.name)
    if f.type.startswith("[]"):
        element = child.__name__ if child is not None else _SCALARS[f.type[2:]]
        text = f"list[{element}]"
    elif child is not None:
        text = child.__name__
    else:
        text = _SCALARS[f.type]
    default, factory = _zero_value(f)
    if not _is_empty(f.nullable) or (factory is None and default is None):
        text += " | None"
    return text


def _default(f: Field) -> str:
    default, factory = _zero_value(f)
    if factory is not None:
        return "..."
    if default is None or isinstance(default, bool | int | float):
        return repr(default)
    if isinstance(default, str):
        return '"' + default.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(default, bytes):
        return 'b""' if not default else "..."
    return "..."


def _field_doc(f: Field) -> str:
    parts = [f"Versions {_versions_text(f.versions)}"]
    if f.tag is not None:
        parts.append(f"tagged (tag {f.tag}) in {_versions_text(f.tagged_versions or f.versions)}")
    if not _is_empty(f.nullable):
        parts.append(f"nullable in {_versions_text(f.nullable)}")
    return "; ".join(parts) + "."


def _class_doc(cls: type[Struct], owner: str | None) -> str:
    if issubclass(cls, Message):
        flexible = "none" if cls.FLEXIBLE_MIN_VERSION is None else f"{cls.FLEXIBLE_MIN_VERSION}+"
        high = "" if cls.MAX_VERSION == cls.MIN_VERSION else f"-{cls.MAX_VERSION}"
        return f"API key {cls.API_KEY}, versions {cls.MIN_VERSION}{high}, flexible versions {flexible}."
    return f"A struct of {owner}."


def _class_source(cls: type[Struct], owner: str | None) -> list[str]:
    base = "Message" if issubclass(cls, Message) else "Struct"
    lines = [
        "@dataclass(frozen=True, slots=True, kw_only=True)",
        f"class {cls.__name__}({base}):",
        f'    """{_class_doc(cls, owner)}"""',
        "",
    ]
    for f in cls._FIELDS:
        lines.append(f"    {f.name}: {_annotation(f, cls)} = {_default(f)}")
        lines.append(f'    """{_field_doc(f)}"""')
    lines.append("    unknown_tagged_fields: dict[int, bytes] = ...")
    lines.append('    """Tagged fields this version does not define, by tag: kept to re-encode them."""')
    return lines


def _classes(module: ModuleType) -> tuple[list[tuple[type[Struct], str | None]], list[tuple[str, str]]]:
    """([(class, owner message name)] in export order, [(alias, class name)]). Every struct reachable from a
    message must be exported under its own name, or the stub could not name it."""
    exported: dict[type[Struct], str] = {}
    aliases: list[tuple[str, str]] = []
    for name, obj in vars(module).items():
        if isinstance(obj, type) and issubclass(obj, Struct) and obj not in (Struct, Message):
            if obj.__name__ == name:
                exported[obj] = name
            else:
                aliases.append((name, obj.__name__))
    owners: dict[type[Struct], str | None] = {}
    for cls in exported:
        if issubclass(cls, Message):
            _collect(cls, cls.__name__, owners, module)
    return [(cls, owners.get(cls)) for cls in exported], aliases


def _collect(cls: type[Struct], owner: str, owners: dict[type[Struct], str | None], module: ModuleType) -> None:
    owners.setdefault(cls, None if issubclass(cls, Message) else owner)
    for child in children_of(cls).values():
        if getattr(module, child.__name__, None) is not child:
            raise RuntimeError(f"{module.__name__}: struct {child.__name__} of {owner} is not exported under its name")
        _collect(child, owner, owners, module)


def stub_source(module: ModuleType) -> str:
    """The stub text of one schema module."""
    classes, aliases = _classes(module)
    body: list[str] = []
    for cls, owner in classes:
        body.append("")
        body.extend(_class_source(cls, owner))
    for alias, target in aliases:
        body.append("")
        body.append(f"{alias} = {target}")
    text = "\n".join(body)
    compiler_names = [n for n in ("Message", "Records", "Struct") if re.search(rf"\b{n}\b", text)]
    head = [f'"""Types of {module.__name__}, generated from its field tables: do not edit.', "", f'Regenerate with `{REGENERATE}`."""', ""]
    if re.search(r"\buuid\.UUID\b", text):
        head.append("import uuid")
    head += ["from dataclasses import dataclass", "from typing import Final", ""]
    head.append(f"from strom.protocol.compiler import {', '.join(compiler_names)}")
    if re.search(r"\bBuffer\b", text):
        head.append("from strom.protocol.primitives import Buffer")
    head += [
        "",
        f"API_KEY: Final = {module.API_KEY}",
        f'VERSIONS: Final = "{module.VERSIONS}"',
        f'FLEXIBLE: Final = "{module.FLEXIBLE}"',
        "",
    ]
    return "\n".join(head) + text + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m strom.protocol.stubgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stubs that differ from their tables; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for module in schema_modules():
        path = stub_path(module)
        text = stub_source(module)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
