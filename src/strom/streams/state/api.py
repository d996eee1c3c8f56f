"""The state store interfaces (Kafka Streams' org.apache.kafka.streams.state): what processors, the DSL and the runtime
code against. Keys and values are Python objects at the metered layer and bytes below it."""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Self, TypeVar

from strom.streams.processor.task_id import TaskId
from strom.streams.serdes import Serde
from strom.streams.state.restore_batch import RestoreRecord as RestoreRecord
from strom.streams.windowed import Windowed

if TYPE_CHECKING:
    from strom.streams.state.internals.thread_cache import ThreadCache

K = TypeVar("K")
V = TypeVar("V")
S = TypeVar("S", bound="StateStore")

# A store's restore callback: changelog records in order, each (key, value or None for a tombstone, record
# timestamp); the runtime hands over a RestoreBatch.
RestoreCallback = Callable[[Sequence[RestoreRecord]], None]


class KeyValue(NamedTuple, Generic[K, V]):
    """Java's KeyValue: one entry an iterator yields (unpacks as a pair)."""

    key: K
    value: V


@dataclass(frozen=True, slots=True)
class ValueAndTimestamp(Generic[V]):
    """A value with the timestamp of the record that last wrote it (timestamped stores). In the bytes store it is the
    8-byte big-endian timestamp followed by the value bytes, as Java's ValueAndTimestampSerializer writes it."""

    value: V
    timestamp: int

    @staticmethod
    def make(value: V | None, timestamp: int) -> ValueAndTimestamp[V] | None:
        """None for a None value (a delete), as Java's ValueAndTimestamp.make."""
        return None if value is None else ValueAndTimestamp(value, timestamp)

    @staticmethod
    def get_value_or_null(vat: ValueAndTimestamp[V] | None) -> V | None:
        return None if vat is None else vat.value


_TS = struct.Struct(">q")
pack_timestamp = _TS.pack  # the 8-byte prefix of a timestamped store's value


def timestamped_bytes(raw_value: bytes | None, timestamp: int) -> bytes | None:
    """Value bytes of a timestamped store: 8-byte big-endian timestamp + raw value (None stays None)."""
    return None if raw_value is None else _TS.pack(timestamp) + raw_value


def raw_value(value_and_timestamp: bytes) -> bytes:
    """The raw value of timestamped-store value bytes (what its changelog carries)."""
    return value_and_timestamp[8:]


def timestamp_of(value_and_timestamp: bytes) -> int:
    """The timestamp of timestamped-store value bytes."""
    return int(_TS.unpack_from(value_and_timestamp)[0])


class ProcessorRecordContext(NamedTuple):
    """Where the record being processed came from; the caching layer keeps it with a dirty entry so an evicted or
    flushed update is forwarded with the context of the record that wrote it. (A named tuple: one is made per
    record, and a frozen dataclass costs several times more to build.)"""

    timestamp: int
    offset: int
    partition: int
    topic: str | None
    headers: list[tuple[str, bytes | None]] | None = None


class StateStoreContext(ABC):
    """What a store sees of its task; implemented by the runtime (ProcessorContextImpl)."""

    @property
    @abstractmethod
    def application_id(self) -> str: ...

    @property
    @abstractmethod
    def task_id(self) -> TaskId: ...

    @property
    @abstractmethod
    def state_dir(self) -> Path:
        """The task's state directory (<state.dir>/<application.id>/<task id>); persistent stores live below it."""

    @abstractmethod
    def app_configs(self) -> dict[str, Any]: ...

    @property
    @abstractmethod
    def key_serde(self) -> Serde[Any]:
        """default.key.serde, used when a store builder was given none."""

    @property
    @abstractmethod
    def value_serde(self) -> Serde[Any]:
        """default.value.serde."""

    @abstractmethod
    def register(self, store: StateStore, restore_callback: RestoreCallback) -> None:
        """Called by the bytes store from init(): the runtime restores the store's changelog through the callback
        before processing starts, and flushes/closes the store with the task."""

    @abstractmethod
    def log_change(
        self, store_name: str, key: bytes, value: bytes | None, timestamp: int, headers: list[tuple[str, bytes | None]] | None = None
    ) -> None:
        """Send one change to the store's changelog partition (the task's partition)."""

    @abstractmethod
    def record_context(self) -> ProcessorRecordContext | None:
        """The context of the record being processed (None in a punctuation outside any record)."""

    @abstractmethod
    def cache(self) -> ThreadCache | None:
        """The stream thread's record cache (None when statestore.cache.max.bytes is 0)."""


