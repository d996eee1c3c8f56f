"""Join processors: stream-table and stream-globaltable (a lookup per stream record), stream-stream within
JoinWindows (both sides buffered in window stores; left/outer results for records that found no partner are
held in a shared store until their window closes, Java's spurious-result fix), and table-table (inner, left,
outer; each side looks the other up, the merge node passes both on)."""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import Any

from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.forwarding import TupleForwarder
from strom.streams.kstream.internals.stream_processors import _Supplier
from strom.streams.kstream.internals.table_processors import (
    KTableProcessorSupplier,
    StoreValueGetterSupplier,
    ValueGetter,
    ValueGetterSupplier,
)
from strom.streams.processor.api import ContextualProcessor, Processor, ProcessorContext, ProcessorSupplier, Record
from strom.streams.serdes import Deserializer, Serde, Serializer
from strom.streams.state.api import ValueAndTimestamp

LOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KStreamKTableJoin")
SSLOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KStreamKStreamJoin")
TTLOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KTableKTableJoin")


def _skip(context: ProcessorContext, log: logging.Logger, what: str) -> None:
    meta = context.record_metadata()
    if meta is not None:
        log.warning("Skipping record due to null %s. topic=[%s] partition=[%d] offset=[%d]", what, meta.topic, meta.partition, meta.offset)
    else:
        log.warning("Skipping record due to null %s. Topic, partition, and offset not known.", what)


# --- stream-table / stream-globaltable --------------------------------------------------------------------------


class KStreamKTableJoin(ProcessorSupplier[Any, Any, Any, Any]):
    """`key_mapper(key, value)` finds the table key (the stream key for a KTable; any key for a GlobalKTable);
    `joiner(key, stream_value, table_value)`; a left join also emits when the table has no value."""

    def __init__(
        self, getter: ValueGetterSupplier, key_mapper: Callable[[Any, Any], Any], joiner: Callable[[Any, Any, Any], Any], left: bool
    ) -> None:
        self.getter = getter
        self.key_mapper = key_mapper
        self.joiner = joiner
        self.left = left

    def get(self) -> Processor[Any, Any, Any, Any]:
        s = self
        getter = self.getter.get()

        class _Join(ContextualProcessor[Any, Any, Any, Any]):
            def init(self, context: ProcessorContext) -> None:
                super().init(context)
                getter.init(context)

            def process(self, record: Record[Any, Any]) -> None:
                mapped = s.key_mapper(record.key, record.value)
                if not (s.left and record.key is None and record.value is not None) and (mapped is None or record.value is None):
                    _skip(self.context(), LOG, "join key or value")
                    return
                vat = None if mapped is None else getter.get(mapped)
                other = None if vat is None else vat.value
                if s.left or other is not None:
                    self.context().forward(record.with_value(s.joiner(record.key, record.value, other)))

            def close(self) -> None:
                getter.close()

        return _Join()


# --- stream-stream ----------------------------------------------------------------------------------------------


def join_window_supplier(store_name: str) -> ProcessorSupplier[Any, Any, Any, Any]:
    """KSTREAM-WINDOWED: keeps each record of one side in its window store, then passes it on to its join."""

    class _Window(ContextualProcessor[Any, Any, Any, Any]):
        store: Any = None

        def init(self, context: ProcessorContext) -> None:
            super().init(context)
            self.store = context.get_state_store(store_name)

        def process(self, record: Record[Any, Any]) -> None:
            if record.key is not None:
                self.store.put(record.key, record.value, record.timestamp)
            self.context().forward(record)

    return _Supplier(_Window)


class TimeTracker:
    """Stream time and the oldest non-joined record time shared by both sides of one task's join."""

    def __init__(self, emit_interval_ms: int = 1000) -> None:
        self.stream_time = -1
        self.min_time = (1 << 63) - 1
        self.next_time_to_emit = 0
        self.emit_interval_ms = emit_interval_ms


class _SharedTimeTrackers:
    def __init__(self) -> None:
        self.by_task: dict[Any, TimeTracker] = {}

    def get(self, task_id: Any) -> TimeTracker:
        return self.by_task.setdefault(task_id, TimeTracker())


_TS = struct.Struct(">q")
_LEN = struct.Struct(">i")


class _LateSerde(Serde[Any]):
    """A serde whose inner serde is the application default until a processor's init tells it which."""

    def __init__(self, inner: Serde[Any] | None) -> None:
        self.inner = inner
        outer = self

        class _Ser(Serializer[Any]):
            def serialize(self, topic: str | None, data: Any, headers: Any = None) -> bytes | None:
                assert outer.inner is not None
                return outer.inner.serializer().serialize(topic, data, headers)

        class _De(Deserializer[Any]):
            def deserialize(self, topic: str | None, data: bytes | None, headers: Any = None) -> Any:
                assert outer.inner is not None
                return outer.inner.deserializer().deserialize(topic, data, headers)

        super().__init__(_Ser(), _De())


