"""KTable.suppress(): updates wait in a time-ordered buffer (a state store of the task) and leave it when their
time is old enough: for until_window_closes, a window's final result when stream time passes window end + grace;
for until_time_limit, a key's latest update once no newer one came within the time limit."""

from __future__ import annotations

import heapq
import time as _time
from collections.abc import Sequence
from typing import Any, Self

from strom.streams.errors import StreamsException
from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.table_processors import KTableProcessorSupplier, ValueGetter, ValueGetterSupplier
from strom.streams.kstream.options import BufferFullStrategy, Suppressed
from strom.streams.processor.api import ContextualProcessor, Processor, ProcessorContext, Record
from strom.streams.serdes import (
    Serde,
    SessionWindowedDeserializer,
    SessionWindowedSerializer,
    TimeWindowedDeserializer,
    TimeWindowedSerializer,
)
from strom.streams.state.api import ProcessorRecordContext, StateStore, StateStoreContext, StoreBuilder, ValueAndTimestamp
from strom.streams.state.internals.buffer_value import V3_CHANGELOG_HEADERS, BufferValue


class TimeOrderedBuffer(StateStore):
    """Java's InMemoryTimeOrderedKeyValueChangeBuffer: updates by serialized key, each with its buffer time (a key
    updated again keeps its place), evicted oldest first (equal times in key-byte order). The keys that changed are
    logged at flush (the task's commit) in Java's v3 format (state/internals/buffer_value.py), so a restarted task,
    Strom's or Java's, gets back what the buffer held. Evictions carry the latest update's new and old value; the
    value before the first buffered update (`prior`) is what the suppressed table's value getter answers."""

    def __init__(self, name: str, logging: bool) -> None:
        self._name = name
        self.logging = logging
        self.index: dict[bytes, int] = {}  # serialized key -> buffer time
        self.values: dict[bytes, BufferValue] = {}
        self._queue: list[tuple[int, bytes]] = []  # (buffer time, key) heap; entries no longer in index are skipped
        self._dirty: dict[bytes, None] = {}
        self.buffer_size = 0
        self._context: StateStoreContext | None = None
        self._open = False
        self._topic = name
        self.key_serde: Any = None
        self.value_serde: Any = None

    @property
    def name(self) -> str:
        return self._name

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._context = context
        self._topic = f"{context.application_id}-{self._name}-changelog"
        context.register(root, self._restore)
        self._open = True

    def _restore(self, records: Sequence[tuple[bytes, bytes | None, int]]) -> None:
        for key, value, _ in records:
            if value is None:
                self._remove(key)
            else:
                entry, time = BufferValue.deserialize(value)
                self._put(time, key, entry)

    def set_serdes(self, key_serde: Any, value_serde: Any) -> None:
        """Called by the suppress processor at init: the serdes of the keys and of the values inside the changes."""
        self.key_serde = key_serde
        self.value_serde = value_serde

    @staticmethod
    def _record_size(key: bytes, entry: BufferValue) -> int:
        return 8 + len(key) + entry.resident_memory_size_estimate()

    def _put(self, time: int, key: bytes, entry: BufferValue) -> None:
        previous = self.values.get(key)
        if previous is None:
            self.index[key] = time
            heapq.heappush(self._queue, (time, key))
        else:
            self.buffer_size -= self._record_size(key, previous)
        self.values[key] = entry
        self.buffer_size += self._record_size(key, entry)

    def _remove(self, key: bytes) -> BufferValue | None:
        entry = self.values.pop(key, None)
        if entry is not None:
            del self.index[key]
            self.buffer_size -= self._record_size(key, entry)
        return entry

    def flush(self) -> None:
        if not self.logging or self._context is None:
            self._dirty.clear()
            return
        now = int(_time.time() * 1000)  # Java sends these without a timestamp: the producer's clock
        for key in self._dirty:
            entry = self.values.get(key)
            if entry is None:
                self._context.log_change(self._name, key, None, now)
            else:
                self._context.log_change(self._name, key, entry.serialize(self.index[key]), now, V3_CHANGELOG_HEADERS)
        self._dirty.clear()

    def close(self) -> None:
        self._open = False
        self.index.clear()
        self.values.clear()
        self._queue.clear()
        self._dirty.clear()
        self.buffer_size = 0

    def persistent(self) -> bool:
        return False

    def is_open(self) -> bool:
        return self._open

    def put(self, time: int, record: Record[Any, Change[Any]], context: ProcessorRecordContext) -> None:
        key = self.key_serde.serializer().serialize(self._topic, record.key) or b""
        ser = self.value_serde.serializer()
        change = record.value
        new = None if change.new_value is None else ser.serialize(self._topic, change.new_value)
        old = None if change.old_value is None else ser.serialize(self._topic, change.old_value)
        buffered = self.values.get(key)
        self._put(time, key, BufferValue(old if buffered is None else buffered.prior, old, new, context))
        if self.logging:
            self._dirty[key] = None

    def min_timestamp(self) -> int:
        queue = self._queue
        while queue and self.index.get(queue[0][1]) != queue[0][0]:
            heapq.heappop(queue)
        return queue[0][0] if queue else (1 << 63) - 1

    def evict_one(self) -> tuple[Any, Change[Any], ProcessorRecordContext]:
        """Removes the oldest entry: its key, its latest change and the context of the record that wrote it."""
        self.min_timestamp()  # drops stale heap entries
        _, key = heapq.heappop(self._queue)
        entry = self._remove(key)
        assert entry is not None
        if self.logging:
            self._dirty[key] = None
        de = self.value_serde.deserializer()
        new = None if entry.new is None else de.deserialize(self._topic, entry.new)
        old = None if entry.old is None else de.deserialize(self._topic, entry.old)
        return self.key_serde.deserializer().deserialize(self._topic, key), Change(new, old), entry.context

    def evict_while(self, expiry: int) -> list[tuple[Any, Change[Any], ProcessorRecordContext]]:
        out = []
        while self.index and self.min_timestamp() <= expiry:
            out.append(self.evict_one())
        return out

    def num_records(self) -> int:
        return len(self.index)

    def prior_value_for_buffered(self, key: Any) -> tuple[bool, ValueAndTimestamp[Any] | None]:
        """(buffered, the value before the key's first buffered update with an unknown timestamp), as Java's."""
        entry = self.values.get(self.key_serde.serializer().serialize(self._topic, key) or b"")
        if entry is None:
            return False, None
        if entry.prior is None:
            return True, None
        return True, ValueAndTimestamp.make(self.value_serde.deserializer().deserialize(self._topic, entry.prior), -1)


