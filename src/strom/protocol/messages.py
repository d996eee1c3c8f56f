"""Registry of every API we have tables for: api key -> request/response classes and version range."""

from __future__ import annotations

import importlib
import pkgutil

import strom.protocol.schema as _schema_pkg
from strom.protocol.compiler import Message

REQUEST_TYPES: dict[int, type[Message]] = {}
RESPONSE_TYPES: dict[int, type[Message]] = {}
SUPPORTED_VERSIONS: dict[int, tuple[int, int]] = {}
_NAMES: dict[int, str] = {}

for _info in pkgutil.iter_modules(_schema_pkg.__path__):
    if _info.name.startswith("_"):
        continue
    _mod = importlib.import_module(f"{_schema_pkg.__name__}.{_info.name}")
    _key: int = _mod.API_KEY
    for _obj in vars(_mod).values():
        if isinstance(_obj, type) and issubclass(_obj, Message) and _obj.API_KEY == _key:
            if _obj.__name__.endswith("Request"):
                REQUEST_TYPES[_key] = _obj
                SUPPORTED_VERSIONS[_key] = (_obj.MIN_VERSION, _obj.MAX_VERSION)
                _NAMES[_key] = _obj.__name__[: -len("Request")]
            elif _obj.__name__.endswith("Response"):
                RESPONSE_TYPES[_key] = _obj


def api_name(api_key: int) -> str:
    return _NAMES.get(api_key, f"Unknown({api_key})")


def is_flexible(api_key: int, version: int) -> bool:
    cls = REQUEST_TYPES.get(api_key)
    if cls is None or cls.FLEXIBLE_MIN_VERSION is None:
        return False
    return version >= cls.FLEXIBLE_MIN_VERSION