class StateStore(ABC):
    """A named piece of task state, flushed on commit and closed with the task."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Open the store; the innermost store registers `root` (the outermost layer) with the context."""

    @abstractmethod
    def flush(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def persistent(self) -> bool: ...

    @abstractmethod
    def is_open(self) -> bool: ...


class ReadOnlyKeyValueStore(ABC, Generic[K, V]):
    """Reads of a key-value store; ranges are inclusive at both ends, None means unbounded, keys ordered by their
    serialized bytes (unsigned lexicographic, as RocksDB and Java's Bytes order them)."""

    @abstractmethod
    def get(self, key: K) -> V | None: ...

    @abstractmethod
    def range(self, from_: K | None, to: K | None) -> Iterator[KeyValue[K, V]]: ...

    @abstractmethod
    def reverse_range(self, from_: K | None, to: K | None) -> Iterator[KeyValue[K, V]]: ...

    @abstractmethod
    def all(self) -> Iterator[KeyValue[K, V]]: ...

    @abstractmethod
    def reverse_all(self) -> Iterator[KeyValue[K, V]]: ...

    @abstractmethod
    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any) -> Iterator[KeyValue[K, V]]:
        """Entries whose serialized key starts with prefix_key_serializer.serialize(topic, prefix)."""

    @abstractmethod
    def approximate_num_entries(self) -> int: ...


class KeyValueStore(StateStore, ReadOnlyKeyValueStore[K, V]):
    @abstractmethod
    def put(self, key: K, value: V | None) -> None:
        """Insert or update; None deletes."""

    @abstractmethod
    def put_if_absent(self, key: K, value: V | None) -> V | None:
        """Put only when there is no value; returns the previous value (None when it was put)."""

    @abstractmethod
    def put_all(self, entries: list[KeyValue[K, V | None]] | list[tuple[K, V | None]]) -> None: ...

    @abstractmethod
    def delete(self, key: K) -> V | None:
        """Delete and return the old value."""


class TimestampedKeyValueStore(KeyValueStore[K, ValueAndTimestamp[V]]):
    """A key-value store whose values carry the timestamp of the record that wrote them (the DSL's KTable stores)."""


class ReadOnlyWindowStore(ABC, Generic[K, V]):
    """Reads of a window store: values keyed by (key, window start). Time bounds are inclusive."""

    @abstractmethod
    def fetch(self, key: K, time_from: int, time_to: int | None = None) -> Any:
        """fetch(key, window_start) -> the value or None; fetch(key, time_from, time_to) -> iterator of
        KeyValue(window_start, value) in time order."""

    @abstractmethod
    def backward_fetch(self, key: K, time_from: int, time_to: int) -> Iterator[KeyValue[int, V]]: ...

    @abstractmethod
    def fetch_range(self, key_from: K | None, key_to: K | None, time_from: int, time_to: int) -> Iterator[KeyValue[Windowed[K], V]]:
        """KeyValue(Windowed[K], value) for keys in [key_from, key_to] (None = unbounded) and window starts in range."""

    @abstractmethod
    def fetch_all(self, time_from: int, time_to: int) -> Iterator[KeyValue[Windowed[K], V]]:
        """KeyValue(Windowed[K], value) of every key with a window start in [time_from, time_to]."""

    @abstractmethod
    def all(self) -> Iterator[KeyValue[Windowed[K], V]]:
        """KeyValue(Windowed[K], value) of every window kept."""


