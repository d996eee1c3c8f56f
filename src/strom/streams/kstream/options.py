"""The DSL's option objects (Consumed, Produced, Grouped, Joined, StreamJoined, Materialized, Repartitioned,
Named, Branched, Printed, Suppressed, TableJoined). Each is immutable; `with_*` may be called on the class
(a new option, as Java's static factories) or on an instance (a changed copy, as Java's withX)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from strom.streams.kstream.windows import Duration, to_ms

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class _either:  # noqa: N801 - used as a decorator
    """A method callable on the class (then it starts from the class's defaults) or on an instance."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, cls: type) -> Callable[..., Any]:
        target = obj if obj is not None else cls()

        def bound(*args: Any, **kwargs: Any) -> Any:
            return self.func(target, *args, **kwargs)

        return bound


def _replace(obj: T, **changes: Any) -> T:
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


class AutoOffsetReset(enum.Enum):
    """Topology.AutoOffsetReset: where a source starts when it has no committed offset."""

    EARLIEST = "earliest"
    LATEST = "latest"


@dataclasses.dataclass(frozen=True)
class Named:
    name: str | None = None

    @staticmethod
    def as_(name: str) -> Named:
        validate_name(name)
        return Named(name)


def validate_name(name: str) -> None:
    """Names become node, store and topic names: Kafka's legal topic characters, at most 249 of them."""
    if not name:
        raise ValueError("Name is illegal, it can't be empty")
    if len(name) > 249:
        raise ValueError("Name is illegal, it can't be longer than 249 characters, name: " + name)
    if any(not (c.isascii() and (c.isalnum() or c in "._-")) for c in name):
        raise ValueError(f"Name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")


@dataclasses.dataclass(frozen=True)
class Consumed(Generic[T]):
    key_serde: Any = None
    value_serde: Any = None
    timestamp_extractor: Any = None
    offset_reset: AutoOffsetReset | None = None
    processor_name: str | None = None

    @staticmethod
    def with_(
        key_serde: Any = None, value_serde: Any = None, timestamp_extractor: Any = None, reset_policy: AutoOffsetReset | None = None
    ) -> Consumed[Any]:
        return Consumed(key_serde, value_serde, timestamp_extractor, reset_policy)

    @staticmethod
    def as_(processor_name: str) -> Consumed[Any]:
        return Consumed(processor_name=processor_name)

    @_either
    def with_key_serde(self, key_serde: Any) -> Consumed[Any]:
        return _replace(self, key_serde=key_serde)

    @_either
    def with_value_serde(self, value_serde: Any) -> Consumed[Any]:
        return _replace(self, value_serde=value_serde)

    @_either
    def with_timestamp_extractor(self, extractor: Any) -> Consumed[Any]:
        return _replace(self, timestamp_extractor=extractor)

    @_either
    def with_offset_reset_policy(self, policy: AutoOffsetReset) -> Consumed[Any]:
        return _replace(self, offset_reset=policy)

    @_either
    def with_name(self, processor_name: str) -> Consumed[Any]:
        return _replace(self, processor_name=processor_name)


@dataclasses.dataclass(frozen=True)
class Produced(Generic[T]):
    key_serde: Any = None
    value_serde: Any = None
    partitioner: Any = None
    processor_name: str | None = None

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, partitioner: Any = None) -> Produced[Any]:
        return Produced(key_serde, value_serde, partitioner)

    @staticmethod
    def as_(processor_name: str) -> Produced[Any]:
        return Produced(processor_name=processor_name)

    @_either
    def with_key_serde(self, key_serde: Any) -> Produced[Any]:
        return _replace(self, key_serde=key_serde)

    @_either
    def with_value_serde(self, value_serde: Any) -> Produced[Any]:
        return _replace(self, value_serde=value_serde)

    @_either
    def with_stream_partitioner(self, partitioner: Any) -> Produced[Any]:
        return _replace(self, partitioner=partitioner)

    @_either
    def with_name(self, processor_name: str) -> Produced[Any]:
        return _replace(self, processor_name=processor_name)