class TimeOrderedBufferBuilder(StoreBuilder[TimeOrderedBuffer]):
    def __init__(self, name: str, logging: bool = True, config: dict[str, str] | None = None) -> None:
        self._name = name
        self._logging = logging
        self._config = dict(config or {})

    @property
    def name(self) -> str:
        return self._name

    def with_caching_enabled(self) -> Self:
        return self

    def with_caching_disabled(self) -> Self:
        return self

    def with_logging_enabled(self, config: dict[str, str]) -> Self:
        self._logging = True
        self._config = dict(config)
        return self

    def with_logging_disabled(self) -> Self:
        self._logging = False
        return self

    def logging_enabled(self) -> bool:
        return self._logging

    def log_config(self) -> dict[str, str]:
        return dict(self._config)

    def build(self) -> TimeOrderedBuffer:
        return TimeOrderedBuffer(self._name, self._logging)


class KTableSuppress(KTableProcessorSupplier):
    def __init__(
        self,
        parent: KTableProcessorSupplier,
        suppressed: Suppressed,
        suppress_duration_ms: int,
        windowed: str | None,
        store_name: str,
        key_serde: Any,
        value_serde: Any,
        window_size_ms: int | None = None,
    ) -> None:
        """`windowed`: None, "time" or "session" (how keys serialize when no key serde is given)."""
        self.parent = parent
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.window_size_ms = window_size_ms
        self.suppressed = suppressed
        self.suppress_duration_ms = suppress_duration_ms
        self.windowed = windowed
        self.store_name = store_name
        parent.enable_sending_old_values(True)

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        self.parent.enable_sending_old_values(force_materialization)
        self.send_old_values = True
        return True

    def view(self) -> ValueGetterSupplier:
        parent_view = self.parent.view()
        store_name = self.store_name

        class _Supplier(ValueGetterSupplier):
            def get(self) -> ValueGetter:
                inner = parent_view.get()

                class _Getter(ValueGetter):
                    buffer: Any = None

                    def init(self, context: ProcessorContext) -> None:
                        inner.init(context)
                        self.buffer = context.get_state_store(store_name)

                    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
                        buffered, prior = self.buffer.prior_value_for_buffered(key)
                        return prior if buffered else inner.get(key)

                return _Getter()

            def store_names(self) -> list[str]:
                return [*parent_view.store_names(), store_name]

        return _Supplier()

    def get(self) -> Processor[Any, Any, Any, Any]:
        return _SuppressProcessor(self)


