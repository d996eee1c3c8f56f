"""Forwarding of KTable updates: straight away when the store has no cache, else when the cache flushes (then
only the last update per key since the previous commit reaches downstream, as Java's TimestampedTupleForwarder)."""

from __future__ import annotations

from typing import Any

from strom.streams.kstream.internals.change import Change
from strom.streams.processor.api import ProcessorContext, Record
from strom.streams.state.api import ValueAndTimestamp


def _value(vat: Any) -> Any:
    return vat.value if isinstance(vat, ValueAndTimestamp) else vat


class TupleForwarder:
    def __init__(self, store: Any, context: ProcessorContext, send_old_values: bool, session: bool = False) -> None:
        self.context = context
        self.session = session
        self.send_old_values = send_old_values
        self.node = _current_node(context)
        listener = getattr(store, "set_flush_listener", None)
        self.caching = bool(listener(self._on_flush, send_old_values)) if listener is not None else False

    def _on_flush(self, key: Any, new: Any, old: Any, timestamp: int) -> None:
        if self.session:
            timestamp = key.window.end_ms  # a session's updates carry the session's end as their time
        elif isinstance(new, ValueAndTimestamp):
            timestamp = new.timestamp
        record = Record(key, Change(_value(new), _value(old) if self.send_old_values else None), timestamp)
        forward_as(self.context, self.node, record)

    def maybe_forward(self, record: Record[Any, Change[Any]]) -> None:
        if self.caching:
            return
        if not self.send_old_values and record.value.old_value is not None:
            record = record.with_value(Change(record.value.new_value, None, record.value.is_latest))
        self.context.forward(record)


def _current_node(context: Any) -> Any:
    getter = getattr(context, "current_node", None)
    return getter() if callable(getter) else None


def forward_as(context: Any, node: Any, record: Record[Any, Any]) -> None:
    """Forwards from `node` while another node (or none: a commit) is current, as a cache flush does."""
    setter = getattr(context, "set_current_node", None)
    if node is None or setter is None:
        context.forward(record)
        return
    previous = _current_node(context)
    setter(node)
    try:
        context.forward(record)
    finally:
        setter(previous)
