"""KTable.suppress(): updates wait in a time-ordered buffer (a state store of the task) and leave it when their
time is old enough: for until_window_closes, a window's final result when stream time passes window end + grace;
for until_time_limit, a key's latest update once no newer one came within the time limit."""

from __future__ import annotations

import struct
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
from strom.streams.state.api import StateStore, StateStoreContext, StoreBuilder, ValueAndTimestamp

_ENTRY = struct.Struct(">qqi")


class TimeOrderedBuffer(StateStore):
    """Buffered updates by key with the buffer time of each; evicts the oldest first (equal times in key-byte
    order, as Java's). Every change is logged to the changelog, so a restarted task gets its buffer back.
    Changelog value: 8-byte buffer time, 8-byte record timestamp, then the new and the old value, each as a
    4-byte length (-1 for None) and its bytes."""

    def __init__(self, name: str, logging: bool) -> None:
        self._name = name
        self.logging = logging
        self.entries: dict[Any, tuple[int, Change[Any], Record[Any, Any]]] = {}
        self.order: dict[Any, bytes] = {}
        self.restored: dict[bytes, bytes] = {}  # changelog records read before the processor knows the serdes
        self._context: StateStoreContext | None = None
        self._open = False
        self.key_serializer: Any = None
        self.value_serializer: Any = None

    @property
    def name(self) -> str:
        return self._name

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._context = context
        context.register(root, self._restore)
        self._open = True

    def _restore(self, records: list[tuple[bytes, bytes | None, int]]) -> None:
        for key, value, _ in records:
            if value is None:
                self.restored.pop(key, None)
            else:
                self.restored[key] = value

    def set_serdes(self, key_serde: Any, value_serde: Any) -> None:
        """Called by the suppress processor at init: from now on changes are logged, restored ones are usable."""
        self.key_serializer = key_serde.serializer()
        self.value_serializer = value_serde.serializer()
        key_de, value_de = key_serde.deserializer(), value_serde.deserializer()
        for raw_key, raw in sorted(self.restored.items()):
            time, timestamp, n = _ENTRY.unpack_from(raw)
            pos = _ENTRY.size
            new = None if n < 0 else value_de.deserialize(self._name, raw[pos : pos + n])
            pos += max(n, 0)
            (m,) = struct.unpack_from(">i", raw, pos)
            old = None if m < 0 else value_de.deserialize(self._name, raw[pos + 4 : pos + 4 + m])
            key = key_de.deserialize(self._name, raw_key)
            change: Change[Any] = Change(new, old)
            self.entries[key] = (time, change, Record(key, change, timestamp))
            self.order[key] = raw_key
        self.restored.clear()

    def _log(self, key: Any, entry: tuple[int, Change[Any], Record[Any, Any]] | None, timestamp: int) -> None:
        if not self.logging or self._context is None or self.key_serializer is None:
            return
        raw_key = self.order[key]
        value: bytes | None = None
        if entry is not None:
            time, change, record = entry
            new = None if change.new_value is None else self.value_serializer.serialize(self._name, change.new_value)
            old = None if change.old_value is None else self.value_serializer.serialize(self._name, change.old_value)
            value = (
                _ENTRY.pack(time, record.timestamp, -1 if new is None else len(new))
                + (new or b"")
                + struct.pack(">i", -1 if old is None else len(old))
                + (old or b"")
            )
        self._context.log_change(self._name, raw_key, value, timestamp)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._open = False
        self.entries.clear()
        self.order.clear()

    def persistent(self) -> bool:
        return False

    def is_open(self) -> bool:
        return self._open

    def put(self, time: int, record: Record[Any, Change[Any]]) -> None:
        prior = self.entries.get(record.key)
        change = record.value
        if prior is not None:  # keep the value before the first buffered update as the old value
            change = Change(change.new_value, prior[1].old_value, change.is_latest)
        entry = (time, change, record)
        self.entries[record.key] = entry
        if record.key not in self.order:
            self.order[record.key] = b"" if self.key_serializer is None else (self.key_serializer.serialize(self._name, record.key) or b"")
        self._log(record.key, entry, record.timestamp)

    def min_timestamp(self) -> int:
        return min((e[0] for e in self.entries.values()), default=(1 << 63) - 1)

    def evict_while(self, expiry: int) -> list[tuple[Any, Change[Any], Record[Any, Any]]]:
        due = sorted((e[0], self.order[k], i, k) for i, (k, e) in enumerate(self.entries.items()) if e[0] <= expiry)
        out = []
        for *_, key in due:
            _, change, record = self.entries.pop(key)
            self._log(key, None, record.timestamp)
            del self.order[key]
            out.append((key, change, record))
        return out

    def num_records(self) -> int:
        return len(self.entries)

    def get(self, key: Any) -> Change[Any] | None:
        entry = self.entries.get(key)
        return None if entry is None else entry[1]


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
                        buffered = self.buffer.entries.get(key)
                        if buffered is not None:
                            return ValueAndTimestamp.make(buffered[1].new_value, buffered[2].timestamp)
                        return inner.get(key)

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
        self.buffer.put(time, record)
        self._enforce()

    def _enforce(self) -> None:
        assert self.buffer is not None
        expiry = self.observed_stream_time - self.s.suppress_duration_ms
        for key, change, record in self.buffer.evict_while(expiry):
            self._emit(key, change, record)
        config = self.s.suppressed.buffer_config
        over = self.buffer.num_records() > config.max_records
        if not over:
            return
        if config.buffer_full_strategy is BufferFullStrategy.EMIT:
            while self.buffer.num_records() > config.max_records:
                for key, change, record in self.buffer.evict_while(self.buffer.min_timestamp()):
                    self._emit(key, change, record)
        else:
            raise StreamsException(
                f"{self.s.suppressed.name or self.s.store_name} buffer exceeded its max capacity. Currently [{self.buffer.num_records()}/"
                f"{config.max_records}] records and [unknown/{config.max_bytes}] bytes."
            )

    def _emit(self, key: Any, change: Change[Any], record: Record[Any, Any]) -> None:
        if change.new_value is None and self.final_results:
            return  # safe to drop tombstones of final results
        self.context().forward(Record(key, change, record.timestamp, record.headers))