class _SuppressProcessor(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, s: KTableSuppress) -> None:
        self.s = s
        self.buffer: TimeOrderedBuffer | None = None
        self.observed_stream_time = -1
        self.final_results = s.suppressed.time_to_wait_ms is None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.buffer = context.get_state_store(self.s.store_name)
        key_serde = self.s.key_serde
        if key_serde is None:
            default = context.key_serde
            if self.s.windowed == "time":
                key_serde = Serde(
                    TimeWindowedSerializer(default.serializer()), TimeWindowedDeserializer(default.deserializer(), self.s.window_size_ms)
                )
            elif self.s.windowed == "session":
                key_serde = Serde(SessionWindowedSerializer(default.serializer()), SessionWindowedDeserializer(default.deserializer()))
            else:
                key_serde = default
        value_serde = self.s.value_serde if self.s.value_serde is not None else context.value_serde
        assert self.buffer is not None
        self.buffer.set_serdes(key_serde, value_serde)

    def process(self, record: Record[Any, Change[Any]]) -> None:
        assert self.buffer is not None
        self.observed_stream_time = max(self.observed_stream_time, record.timestamp)
        time = record.key.window.end_ms if self.s.windowed and self.final_results else record.timestamp
        context: Any = self.context()  # the runtime's context: it also has the record context
        rc = context.record_context()
        ctx = ProcessorRecordContext(
            record.timestamp,
            -1 if rc is None else rc.offset,
            -1 if rc is None else rc.partition,
            None if rc is None else rc.topic,
            list(record.headers or []),
        )
        self.buffer.put(time, record, ctx)
        self._enforce()

    def _over_capacity(self) -> bool:
        assert self.buffer is not None
        config = self.s.suppressed.buffer_config
        return self.buffer.num_records() > config.max_records or self.buffer.buffer_size > config.max_bytes

    def _enforce(self) -> None:
        assert self.buffer is not None
        expiry = self.observed_stream_time - self.s.suppress_duration_ms
        for key, change, ctx in self.buffer.evict_while(expiry):
            self._emit(key, change, ctx)
        if not self._over_capacity():
            return
        config = self.s.suppressed.buffer_config
        if config.buffer_full_strategy is BufferFullStrategy.EMIT:
            while self.buffer.num_records() and self._over_capacity():
                self._emit(*self.buffer.evict_one())
        else:
            raise StreamsException(
                f"{self.s.suppressed.name or self.s.store_name} buffer exceeded its max capacity. Currently [{self.buffer.num_records()}/"
                f"{config.max_records}] records and [{self.buffer.buffer_size}/{config.max_bytes}] bytes."
            )

    def _emit(self, key: Any, change: Change[Any], ctx: ProcessorRecordContext) -> None:
        if change.new_value is None and self.final_results:
            return  # safe to drop tombstones of final results
        context: Any = self.context()
        previous = context.record_context()
        context.set_record_context(ctx)  # downstream sees the record that wrote the update, as in Java
        try:
            context.forward(Record(key, change, ctx.timestamp, ctx.headers))
        finally:
            context.set_record_context(previous)
