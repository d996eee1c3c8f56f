"""Request handlers, one module per API (or per small family of APIs), registered by API key.

Each handler is `async def handle(ctx, request) -> response | None`. Modules in this package are
imported automatically, so a new API is a new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[Any, Any], Awaitable[Any]]
HANDLERS: dict[int, Handler] = {}


def handles(*api_keys: int) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for key in api_keys:
            HANDLERS[key] = fn
        return fn

    return register


for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