class TimestampedKeyAndJoinSide:
    __slots__ = ("left_side", "key", "timestamp")

    def __init__(self, left_side: bool, key: Any, timestamp: int) -> None:
        self.left_side = left_side
        self.key = key
        self.timestamp = timestamp

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimestampedKeyAndJoinSide) and (self.left_side, self.key, self.timestamp) == (
            other.left_side,
            other.key,
            other.timestamp,
        )

    def __hash__(self) -> int:
        return hash((self.left_side, self.key, self.timestamp))


class TimestampedKeyAndJoinSideSerde(Serde[TimestampedKeyAndJoinSide]):
    """Java's bytes: 8-byte timestamp, 1 byte side (1 = left), the key; ordered by time in the store."""

    def __init__(self, key_serde: _LateSerde) -> None:
        ks = key_serde

        class _Ser(Serializer[TimestampedKeyAndJoinSide]):
            def serialize(self, topic: str | None, data: TimestampedKeyAndJoinSide | None, headers: Any = None) -> bytes | None:
                if data is None:
                    return None
                raw = ks.serializer().serialize(topic, data.key, headers) or b""
                return _TS.pack(data.timestamp) + (b"\x01" if data.left_side else b"\x00") + raw

        class _De(Deserializer[TimestampedKeyAndJoinSide]):
            def deserialize(self, topic: str | None, data: bytes | None, headers: Any = None) -> TimestampedKeyAndJoinSide | None:
                if data is None:
                    return None
                return TimestampedKeyAndJoinSide(
                    data[8] == 1, ks.deserializer().deserialize(topic, data[9:], headers), _TS.unpack_from(data)[0]
                )

        super().__init__(_Ser(), _De())


class LeftOrRightValueSerde(Serde[list[tuple[bool, Any]]]):
    """The records waiting under one (time, side, key): a list, as Java's ListValueStore keeps them, each
    4-byte length + (1 byte: 1 = left value) + the value bytes."""

    def __init__(self, left: _LateSerde, right: _LateSerde) -> None:
        class _Ser(Serializer[list[tuple[bool, Any]]]):
            def serialize(self, topic: str | None, data: list[tuple[bool, Any]] | None, headers: Any = None) -> bytes | None:
                if data is None:
                    return None
                out = bytearray()
                for is_left, value in data:
                    serde = left if is_left else right
                    raw = (b"\x01" if is_left else b"\x00") + (serde.serializer().serialize(topic, value, headers) or b"")
                    out += _LEN.pack(len(raw)) + raw
                return bytes(out)

        class _De(Deserializer[list[tuple[bool, Any]]]):
            def deserialize(self, topic: str | None, data: bytes | None, headers: Any = None) -> list[tuple[bool, Any]] | None:
                if data is None:
                    return None
                out: list[tuple[bool, Any]] = []
                pos = 0
                while pos < len(data):
                    (n,) = _LEN.unpack_from(data, pos)
                    raw = data[pos + 4 : pos + 4 + n]
                    pos += 4 + n
                    serde = left if raw[0] == 1 else right
                    out.append((raw[0] == 1, serde.deserializer().deserialize(topic, raw[1:], headers)))
                return out

        super().__init__(_Ser(), _De())


class KStreamKStreamJoin(ProcessorSupplier[Any, Any, Any, Any]):
    """One side of a windowed stream-stream join. `left_side` says which side this is; `outer` whether this side's
    unmatched records are emitted (with None for the other value); `outer_store` the shared store for them."""

    def __init__(
        self,
        left_side: bool,
        other_store: str,
        before_ms: int,
        after_ms: int,
        grace_ms: int,
        joiner: Callable[[Any, Any, Any], Any],
        outer: bool,
        outer_store: str | None,
        trackers: _SharedTimeTrackers,
        serdes: tuple[_LateSerde, _LateSerde, _LateSerde] | None,
    ) -> None:
        self.left_side = left_side
        self.other_store = other_store
        self.before_ms = before_ms if left_side else after_ms
        self.after_ms = after_ms if left_side else before_ms
        self.windows_before_ms = before_ms
        self.windows_after_ms = after_ms
        self.grace_ms = grace_ms
        self.joiner = joiner
        self.outer = outer
        self.outer_store = outer_store
        self.trackers = trackers
        self.serdes = serdes

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _StreamStreamJoin(self)