@dataclasses.dataclass(frozen=True)
class Grouped(Generic[T]):
    key_serde: Any = None
    value_serde: Any = None
    name: str | None = None

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, name: str | None = None) -> Grouped[Any]:
        return Grouped(key_serde, value_serde, name)

    @staticmethod
    def as_(name: str) -> Grouped[Any]:
        return Grouped(name=name)

    @_either
    def with_key_serde(self, key_serde: Any) -> Grouped[Any]:
        return _replace(self, key_serde=key_serde)

    @_either
    def with_value_serde(self, value_serde: Any) -> Grouped[Any]:
        return _replace(self, value_serde=value_serde)

    @_either
    def with_name(self, name: str) -> Grouped[Any]:
        return _replace(self, name=name)


@dataclasses.dataclass(frozen=True)
class Joined(Generic[T]):
    key_serde: Any = None
    value_serde: Any = None
    other_value_serde: Any = None
    name: str | None = None
    grace_ms: int | None = None

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, other_value_serde: Any = None, name: str | None = None) -> Joined[Any]:
        return Joined(key_serde, value_serde, other_value_serde, name)

    @staticmethod
    def as_(name: str) -> Joined[Any]:
        return Joined(name=name)

    @_either
    def with_key_serde(self, key_serde: Any) -> Joined[Any]:
        return _replace(self, key_serde=key_serde)

    @_either
    def with_value_serde(self, value_serde: Any) -> Joined[Any]:
        return _replace(self, value_serde=value_serde)

    @_either
    def with_other_value_serde(self, serde: Any) -> Joined[Any]:
        return _replace(self, other_value_serde=serde)

    @_either
    def with_name(self, name: str) -> Joined[Any]:
        return _replace(self, name=name)


@dataclasses.dataclass(frozen=True)
class StreamJoined(Generic[T]):
    key_serde: Any = None
    value_serde: Any = None
    other_value_serde: Any = None
    this_store_supplier: Any = None
    other_store_supplier: Any = None
    name: str | None = None
    store_name: str | None = None
    logging_enabled: bool = True
    topic_config: dict[str, str] = dataclasses.field(default_factory=dict)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, other_value_serde: Any = None) -> StreamJoined[Any]:
        return StreamJoined(key_serde, value_serde, other_value_serde)

    @staticmethod
    def as_(store_name: str) -> StreamJoined[Any]:
        return StreamJoined(store_name=store_name)

    @_either
    def with_key_serde(self, key_serde: Any) -> StreamJoined[Any]:
        return _replace(self, key_serde=key_serde)

    @_either
    def with_value_serde(self, value_serde: Any) -> StreamJoined[Any]:
        return _replace(self, value_serde=value_serde)

    @_either
    def with_other_value_serde(self, serde: Any) -> StreamJoined[Any]:
        return _replace(self, other_value_serde=serde)

    @_either
    def with_name(self, name: str) -> StreamJoined[Any]:
        return _replace(self, name=name)

    @_either
    def with_store_name(self, store_name: str) -> StreamJoined[Any]:
        return _replace(self, store_name=store_name)

    @_either
    def with_this_store_supplier(self, supplier: Any) -> StreamJoined[Any]:
        return _replace(self, this_store_supplier=supplier)

    @_either
    def with_other_store_supplier(self, supplier: Any) -> StreamJoined[Any]:
        return _replace(self, other_store_supplier=supplier)

    @_either
    def with_logging_enabled(self, config: dict[str, str]) -> StreamJoined[Any]:
        return _replace(self, logging_enabled=True, topic_config=dict(config))

    @_either
    def with_logging_disabled(self) -> StreamJoined[Any]:
        return _replace(self, logging_enabled=False, topic_config={})


class StoreType(enum.Enum):
    """Materialized.StoreType / `default.dsl.store`."""

    ROCKS_DB = "rocksDB"
    IN_MEMORY = "in_memory"


