"""single.store.self.join (topology.optimization): a windowed inner join of a stream with itself on one window
store, as Java's KStreamKStreamSelfJoin. Each record joins the records of its key in the window before it was
stored, both ways (this-with-other, then other-with-this), and itself once, in the order Java emits them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from strom.streams.kstream.internals.joins import _skip
from strom.streams.kstream.internals.stream_processors import _Supplier
from strom.streams.processor.api import ContextualProcessor, ProcessorContext, ProcessorSupplier, Record

LOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KStreamKStreamSelfJoin")


def self_join_window_supplier(store_name: str) -> ProcessorSupplier[Any, Any, Any, Any]:
    """The windowed node of a self-join: passes the record on first, then stores it (Java's KStreamJoinWindow order,
    which the self-join relies on: the store does not hold the record being joined)."""

    class _Window(ContextualProcessor[Any, Any, Any, Any]):
        store: Any = None

        def init(self, context: ProcessorContext) -> None:
            super().init(context)
            self.store = context.get_state_store(store_name)

        def process(self, record: Record[Any, Any]) -> None:
            self.context().forward(record)
            if record.key is not None:
                self.store.put(record.key, record.value, record.timestamp)

    return _Supplier(_Window)


class KStreamKStreamSelfJoin(ProcessorSupplier[Any, Any, Any, Any]):
    def __init__(self, store_name: str, before_ms: int, after_ms: int, retention_ms: int, joiner: Callable[[Any, Any, Any], Any]) -> None:
        self.store_name = store_name
        self.before_ms = before_ms
        self.after_ms = after_ms
        self.retention_ms = retention_ms
        self.joiner = joiner

    def get(self) -> _SelfJoin:
        return _SelfJoin(self)


class _SelfJoin(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, s: KStreamKStreamSelfJoin) -> None:
        self.s = s
        self.store: Any = None
        self.stream_time = -1

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.s.store_name)

    def process(self, record: Record[Any, Any]) -> None:
        s, ctx = self.s, self.context()
        if record.key is None or record.value is None:
            _skip(ctx, LOG, "key or value")
            return
        key, value, ts = record.key, record.value, record.timestamp
        self.stream_time = max(self.stream_time, ts)
        emit_self = ts > self.stream_time - s.retention_ms + 1  # an expired record does not join itself
        for other_ts, other in list(self.store.fetch(key, max(0, ts - s.before_ms), max(0, ts + s.after_ms))):
            ctx.forward(record.with_value(s.joiner(key, value, other)).with_timestamp(max(ts, other_ts)))
        emitted_self = False
        for other_ts, other in list(self.store.fetch(key, max(0, ts - s.after_ms), max(0, ts + s.before_ms))):
            if ts < max(ts, other_ts) and not emitted_self and emit_self:  # in timestamp order
                emitted_self = True
                ctx.forward(record.with_value(s.joiner(key, value, value)))
            ctx.forward(record.with_value(s.joiner(key, other, value)).with_timestamp(max(ts, other_ts)))
        if not emitted_self and emit_self:
            ctx.forward(record.with_value(s.joiner(key, value, value)))
