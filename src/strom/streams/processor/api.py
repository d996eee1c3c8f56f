"""The Processor API: records, processors and the context they run in (Java's o.a.k.streams.processor.api).

A processor gets ``init(context)`` once per task, then ``process(record)`` for each record that reaches its node,
and forwards results downstream with ``context.forward``. Keys and values are Python objects; serdes apply only at
sources, sinks and stores.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from strom.client.types import Headers
from strom.streams.errors import StreamsException
from strom.streams.processor.task_id import TaskId

if TYPE_CHECKING:
    from strom.streams.serdes import Serde
    from strom.streams.state.api import StoreBuilder

K = TypeVar("K")
V = TypeVar("V")
NK = TypeVar("NK")
NV = TypeVar("NV")
KIn = TypeVar("KIn")
VIn = TypeVar("VIn")
KOut = TypeVar("KOut")
VOut = TypeVar("VOut")

__all__ = [
    "Cancellable",
    "ContextualFixedKeyProcessor",
    "ContextualProcessor",
    "FixedKeyProcessor",
    "FixedKeyProcessorContext",
    "FixedKeyProcessorSupplier",
    "FixedKeyRecord",
    "Headers",
    "Processor",
    "ProcessorContext",
    "ProcessorSupplier",
    "PunctuationType",
    "Punctuator",
    "Record",
    "RecordContext",
    "RecordMetadata",
    "StreamPartitioner",
    "TaskId",
    "TopicNameExtractor",
]


class Record(Generic[K, V]):
    """One record flowing through the topology; the ``with_*`` methods return a new record and leave this one as is.

    Each record has its own copy of the headers (as Java's), so adding a header to a forwarded record does not change
    the record it was made from.
    """

    __slots__ = ("key", "value", "timestamp", "headers")

    def __init__(self, key: K, value: V, timestamp: int, headers: Headers | None = None) -> None:
        if timestamp < 0:
            raise StreamsException("Malformed Record", ValueError(f"Timestamp may not be negative. Got: {timestamp}"))
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers: Headers = list(headers) if headers else []

    def with_key(self, key: NK) -> Record[NK, V]:
        return Record(key, self.value, self.timestamp, self.headers)

    def with_value(self, value: NV) -> Record[K, NV]:
        return Record(self.key, value, self.timestamp, self.headers)

    def with_timestamp(self, timestamp: int) -> Record[K, V]:
        return Record(self.key, self.value, timestamp, self.headers)

    def with_headers(self, headers: Headers | None) -> Record[K, V]:
        return Record(self.key, self.value, self.timestamp, headers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.key, self.value, self.timestamp, self.headers) == (other.key, other.value, other.timestamp, other.headers)

    __hash__ = None  # type: ignore[assignment]  # mutable headers

    def __repr__(self) -> str:
        return f"Record{{key={self.key}, value={self.value}, timestamp={self.timestamp}, headers={self.headers}}}"


class FixedKeyRecord(Record[K, V]):
    """A record whose key a processor may not change (``process_values``): no ``with_key`` for its processor."""

    __slots__ = ()

    def with_value(self, value: NV) -> FixedKeyRecord[K, NV]:
        return FixedKeyRecord(self.key, value, self.timestamp, self.headers)

    def with_timestamp(self, timestamp: int) -> FixedKeyRecord[K, V]:
        return FixedKeyRecord(self.key, self.value, timestamp, self.headers)

    def with_headers(self, headers: Headers | None) -> FixedKeyRecord[K, V]:
        return FixedKeyRecord(self.key, self.value, self.timestamp, headers)

    def __repr__(self) -> str:
        return f"FixedKeyRecord{{key={self.key}, value={self.value}, timestamp={self.timestamp}, headers={self.headers}}}"


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where the record being processed came from (absent in a punctuation, or after a repartition is undone)."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class RecordContext:
    """The record's position and metadata as a TopicNameExtractor sees them."""

    topic: str | None
    partition: int
    offset: int
    timestamp: int
    headers: Headers | None


class PunctuationType(Enum):
    """STREAM_TIME punctuators fire as record timestamps advance; WALL_CLOCK_TIME ones by the system clock."""

    STREAM_TIME = 0
    WALL_CLOCK_TIME = 1


Punctuator = Callable[[int], None]
"""Called with the punctuation's timestamp (stream time or wall-clock time, in ms)."""


class Cancellable(abc.ABC):
    """Returned by ``schedule``: ``cancel()`` stops the punctuator."""

    @abc.abstractmethod
    def cancel(self) -> None: ...


class _BaseProcessorContext(abc.ABC):
    """What every processor context offers besides ``forward``."""

    @property
    @abc.abstractmethod
    def application_id(self) -> str: ...

    @property
    @abc.abstractmethod
    def task_id(self) -> TaskId: ...

    @property
    @abc.abstractmethod
    def state_dir(self) -> Path: ...

    @property
    @abc.abstractmethod
    def key_serde(self) -> Serde[Any]: ...

    @property
    @abc.abstractmethod
    def value_serde(self) -> Serde[Any]: ...

    @abc.abstractmethod
    def record_metadata(self) -> RecordMetadata | None:
        """The source topic, partition and offset of the record being processed; ``None`` in a punctuation."""

    @abc.abstractmethod
    def app_configs(self) -> dict[str, Any]: ...

    def app_configs_with_prefix(self, prefix: str) -> dict[str, Any]:
        return {k[len(prefix) :]: v for k, v in self.app_configs().items() if k.startswith(prefix)}

    @abc.abstractmethod
    def get_state_store(self, name: str) -> Any:
        """The store connected to this processor (or a global store); raises StreamsException for any other name."""

    @abc.abstractmethod
    def schedule(self, interval_ms: int, punctuation_type: PunctuationType, punctuator: Punctuator) -> Cancellable: ...

    @abc.abstractmethod
    def commit(self) -> None:
        """Asks for a commit of the task as soon as possible (after the current record)."""

    @abc.abstractmethod
    def current_stream_time_ms(self) -> int: ...

    @abc.abstractmethod
    def current_system_time_ms(self) -> int: ...


class ProcessorContext(_BaseProcessorContext):
    """The context of a Processor: forwards records to all children, or to the child named ``child_name``."""

    @abc.abstractmethod
    def forward(self, record: Record[Any, Any], child_name: str | None = None) -> None: ...


class FixedKeyProcessorContext(_BaseProcessorContext):
    """The context of a FixedKeyProcessor: forwards FixedKeyRecords only (the key stays what it was)."""

    @abc.abstractmethod
    def forward(self, record: FixedKeyRecord[Any, Any], child_name: str | None = None) -> None: ...


class Processor(Generic[KIn, VIn, KOut, VOut]):
    """A node's logic; one instance per task, created by its ProcessorSupplier."""

    def init(self, context: ProcessorContext) -> None:
        """Called once before the first record; keep the context to forward, schedule and reach stores."""

    def process(self, record: Record[KIn, VIn]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Called when the task closes; stores are closed by the runtime, not here."""


class ContextualProcessor(Processor[KIn, VIn, KOut, VOut]):
    """A Processor that keeps its context (``self.context()``)."""

    _context: ProcessorContext | None = None

    def init(self, context: ProcessorContext) -> None:
        self._context = context

    def context(self) -> ProcessorContext:
        if self._context is None:
            raise StreamsException("The processor has not been initialized")
        return self._context


class FixedKeyProcessor(Generic[KIn, VIn, VOut]):
    """A processor that may change values, timestamps and headers but never the key (no repartition needed after it)."""

    def init(self, context: FixedKeyProcessorContext) -> None:
        """Called once before the first record."""

    def process(self, record: FixedKeyRecord[KIn, VIn]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Called when the task closes."""


class ContextualFixedKeyProcessor(FixedKeyProcessor[KIn, VIn, VOut]):
    _context: FixedKeyProcessorContext | None = None

    def init(self, context: FixedKeyProcessorContext) -> None:
        self._context = context

    def context(self) -> FixedKeyProcessorContext:
        if self._context is None:
            raise StreamsException("The processor has not been initialized")
        return self._context


class ProcessorSupplier(Generic[KIn, VIn, KOut, VOut]):
    """Makes a new Processor for each task; ``stores()`` names the stores it needs (added and connected for it)."""

    def get(self) -> Processor[KIn, VIn, KOut, VOut]:
        raise NotImplementedError

    def stores(self) -> set[StoreBuilder[Any]]:
        """StoreBuilders to add to the topology and connect to this processor (Java's ConnectedStoreProvider)."""
        return set()


class FixedKeyProcessorSupplier(Generic[KIn, VIn, VOut]):
    def get(self) -> FixedKeyProcessor[KIn, VIn, VOut]:
        raise NotImplementedError

    def stores(self) -> set[StoreBuilder[Any]]:
        return set()


class TopicNameExtractor(Generic[K, V]):
    """Picks a sink's topic per record (``Topology.add_sink`` with an extractor instead of a topic name)."""

    def extract(self, key: K, value: V, record_context: RecordContext) -> str:
        raise NotImplementedError


class StreamPartitioner(Generic[K, V]):
    """Picks the partition(s) of a sink record; ``None`` leaves it to the producer's partitioner (murmur2 of the key)."""

    def partition(self, topic: str, key: K, value: V, num_partitions: int) -> int | None:
        return None

    def partitions(self, topic: str, key: K, value: V, num_partitions: int) -> set[int] | None:
        """Several partitions multicast the record (KIP-837); an empty set drops it."""
        p = self.partition(topic, key, value, num_partitions)
        return None if p is None else {p}