@dataclasses.dataclass(frozen=True)
class Materialized(Generic[T]):
    """How a KTable or an aggregate is stored: the store's name (queryable) or supplier, its serdes,
    changelog and cache, window retention."""

    store_name: str | None = None
    store_supplier: Any = None
    key_serde: Any = None
    value_serde: Any = None
    logging_enabled: bool = True
    topic_config: dict[str, str] = dataclasses.field(default_factory=dict)
    caching_enabled: bool = True
    retention_ms: int | None = None
    store_type: StoreType | None = None

    @staticmethod
    def as_(store: Any) -> Materialized[Any]:
        """A store name, a `StoreType`, or a store supplier (whose name becomes the store name)."""
        if isinstance(store, str):
            validate_name(store)
            return Materialized(store_name=store)
        if isinstance(store, StoreType):
            return Materialized(store_type=store)
        return Materialized(store_name=store.name, store_supplier=store)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None) -> Materialized[Any]:
        return Materialized(key_serde=key_serde, value_serde=value_serde)

    @_either
    def with_key_serde(self, key_serde: Any) -> Materialized[Any]:
        return _replace(self, key_serde=key_serde)

    @_either
    def with_value_serde(self, value_serde: Any) -> Materialized[Any]:
        return _replace(self, value_serde=value_serde)

    @_either
    def with_logging_enabled(self, config: dict[str, str] | None = None) -> Materialized[Any]:
        return _replace(self, logging_enabled=True, topic_config=dict(config or {}))

    @_either
    def with_logging_disabled(self) -> Materialized[Any]:
        return _replace(self, logging_enabled=False, topic_config={})

    @_either
    def with_caching_enabled(self) -> Materialized[Any]:
        return _replace(self, caching_enabled=True)

    @_either
    def with_caching_disabled(self) -> Materialized[Any]:
        return _replace(self, caching_enabled=False)

    @_either
    def with_retention(self, retention: Duration) -> Materialized[Any]:
        ms = to_ms(retention, "retention")
        return _replace(self, retention_ms=ms)

    @_either
    def with_store_type(self, store_type: StoreType) -> Materialized[Any]:
        return _replace(self, store_type=store_type)


@dataclasses.dataclass(frozen=True)
class Repartitioned(Generic[T]):
    name: str | None = None
    key_serde: Any = None
    value_serde: Any = None
    number_of_partitions: int | None = None
    partitioner: Any = None

    @staticmethod
    def as_(name: str) -> Repartitioned[Any]:
        return Repartitioned(name=name)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None) -> Repartitioned[Any]:
        return Repartitioned(key_serde=key_serde, value_serde=value_serde)

    @_either
    def with_name(self, name: str) -> Repartitioned[Any]:
        return _replace(self, name=name)

    @_either
    def with_key_serde(self, key_serde: Any) -> Repartitioned[Any]:
        return _replace(self, key_serde=key_serde)

    @_either
    def with_value_serde(self, value_serde: Any) -> Repartitioned[Any]:
        return _replace(self, value_serde=value_serde)

    @_either
    def with_number_of_partitions(self, n: int) -> Repartitioned[Any]:
        return _replace(self, number_of_partitions=n)

    @_either
    def with_stream_partitioner(self, partitioner: Any) -> Repartitioned[Any]:
        return _replace(self, partitioner=partitioner)


@dataclasses.dataclass(frozen=True)
class Branched(Generic[T]):
    """One branch of KStream.split(): its name suffix and what is done with it (a function returning a
    stream to keep in the result map, or a consumer that returns nothing)."""

    name: str | None = None
    chain_function: Callable[[Any], Any] | None = None
    chain_consumer: Callable[[Any], None] | None = None

    @staticmethod
    def as_(name: str) -> Branched[Any]:
        return Branched(name=name)

    @staticmethod
    def with_function(chain: Callable[[Any], Any], name: str | None = None) -> Branched[Any]:
        return Branched(name=name, chain_function=chain)

    @staticmethod
    def with_consumer(chain: Callable[[Any], None], name: str | None = None) -> Branched[Any]:
        return Branched(name=name, chain_consumer=chain)


@dataclasses.dataclass(frozen=True)
class Printed(Generic[T]):
    """Where KStream.print() writes: stdout or a file, with a label and a key/value formatter."""

    file_name: str | None = None
    label: str | None = None
    mapper: Callable[[Any, Any], str] | None = None
    processor_name: str | None = None

    @staticmethod
    def to_sys_out() -> Printed[Any]:
        return Printed()

    @staticmethod
    def to_file(file_path: str) -> Printed[Any]:
        if not file_path or not file_path.strip():
            raise ValueError("filePath can't be an empty string")
        return Printed(file_name=file_path)

    def with_label(self, label: str) -> Printed[Any]:
        return _replace(self, label=label)

    def with_key_value_mapper(self, mapper: Callable[[Any, Any], str]) -> Printed[Any]:
        return _replace(self, mapper=mapper)

    def with_name(self, processor_name: str) -> Printed[Any]:
        return _replace(self, processor_name=processor_name)


