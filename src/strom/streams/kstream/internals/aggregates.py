"""KGroupedStream aggregations on timestamped stores: plain (count/reduce/aggregate), time-windowed with grace
(records for windows already closed are dropped and logged), and session-windowed (sessions merge as records
arrive). Updates go downstream as Change(new, old) through the store's cache when it has one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.table_processors import (
    AggregateProcessor,
    AggregateSupplier,
    StoreValueGetterSupplier,
    ValueGetter,
    ValueGetterSupplier,
)
from strom.streams.kstream.windows import SessionWindows, SlidingWindows, TimeWindows, UnlimitedWindows
from strom.streams.processor.api import Processor, ProcessorContext, Record
from strom.streams.state.api import ValueAndTimestamp
from strom.streams.windowed import SessionWindow, TimeWindow, Window, Windowed

LOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KStreamAggregate")
WLOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KStreamWindowAggregate")
SLOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KStreamSessionWindowAggregate")


def _where(context: ProcessorContext) -> str:
    meta = context.record_metadata()
    if meta is None:
        return "Topic, partition, and offset not known."
    return f"topic=[{meta.topic}] partition=[{meta.partition}] offset=[{meta.offset}]"


class KStreamAggregate(AggregateSupplier):
    """count / reduce / aggregate of a KGroupedStream (`initializer` None = reduce: the first value starts it)."""

    def __init__(self, store_name: str, initializer: Callable[[], Any] | None, aggregator: Callable[[Any, Any, Any], Any]) -> None:
        self.store_name = store_name
        self.initializer = initializer
        self.aggregator = aggregator

    def view(self) -> ValueGetterSupplier:
        return StoreValueGetterSupplier(self.store_name)

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _AggregateProcessor(self)


class _AggregateProcessor(AggregateProcessor):
    s: KStreamAggregate

    def process(self, record: Record[Any, Any]) -> None:
        if record.key is None or record.value is None:
            LOG.warning("Skipping record due to null key or value. %s", _where(self.context()))
            return
        old = self.store.get(record.key)
        if old is None:
            old_agg = self.s.initializer() if self.s.initializer is not None else None
            new_ts = record.timestamp
        else:
            old_agg = old.value
            new_ts = max(record.timestamp, old.timestamp)
        new_agg = record.value if old_agg is None and self.s.initializer is None else self.s.aggregator(record.key, record.value, old_agg)
        self.store.put(record.key, ValueAndTimestamp.make(new_agg, new_ts))
        forwarder = self.forwarder
        assert forwarder is not None
        forwarder.maybe_forward(Record(record.key, Change(new_agg, old_agg if forwarder.send_old_values else None), new_ts, record.headers))


class _WindowedStoreGetter(StoreValueGetterSupplier):
    """Reads a windowed aggregate by Windowed key (its window start)."""

    @staticmethod
    def read(store: Any, key: Any) -> ValueAndTimestamp[Any] | None:
        result: ValueAndTimestamp[Any] | None = store.fetch(key.key, key.window.start_ms)
        return result


class KStreamWindowAggregate(AggregateSupplier):
    """Time-windowed aggregation: each record updates every window that contains it, unless the window has closed
    (window end <= observed stream time - grace)."""

    def __init__(
        self,
        windows: TimeWindows | UnlimitedWindows,
        store_name: str,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.windows = windows
        self.store_name = store_name
        self.initializer = initializer
        self.aggregator = aggregator

    def view(self) -> ValueGetterSupplier:
        return _WindowedStoreGetter(self.store_name)

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _WindowAggregateProcessor(self)


class _WindowAggregateProcessor(AggregateProcessor):
    s: KStreamWindowAggregate

    def __init__(self, supplier: KStreamWindowAggregate) -> None:
        super().__init__(supplier)
        self.observed_stream_time = -1

    def process(self, record: Record[Any, Any]) -> None:
        if record.key is None:
            WLOG.warning("Skipping record due to null key. %s", _where(self.context()))
            return
        ts = record.timestamp
        self.observed_stream_time = max(self.observed_stream_time, ts)
        close_time = self.observed_stream_time - self.s.windows.grace_period_ms()
        assert self.forwarder is not None
        for start, end in self.s.windows.windows_for(ts).items():
            if end > close_time:
                old = self.store.fetch(record.key, start)
                if old is None:
                    old_agg = self.s.initializer() if self.s.initializer is not None else None
                    new_ts = ts
                else:
                    old_agg = old.value
                    new_ts = max(ts, old.timestamp)
                if old_agg is None and self.s.initializer is None:
                    new_agg = record.value
                else:
                    new_agg = self.s.aggregator(record.key, record.value, old_agg)
                self.store.put(record.key, ValueAndTimestamp.make(new_agg, new_ts), start)
                key = Windowed(record.key, TimeWindow(start, end))
                self.forwarder.maybe_forward(Record(key, Change(new_agg, old_agg), new_ts, record.headers))
            else:
                meta = self.context().record_metadata()
                WLOG.warning(
                    "Skipping record for expired window. topic=[%s] partition=[%s] offset=[%s] timestamp=[%d] window=[%d,%d) "
                    "expiration=[%d] streamTime=[%d]",
                    meta.topic if meta else None,
                    meta.partition if meta else None,
                    meta.offset if meta else None,
                    ts,
                    start,
                    end,
                    close_time,
                    self.observed_stream_time,
                )


class KStreamSessionWindowAggregate(AggregateSupplier):
    """Session-windowed aggregation: a record joins (and merges) the sessions within the inactivity gap of it."""

    def __init__(
        self,
        windows: SessionWindows,
        store_name: str,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.windows = windows
        self.store_name = store_name
        self.initializer = initializer
        self.aggregator = aggregator
        self.merger = merger

    def view(self) -> ValueGetterSupplier:
        name = self.store_name

        class _Supplier(ValueGetterSupplier):
            def get(self) -> ValueGetter:
                class _Getter(ValueGetter):
                    store: Any = None

                    def init(self, context: ProcessorContext) -> None:
                        self.store = context.get_state_store(name)

                    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
                        value = self.store.fetch_session(key.key, key.window.start_ms, key.window.end_ms)
                        return ValueAndTimestamp.make(value, key.window.end_ms)

                return _Getter()

            def store_names(self) -> list[str]:
                return [name]

        return _Supplier()

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _SessionAggregateProcessor(self)


class _SessionAggregateProcessor(AggregateProcessor):
    s: KStreamSessionWindowAggregate
    session_forwarding = True

    def __init__(self, supplier: KStreamSessionWindowAggregate) -> None:
        super().__init__(supplier)
        self.observed_stream_time = -1

    def process(self, record: Record[Any, Any]) -> None:
        if record.key is None:
            SLOG.warning("Skipping record due to null key. %s", _where(self.context()))
            return
        ts = record.timestamp
        self.observed_stream_time = max(self.observed_stream_time, ts)
        close_time = self.observed_stream_time - self.s.windows.grace_period_ms()
        gap = self.s.windows.inactivity_gap()
        merged: list[Any] = []
        new_window: Window = SessionWindow(ts, ts)
        merged_window = new_window
        agg = self.s.initializer() if self.s.initializer is not None else None
        for kv in self.store.find_sessions(record.key, ts - gap, ts + gap):
            merged.append(kv)
            agg = kv.value if agg is None else self.s.merger(record.key, agg, kv.value)
            w = kv.key.window
            merged_window = SessionWindow(min(merged_window.start_ms, w.start_ms), max(merged_window.end_ms, w.end_ms))
        if merged_window.end_ms < close_time:
            meta = self.context().record_metadata()
            SLOG.warning(
                "Skipping record for expired window. topic=[%s] partition=[%s] offset=[%s] timestamp=[%d] window=[%d,%d] "
                "expiration=[%d] streamTime=[%d]",
                meta.topic if meta else None,
                meta.partition if meta else None,
                meta.offset if meta else None,
                ts,
                merged_window.start_ms,
                merged_window.end_ms,
                close_time,
                self.observed_stream_time,
            )
            return
        assert self.forwarder is not None
        if merged_window != new_window:
            for kv in merged:
                self.store.remove(kv.key)
                self.forwarder.maybe_forward(Record(kv.key, Change(None, kv.value), kv.key.window.end_ms, record.headers))
        agg = record.value if agg is None else self.s.aggregator(record.key, record.value, agg)
        session_key = Windowed(record.key, merged_window)
        self.store.put(session_key, agg)
        self.forwarder.maybe_forward(Record(session_key, Change(agg, None), merged_window.end_ms, record.headers))


class KStreamSlidingWindowAggregate(AggregateSupplier):
    """Sliding windows (KIP-450): every distinct window of `time_difference` that holds records exists once: each
    record creates its left window [t - d, t] and the right window (t, t + d] of the records after it, and updates
    every existing window that contains it. Windows are stored by start; an early record (t < d) goes into [0, d]."""

    def __init__(
        self, windows: SlidingWindows, store_name: str, initializer: Callable[[], Any] | None, aggregator: Callable[[Any, Any, Any], Any]
    ) -> None:
        self.windows = windows
        self.store_name = store_name
        self.initializer = initializer
        self.aggregator = aggregator

    def view(self) -> ValueGetterSupplier:
        return _WindowedStoreGetter(self.store_name)

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _SlidingAggregateProcessor(self)


class _SlidingAggregateProcessor(AggregateProcessor):
    s: KStreamSlidingWindowAggregate

    def __init__(self, supplier: KStreamSlidingWindowAggregate) -> None:
        super().__init__(supplier)
        self.d = supplier.windows.time_difference_ms
        self.observed_stream_time = -1

    def _initial(self) -> Any:
        return self.s.initializer() if self.s.initializer is not None else None

    def _windows(self, key: Any, time_from: int, time_to: int) -> list[tuple[int, ValueAndTimestamp[Any]]]:
        return [(kv.key.window.start_ms, kv.value) for kv in self.store.fetch_range(key, key, time_from, time_to)]

    def process(self, record: Record[Any, Any]) -> None:
        if record.key is None or record.value is None:
            WLOG.warning("Skipping record due to null key or value. %s", _where(self.context()))
            return
        ts = record.timestamp
        self.observed_stream_time = max(self.observed_stream_time, ts)
        close_time = self.observed_stream_time - self.s.windows.grace_period_ms()
        if ts + self.d < close_time:
            self._log_expired(record, ts, ts + self.d, close_time)
            return
        if ts < self.d:
            self._process_early(record, close_time)
        else:
            self._process(record, close_time)

    def _process(self, record: Record[Any, Any], close_time: int) -> None:
        ts, d = record.timestamp, self.d
        starts: set[int] = set()
        left_agg: ValueAndTimestamp[Any] | None = None
        right_agg: ValueAndTimestamp[Any] | None = None
        left_created = right_created = False
        previous: int | None = None
        for start, vat in reversed(self._windows(record.key, max(0, ts - 2 * d), ts + 1)):  # latest first, as Java
            starts.add(start)
            end = start + d
            if start == ts + 1:
                right_created = True
            elif end > ts:
                if right_agg is None:
                    right_agg = vat
                self._update(start, vat, record, close_time)
            elif end == ts:
                left_created = True
                self._update(start, vat, record, close_time)
                if vat.timestamp < ts:
                    previous = vat.timestamp
                else:
                    return
            else:
                left_agg = vat
                previous = vat.timestamp
                break
        if previous is not None and previous + 1 not in starts and previous + 1 + d >= ts:
            self._update(previous + 1, ValueAndTimestamp(self._initial(), ts), record, close_time)
        if not left_created:
            if previous is not None and left_agg is not None and ts - d <= previous:
                vat = ValueAndTimestamp(left_agg.value, ts)
            else:
                vat = ValueAndTimestamp(self._initial(), ts)
            self._update(ts - d, vat, record, close_time)
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._create_right(record, right_agg)

    def _process_early(self, record: Record[Any, Any], close_time: int) -> None:
        ts = record.timestamp
        combined: tuple[int, ValueAndTimestamp[Any]] | None = None
        right_agg: ValueAndTimestamp[Any] | None = None
        right_created = False
        starts: set[int] = set()
        previous: int | None = None
        for start, vat in self._windows(record.key, 0, ts + 1):
            starts.add(start)
            if start == 0:
                combined = (start, vat)
                if vat.timestamp < ts:
                    previous = vat.timestamp
            elif start <= ts:
                right_agg = vat
                self._update(start, vat, record, close_time)
            elif start == ts + 1:
                right_created = True
        if right_agg is None and combined is not None and combined[1].timestamp > ts:
            right_agg = combined[1]
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._create_right(record, right_agg)
        if previous is not None and previous + 1 not in starts:
            self._update(previous + 1, ValueAndTimestamp(self._initial(), ts), record, close_time)
        if combined is None:
            self._update(0, ValueAndTimestamp(self._initial(), ts), record, close_time)
        else:
            self._update(combined[0], combined[1], record, close_time)

    def _create_right(self, record: Record[Any, Any], right_agg: ValueAndTimestamp[Any]) -> None:
        start = record.timestamp + 1
        self.store.put(record.key, right_agg, start)
        assert self.forwarder is not None
        key = Windowed(record.key, TimeWindow(start, start + self.d))
        self.forwarder.maybe_forward(Record(key, Change(right_agg.value, None), right_agg.timestamp, record.headers))

    def _update(self, start: int, vat: ValueAndTimestamp[Any], record: Record[Any, Any], close_time: int) -> None:
        end = start + self.d
        if end < close_time:
            self._log_expired(record, start, end, close_time)
            return
        old_agg = vat.value
        if old_agg is None and self.s.initializer is None:
            new_agg = record.value
        else:
            new_agg = self.s.aggregator(record.key, record.value, old_agg)
        new_ts = record.timestamp if old_agg is None else max(record.timestamp, vat.timestamp)
        self.store.put(record.key, ValueAndTimestamp.make(new_agg, new_ts), start)
        assert self.forwarder is not None
        key = Windowed(record.key, TimeWindow(start, end))
        self.forwarder.maybe_forward(Record(key, Change(new_agg, old_agg), new_ts, record.headers))

    def _log_expired(self, record: Record[Any, Any], start: int, end: int, close_time: int) -> None:
        meta = self.context().record_metadata()
        WLOG.warning(
            "Skipping record for expired window. topic=[%s] partition=[%s] offset=[%s] timestamp=[%d] window=[%d,%d] "
            "expiration=[%d] streamTime=[%d]",
            meta.topic if meta else None,
            meta.partition if meta else None,
            meta.offset if meta else None,
            record.timestamp,
            start,
            end,
            close_time,
            self.observed_stream_time,
        )