class WindowStore(StateStore, ReadOnlyWindowStore[K, V]):
    @abstractmethod
    def put(self, key: K, value: V | None, window_start_ms: int) -> None:
        """Put the value of one window (None deletes it unless duplicates are retained)."""


class TimestampedWindowStore(WindowStore[K, ValueAndTimestamp[V]]):
    """A window store whose values carry the timestamp of the record that wrote them (DSL windowed aggregates)."""


class ReadOnlySessionStore(ABC, Generic[K, V]):
    """Reads of a session store: aggregates keyed by Windowed[K] with a SessionWindow(start, end)."""

    @abstractmethod
    def find_sessions(self, key: K, earliest_session_end_time: int, latest_session_start_time: int) -> Iterator[KeyValue[Windowed[K], V]]:
        """Sessions of `key` that end at or after earliest_session_end_time and start at or before
        latest_session_start_time (the sessions a new record at those bounds merges with)."""

    @abstractmethod
    def fetch_session(self, key: K, session_start_time: int, session_end_time: int) -> V | None: ...

    @abstractmethod
    def fetch(self, key: K) -> Iterator[KeyValue[Windowed[K], V]]:
        """Every session of `key`."""

    @abstractmethod
    def fetch_range(self, key_from: K | None, key_to: K | None) -> Iterator[KeyValue[Windowed[K], V]]: ...


class SessionStore(StateStore, ReadOnlySessionStore[K, V]):
    @abstractmethod
    def put(self, session_key: Windowed[K], aggregate: V | None) -> None:
        """Put the aggregate of a session (session_key is a Windowed[K] with a SessionWindow); None removes it."""

    @abstractmethod
    def remove(self, session_key: Windowed[K]) -> None: ...


class StoreSupplier(ABC, Generic[S]):
    """Makes the innermost (bytes) store; Materialized.as_(supplier) and the Stores builders take one."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def get(self) -> S: ...

    @abstractmethod
    def metrics_scope(self) -> str: ...


class KeyValueBytesStoreSupplier(StoreSupplier[KeyValueStore[bytes, bytes]]):
    pass


class WindowBytesStoreSupplier(StoreSupplier[StateStore]):
    """get() makes the bytes store below a window store's layers: binary WindowKeySchema keys in time segments."""

    @abstractmethod
    def segment_interval_ms(self) -> int: ...

    @abstractmethod
    def window_size(self) -> int: ...

    @abstractmethod
    def retain_duplicates(self) -> bool: ...

    @abstractmethod
    def retention_period(self) -> int: ...


class SessionBytesStoreSupplier(StoreSupplier[StateStore]):
    """get() makes the bytes store below a session store's layers: binary SessionKeySchema keys in time segments."""

    @abstractmethod
    def segment_interval_ms(self) -> int: ...

    @abstractmethod
    def retention_period(self) -> int: ...


class StoreBuilder(ABC, Generic[S]):
    """Builds the layered store of one task: metered (serdes) over caching over change-logging over the bytes store."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def with_caching_enabled(self) -> Self: ...

    @abstractmethod
    def with_caching_disabled(self) -> Self: ...

    @abstractmethod
    def with_logging_enabled(self, config: dict[str, str]) -> Self:
        """Log changes to `<application.id>-<name>-changelog`, created with these topic configs."""

    @abstractmethod
    def with_logging_disabled(self) -> Self: ...

    @abstractmethod
    def logging_enabled(self) -> bool: ...

    @abstractmethod
    def log_config(self) -> dict[str, str]: ...

    @abstractmethod
    def build(self) -> S:
        """A fresh store instance (one per task)."""

    def retention_period(self) -> int | None:
        """Window and session store builders: the store's retention, so the changelog gets cleanup.policy
        compact,delete with retention.ms = retention + windowstore.changelog.additional.retention.ms. None here."""
        return None
