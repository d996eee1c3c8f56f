"""The Kafka 2.8 DSL's transformers: Transformer, ValueTransformer, ValueTransformerWithKey and the context they get
(Java's org.apache.kafka.streams.processor.ProcessorContext: forward(key, value), schedule, state stores, and the
current record's topic/partition/offset/timestamp/headers). KStream.transform / flat_transform /
transform_values / flat_transform_values and KTable.transform_values take a supplier of them: an object with
`get()` (and optionally `stores()`, the stores to add and connect) or a function returning a new transformer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from strom.streams.errors import StreamsException
from strom.streams.processor.api import Cancellable, Headers, ProcessorContext, PunctuationType, Record, TaskId
from strom.streams.serdes import Serde

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")

FORWARD_DISABLED = (
    "ProcessorContext#forward() is not supported from this context, as the framework must ensure the key is not changed "
    "(#forward allows changing the key on messages which are sent). Try another function, which doesn't allow the key to be "
    "changed (for example - #tranformValues)."
)


class Transformer(Generic[K, V, R]):
    """transform(key, value) returns a (key, value) pair (KeyValue), None for no output, or, in flat_transform, an
    iterable of pairs; more records may be forwarded with `context.forward`, also from punctuators."""

    def init(self, context: TransformerContext) -> None:
        pass

    def transform(self, key: K, value: V) -> R:
        raise NotImplementedError

    def close(self) -> None:
        pass


class ValueTransformer(Generic[V, R]):
    """transform(value) returns the new value (an iterable of values in flat_transform_values); the key is kept."""

    def init(self, context: TransformerContext) -> None:
        pass

    def transform(self, value: V) -> R:
        raise NotImplementedError

    def close(self) -> None:
        pass


class ValueTransformerWithKey(Generic[K, V, R]):
    """transform(key, value) with a read-only key returns the new value."""

    def init(self, context: TransformerContext) -> None:
        pass

    def transform(self, key: K, value: V) -> R:
        raise NotImplementedError

    def close(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class To:
    """Where `context.forward(key, value, to)` sends: all children or the one named, optionally with a timestamp."""

    child_name: str | None = None
    timestamp: int | None = None

    @staticmethod
    def child(name: str) -> To:
        return To(name)

    @staticmethod
    def all() -> To:
        return To()

    def with_timestamp(self, timestamp: int) -> To:
        return To(self.child_name, timestamp)


class TransformerContext:
    """Java's (pre-3.0) ProcessorContext as a transformer sees it, on top of the processor's context. Value
    transformers get one whose forward() fails, as Java's ForwardingDisabledProcessorContext: their key must stay."""

    def __init__(self, context: ProcessorContext, forwarding: bool) -> None:
        self._context = context
        self._forwarding = forwarding
        self._timestamp = -1
        self._headers: Headers | None = None

    def set_record(self, timestamp: int, headers: Headers | None) -> None:
        self._timestamp = timestamp
        self._headers = headers

    # -- the application and the task
    @property
    def application_id(self) -> str:
        return self._context.application_id

    @property
    def task_id(self) -> TaskId:
        return self._context.task_id

    @property
    def state_dir(self) -> Path:
        return self._context.state_dir

    @property
    def key_serde(self) -> Serde[Any]:
        return self._context.key_serde

    @property
    def value_serde(self) -> Serde[Any]:
        return self._context.value_serde

    def app_configs(self) -> dict[str, Any]:
        return self._context.app_configs()

    def app_configs_with_prefix(self, prefix: str) -> dict[str, Any]:
        return self._context.app_configs_with_prefix(prefix)

    def get_state_store(self, name: str) -> Any:
        return self._context.get_state_store(name)

    def schedule(self, interval_ms: int, punctuation_type: PunctuationType, punctuator: Callable[[int], None]) -> Cancellable:
        """A punctuator's forwards carry the punctuation's time and no headers, as in Java."""

        def punctuate(timestamp: int) -> None:
            saved = (self._timestamp, self._headers)
            self.set_record(timestamp, None)
            try:
                punctuator(timestamp)
            finally:
                self.set_record(*saved)

        return self._context.schedule(interval_ms, punctuation_type, punctuate)

    def commit(self) -> None:
        self._context.commit()

    def current_stream_time_ms(self) -> int:
        return self._context.current_stream_time_ms()

    def current_system_time_ms(self) -> int:
        return self._context.current_system_time_ms()

    # -- the record being processed (-1 / None in a punctuation)
    def topic(self) -> str | None:
        metadata = self._context.record_metadata()
        return None if metadata is None else metadata.topic

    def partition(self) -> int:
        metadata = self._context.record_metadata()
        return -1 if metadata is None else metadata.partition

    def offset(self) -> int:
        metadata = self._context.record_metadata()
        return -1 if metadata is None else metadata.offset

    def timestamp(self) -> int:
        return self._timestamp

    def headers(self) -> Headers | None:
        return self._headers

    def forward(self, key: Any, value: Any, to: To | str | None = None) -> None:
        """To every child, or to `to` (a To or a child's name), with the current record's timestamp and headers."""
        if not self._forwarding:
            raise StreamsException(FORWARD_DISABLED)
        target = To(to) if isinstance(to, str) else (to or To())
        timestamp = self._timestamp if target.timestamp is None else target.timestamp
        self._context.forward(Record(key, value, timestamp, self._headers), target.child_name)


def make_transformer(supplier: Any) -> Any:
    """A new transformer from a supplier (an object with get(), or a function)."""
    return supplier.get() if hasattr(supplier, "get") else supplier()


def supplier_stores(supplier: Any) -> set[Any]:
    stores = getattr(supplier, "stores", None)
    return set(stores() or ()) if callable(stores) else set()


def check_supplier(supplier: Any) -> None:
    """As Java's ApiUtils.checkSupplier: one transformer per task, never a shared instance."""
    if make_transformer(supplier) is make_transformer(supplier):
        name = type(supplier).__qualname__
        raise ValueError(f"{name} generates single reference. {name}#get() must return a new object each time it is called.")


def pairs_of(result: Any, flat: bool) -> Iterable[Any]:
    if result is None:
        return ()
    return result if flat else (result,)