class BufferFullStrategy(enum.Enum):
    EMIT = "EMIT"
    SHUT_DOWN = "SHUT_DOWN"
    SPILL_TO_DISK = "SPILL_TO_DISK"


_LONG_MAX = (1 << 63) - 1


@dataclasses.dataclass(frozen=True)
class BufferConfig:
    """Suppressed.BufferConfig: bounds of the suppression buffer and what happens when it is full.
    `until_window_closes` needs a strict one (it never emits early)."""

    max_records: int = _LONG_MAX
    max_bytes: int = _LONG_MAX
    buffer_full_strategy: BufferFullStrategy = BufferFullStrategy.EMIT
    logging_enabled: bool = True
    topic_config: dict[str, str] = dataclasses.field(default_factory=dict)

    @staticmethod
    def max_records_(n: int) -> BufferConfig:
        return BufferConfig(max_records=n)

    @staticmethod
    def max_bytes_(n: int) -> BufferConfig:
        return BufferConfig(max_bytes=n)

    @staticmethod
    def unbounded() -> BufferConfig:
        return BufferConfig(buffer_full_strategy=BufferFullStrategy.SHUT_DOWN)

    def with_max_records(self, n: int) -> BufferConfig:
        return _replace(self, max_records=n)

    def with_max_bytes(self, n: int) -> BufferConfig:
        return _replace(self, max_bytes=n)

    def with_no_bound(self) -> BufferConfig:
        return _replace(self, max_records=_LONG_MAX, max_bytes=_LONG_MAX, buffer_full_strategy=BufferFullStrategy.SHUT_DOWN)

    def shut_down_when_full(self) -> BufferConfig:
        return _replace(self, buffer_full_strategy=BufferFullStrategy.SHUT_DOWN)

    def emit_early_when_full(self) -> BufferConfig:
        return _replace(self, buffer_full_strategy=BufferFullStrategy.EMIT)

    def with_logging_disabled(self) -> BufferConfig:
        return _replace(self, logging_enabled=False)

    def with_logging_enabled(self, config: dict[str, str]) -> BufferConfig:
        return _replace(self, logging_enabled=True, topic_config=dict(config))

    def is_strict(self) -> bool:
        return self.buffer_full_strategy is not BufferFullStrategy.EMIT


@dataclasses.dataclass(frozen=True)
class Suppressed:
    """KTable.suppress(): hold updates until a window closes (final results) or for a time limit."""

    buffer_config: BufferConfig
    time_to_wait_ms: int | None = None  # None: until the window closes
    name: str | None = None

    @staticmethod
    def until_window_closes(buffer_config: BufferConfig) -> Suppressed:
        if not buffer_config.is_strict():
            raise ValueError("untilWindowCloses needs a strict buffer config (unbounded() or shut_down_when_full())")
        return Suppressed(buffer_config)

    @staticmethod
    def until_time_limit(time_to_wait_for_more_events: Duration, buffer_config: BufferConfig) -> Suppressed:
        return Suppressed(buffer_config, to_ms(time_to_wait_for_more_events, "timeToWaitForMoreEvents"))

    def with_name(self, name: str) -> Suppressed:
        return _replace(self, name=name)


@dataclasses.dataclass(frozen=True)
class TableJoined(Generic[T]):
    """Options of a foreign-key join: the partitioners of both tables and a name."""

    partitioner: Any = None
    other_partitioner: Any = None
    name: str | None = None

    @staticmethod
    def with_(partitioner: Any = None, other_partitioner: Any = None) -> TableJoined[Any]:
        return TableJoined(partitioner, other_partitioner)

    @staticmethod
    def as_(name: str) -> TableJoined[Any]:
        return TableJoined(name=name)

    @_either
    def with_name(self, name: str) -> TableJoined[Any]:
        return _replace(self, name=name)