class _StreamStreamJoin(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, s: KStreamKStreamJoin) -> None:
        self.s = s
        self.other: Any = None
        self.outer_store: Any = None
        self.tracker = TimeTracker()

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.other = context.get_state_store(self.s.other_store)
        self.tracker = self.s.trackers.get(context.task_id)
        if self.s.serdes is not None:
            key, left, right = self.s.serdes
            key.inner = key.inner or context.key_serde
            left.inner = left.inner or context.value_serde
            right.inner = right.inner or context.value_serde
        if self.s.outer_store is not None:
            self.outer_store = context.get_state_store(self.s.outer_store)
            interval = context.app_configs().get("__emit.interval.ms.kstreams.outer.join.spurious.results.fix__")
            if interval is not None:
                self.tracker.emit_interval_ms = int(interval)

    def _join(self, key: Any, this_value: Any, other_value: Any) -> Any:
        if self.s.left_side:
            return self.s.joiner(key, this_value, other_value)
        return self.s.joiner(key, other_value, this_value)

    def process(self, record: Record[Any, Any]) -> None:
        s, t, ctx = self.s, self.tracker, self.context()
        ts = record.timestamp
        t.stream_time = max(t.stream_time, ts)
        if s.outer and record.key is None and record.value is not None:
            ctx.forward(record.with_value(self._join(record.key, record.value, None)))
            return
        if record.key is None or record.value is None:
            _skip(ctx, SSLOG, "key or value")
            return
        if ts == t.stream_time and self.outer_store is not None:
            self._emit_non_joined(record)
        time_from = max(0, ts - s.before_ms)
        time_to = max(0, ts + s.after_ms)
        matches = list(self.other.fetch(record.key, time_from, time_to))
        for other_ts, other_value in matches:
            if self.outer_store is not None:  # the other side's record found a partner: no longer waiting
                self.outer_store.delete(TimestampedKeyAndJoinSide(not s.left_side, record.key, other_ts))
            ctx.forward(record.with_value(self._join(record.key, record.value, other_value)).with_timestamp(max(ts, other_ts)))
        if s.outer and not matches:
            if self.outer_store is None or time_to < t.stream_time:
                ctx.forward(record.with_value(self._join(record.key, record.value, None)))
            else:
                t.min_time = min(t.min_time, ts)
                key = TimestampedKeyAndJoinSide(s.left_side, record.key, ts)
                self.outer_store.put(key, [*(self.outer_store.get(key) or []), (s.left_side, record.value)])

    def _window_open(self, key: TimestampedKeyAndJoinSide) -> bool:
        t = self.tracker
        look_back = self.s.windows_after_ms if key.left_side else self.s.windows_before_ms
        return t.min_time + look_back + self.s.grace_ms >= t.stream_time

    def _emit_non_joined(self, record: Record[Any, Any]) -> None:
        t, s, ctx = self.tracker, self.s, self.context()
        if t.min_time + s.windows_after_ms + s.grace_ms >= t.stream_time:
            return
        now = ctx.current_system_time_ms()
        if now < t.next_time_to_emit:
            return
        t.next_time_to_emit = now + t.emit_interval_ms
        t.min_time = (1 << 63) - 1
        prev: TimestampedKeyAndJoinSide | None = None
        left_open = right_open = False
        for kv in list(self.outer_store.all()):
            key: TimestampedKeyAndJoinSide = kv.key
            t.min_time = key.timestamp
            if left_open and right_open:
                break
            if self._window_open(key):
                if key.left_side:
                    left_open = True
                else:
                    right_open = True
                continue
            for is_left, value in kv.value or []:
                out = s.joiner(key.key, value, None) if is_left else s.joiner(key.key, None, value)
                ctx.forward(Record(key.key, out, key.timestamp, record.headers))
            if prev is not None and prev != key:
                self.outer_store.delete(prev)
            prev = key
        if prev is not None:
            self.outer_store.delete(prev)


# --- table-table ------------------------------------------------------------------------------------------------


