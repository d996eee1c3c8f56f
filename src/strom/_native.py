"""Which compiled accelerators (Cython extensions built by setup.py) are in use.

Each extension has a pure-Python twin that is the reference; when the extension was not built (no C
compiler, no Cython) or STROM_NO_EXTENSIONS=1 is set, the twin is used and behaviour is identical, only
slower. `strom.native_extensions()` lists what is loaded, for bug reports and benchmarks.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType

DISABLED = os.environ.get("STROM_NO_EXTENSIONS", "") not in ("", "0")
_loaded: dict[str, ModuleType] = {}


def load(name: str, usable: Callable[[ModuleType], bool] | None = None) -> ModuleType | None:
    """The compiled module `name`, or None when it is disabled, not built, or `usable(module)` says no
    (e.g. strom._crc32c on a CPU without its fast kernel)."""
    if DISABLED:
        return None
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    if usable is not None and not usable(module):
        return None
    _loaded[name] = module
    return module


def loaded() -> list[str]:
    """Names of the compiled modules in use."""
    return sorted(_loaded)
