"""Request handlers, one module per API (or per small family of APIs), registered by API key.

Each handler is `async def handle(ctx: RequestContext, request: XRequest) -> XResponse | None`, registered
with `@handles(x.API_KEY)` from its schema module. The registry pairs it with the request class the
server decodes for that key. Modules in this package are imported automatically, so a new API is a new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from strom.broker.request_context import RequestContext
from strom.protocol.compiler import Message
from strom.protocol.messages import REQUEST_TYPES

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)

Handler: TypeAlias = Callable[[RequestContext, RequestT], Coroutine[Any, Any, ResponseT | None]]
"""A request handler; None means no response is sent (acks=0 produce)."""


@dataclass(frozen=True, slots=True)
class Route(Generic[RequestT, ResponseT]):
    """One entry of the dispatch table: the class a request body decodes to, and the handler it goes to."""

    request_type: type[RequestT]
    handler: Handler[RequestT, ResponseT]


HANDLERS: dict[int, Route[Any, Any]] = {}
"""The dispatch table: API key -> route."""


def handles(api_key: int) -> Callable[[Handler[RequestT, ResponseT]], Handler[RequestT, ResponseT]]:
    """Registers a handler for `api_key` (a schema module's API_KEY); the handler is returned unchanged."""

    def register(handler: Handler[RequestT, ResponseT]) -> Handler[RequestT, ResponseT]:
        if api_key in HANDLERS:
            raise ValueError(f"API key {api_key} has two handlers: {HANDLERS[api_key].handler} and {handler}")
        HANDLERS[api_key] = Route(REQUEST_TYPES[api_key], handler)
        return handler

    return register


for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