class KTableKTableJoin(KTableProcessorSupplier):
    """One side of a table-table join: looks the key up in the other table, joins new (and old) values.
    kind: "inner", "left", "outer"; `this_is_left` orders the joiner's arguments."""

    def __init__(
        self,
        this: KTableProcessorSupplier,
        other: KTableProcessorSupplier,
        joiner: Callable[[Any, Any], Any],
        kind: str,
        this_is_left: bool,
    ) -> None:
        self.this = this
        self.other = other
        self.joiner = joiner
        self.kind = kind
        self.this_is_left = this_is_left
        self.other_getter = other.view()

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        self.this.enable_sending_old_values(True)
        self.send_old_values = True
        return True

    def apply(self, this_value: Any, other_value: Any) -> Any:
        return self.joiner(this_value, other_value) if self.this_is_left else self.joiner(other_value, this_value)

    def view(self) -> ValueGetterSupplier:
        raise NotImplementedError("the merge node provides the join's view")

    def get(self) -> Processor[Any, Any, Any, Any]:
        s = self
        getter = self.other_getter.get()

        class _Join(ContextualProcessor[Any, Any, Any, Any]):
            def init(self, context: ProcessorContext) -> None:
                super().init(context)
                getter.init(context)

            def process(self, record: Record[Any, Change[Any]]) -> None:
                if record.key is None:
                    _skip(self.context(), TTLOG, "key")
                    return
                change = record.value
                other_vat = getter.get(record.key)
                other = None if other_vat is None else other_vat.value
                ts = record.timestamp if other_vat is None else max(record.timestamp, other_vat.timestamp)
                send_old = s.send_old_values
                new = old = None
                if s.kind == "inner" or (s.kind == "left" and s.this_is_left):
                    if s.kind == "inner" and other is None:
                        return
                    if change.new_value is not None:
                        new = s.apply(change.new_value, other)
                    if send_old and change.old_value is not None:
                        old = s.apply(change.old_value, other)
                elif s.kind == "left":  # the right table of a left join: nothing without a left value
                    if other is None:
                        return
                    new = s.apply(change.new_value, other)
                    old = s.apply(change.old_value, other) if send_old else None
                else:
                    if other is None and change.new_value is None and change.old_value is None:
                        return
                    if other is not None or change.new_value is not None:
                        new = s.apply(change.new_value, other)
                    if send_old and (other is not None or change.old_value is not None):
                        old = s.apply(change.old_value, other)
                self.context().forward(record.with_value(Change(new, old, change.is_latest)).with_timestamp(ts))

            def close(self) -> None:
                getter.close()

        return _Join()


class JoinedValueGetterSupplier(ValueGetterSupplier):
    """The join result read by key: both tables looked up and joined as the join's kind says."""

    def __init__(self, left: ValueGetterSupplier, right: ValueGetterSupplier, joiner: Callable[[Any, Any], Any], kind: str) -> None:
        self.left = left
        self.right = right
        self.joiner = joiner
        self.kind = kind

    def get(self) -> ValueGetter:
        lg, rg, joiner, kind = self.left.get(), self.right.get(), self.joiner, self.kind

        class _Getter(ValueGetter):
            def init(self, context: ProcessorContext) -> None:
                lg.init(context)
                rg.init(context)

            def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
                lv, rv = lg.get(key), rg.get(key)
                if lv is None and (kind != "outer" or rv is None):
                    return None
                if rv is None and kind == "inner":
                    return None
                ts = max(v.timestamp for v in (lv, rv) if v is not None)
                return ValueAndTimestamp.make(joiner(None if lv is None else lv.value, None if rv is None else rv.value), ts)

            def close(self) -> None:
                lg.close()
                rg.close()

        return _Getter()

    def store_names(self) -> list[str]:
        return self.left.store_names() + self.right.store_names()


class KTableKTableJoinMerger(KTableProcessorSupplier):
    """KTABLE-MERGE: passes both sides' results on, or stores them when the join result is materialized."""

    def __init__(self, this: KTableKTableJoin, other: KTableKTableJoin, queryable_name: str | None) -> None:
        self.this = this
        self.other = other
        self.queryable_name = queryable_name

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        if self.queryable_name is None:
            self.this.enable_sending_old_values(force_materialization)
            self.other.enable_sending_old_values(force_materialization)
        self.send_old_values = True
        return True

    def view(self) -> ValueGetterSupplier:
        if self.queryable_name is not None:
            return StoreValueGetterSupplier(self.queryable_name)
        return JoinedValueGetterSupplier(self.this.this.view(), self.this.other_getter, self.this.joiner, self.this.kind)

    def get(self) -> Processor[Any, Any, Any, Any]:
        s = self

        class _Merge(ContextualProcessor[Any, Any, Any, Any]):
            store: Any = None
            forwarder: TupleForwarder | None = None

            def init(self, context: ProcessorContext) -> None:
                super().init(context)
                if s.queryable_name is not None:
                    self.store = context.get_state_store(s.queryable_name)
                    self.forwarder = TupleForwarder(self.store, context, s.send_old_values)

            def process(self, record: Record[Any, Change[Any]]) -> None:
                if self.store is not None and self.forwarder is not None:
                    self.store.put(record.key, ValueAndTimestamp.make(record.value.new_value, record.timestamp))
                    self.forwarder.maybe_forward(record)
                else:
                    self.context().forward(record)

        return _Merge()
