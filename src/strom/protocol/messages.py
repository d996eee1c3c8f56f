"""Registry of every API we have tables for: api key -> request/response classes and version range."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import strom.protocol.schema as _schema_pkg

REQUEST_TYPES: dict[int, Any] = {}
RESPONSE_TYPES: dict[int, Any] = {}
SUPPORTED_VERSIONS: dict[int, tuple[int, int]] = {}
_NAMES: dict[int, str] = {}

for _info in pkgutil.iter_modules(_schema_pkg.__path__):
    if _info.name.startswith("_"):
        continue
    _mod = importlib.import_module(f"{_schema_pkg.__name__}.{_info.name}")
    _key = _mod.API_KEY
    for _obj in vars(_mod).values():
        if isinstance(_obj, type) and getattr(_obj, "API_KEY", None) == _key:
            if _obj.__name__.endswith("Request"):
                REQUEST_TYPES[_key] = _obj
                _msg: Any = _obj
                SUPPORTED_VERSIONS[_key] = (_msg.MIN_VERSION, _msg.MAX_VERSION)
                _NAMES[_key] = _obj.__name__[: -len("Request")]
            elif _obj.__name__.endswith("Response"):
                RESPONSE_TYPES[_key] = _obj


def api_name(api_key: int) -> str:
    return _NAMES.get(api_key, f"Unknown({api_key})")


def is_flexible(api_key: int, version: int) -> bool:
    cls = REQUEST_TYPES.get(api_key)
    if cls is None or cls.FLEXIBLE_MIN_VERSION is None:
        return False
    return bool(version >= cls.FLEXIBLE_MIN_VERSION)
