"""The dispatch table: every API key routes to a handler and the request class of that key."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

import strom.broker.handlers as handlers_pkg
from strom.broker.handlers import HANDLERS, handles
from strom.broker.request_context import RequestContext
from strom.protocol.compiler import Message
from strom.protocol.messages import REQUEST_TYPES


def test_each_route_decodes_the_request_class_of_its_key() -> None:
    assert HANDLERS
    for key, route in HANDLERS.items():
        assert route.request_type is REQUEST_TYPES[key]
        assert route.request_type.API_KEY == key


def test_a_second_handler_for_a_key_is_refused() -> None:
    key = next(iter(HANDLERS))
    before = HANDLERS[key]

    async def other(ctx: RequestContext, request: Message) -> None:
        return None

    with pytest.raises(ValueError, match=f"API key {key} has two handlers"):
        handles(key)(other)
    assert HANDLERS[key] is before


def test_handlers_register_by_the_schema_modules_api_key() -> None:
    """`@handles(3)` would let a key and its message classes drift apart: name the schema's constant."""
    literal = re.compile(r"@handles\(\s*\d")
    offenders = [p.name for p in Path(handlers_pkg.__path__[0]).glob("*.py") if literal.search(p.read_text())]
    assert offenders == []


def test_a_handler_annotated_with_a_request_class_is_routed_that_class() -> None:
    """The annotation is what mypy checks the handler body against; the route is what the server decodes."""
    typed = 0
    for key, route in HANDLERS.items():
        annotated = typing.get_type_hints(route.handler).get("request")
        if isinstance(annotated, type) and issubclass(annotated, Message):
            assert annotated is route.request_type, f"API key {key}: handler takes {annotated.__name__}"
            typed += 1
    assert typed > 0
