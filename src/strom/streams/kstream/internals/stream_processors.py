"""The stateless KStream processors: filter, map, map_values, flat_map, flat_map_values, peek, foreach, split,
pass-through (merge), print. One Processor per task from each supplier, as the topology builds them."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

from strom.client.partitioner import partition_for_key
from strom.streams.processor.api import ContextualProcessor, Processor, ProcessorSupplier, Record, StreamPartitioner
from strom.streams.serdes import Serializer, SessionWindowedSerializer, TimeWindowedSerializer

LOG = logging.getLogger("org.apache.kafka.streams.kstream.internals.KStreamImpl")


class _Supplier(ProcessorSupplier[Any, Any, Any, Any]):
    """A supplier that makes a processor from a factory (a new one per task)."""

    def __init__(self, factory: Callable[[], Processor[Any, Any, Any, Any]]) -> None:
        self.factory = factory

    def get(self) -> Processor[Any, Any, Any, Any]:
        return self.factory()


class _Filter(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, predicate: Callable[[Any, Any], bool], negate: bool) -> None:
        self.predicate = predicate
        self.negate = negate

    def process(self, record: Record[Any, Any]) -> None:
        if bool(self.predicate(record.key, record.value)) is not self.negate:
            self.context().forward(record)


def filter_supplier(predicate: Callable[[Any, Any], bool], negate: bool = False) -> ProcessorSupplier[Any, Any, Any, Any]:
    return _Supplier(lambda: _Filter(predicate, negate))


def null_key_filter_supplier() -> ProcessorSupplier[Any, Any, Any, Any]:
    """Before a repartition sink: records without a key cannot be partitioned by key, and are dropped."""
    return filter_supplier(lambda k, v: k is not None)


class _Map(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record[Any, Any]) -> None:
        key, value = self.mapper(record.key, record.value)
        self.context().forward(Record(key, value, record.timestamp, record.headers))


def map_supplier(mapper: Callable[[Any, Any], Any]) -> ProcessorSupplier[Any, Any, Any, Any]:
    """`mapper(key, value)` returns a (key, value) pair (Java's KeyValue)."""
    return _Supplier(lambda: _Map(mapper))


class _MapValues(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record[Any, Any]) -> None:
        self.context().forward(record.with_value(self.mapper(record.key, record.value)))


def map_values_supplier(mapper: Callable[[Any, Any], Any]) -> ProcessorSupplier[Any, Any, Any, Any]:
    """`mapper(key, value)`: the key is read only."""
    return _Supplier(lambda: _MapValues(mapper))


class _FlatMap(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record[Any, Any]) -> None:
        for key, value in self.mapper(record.key, record.value):
            self.context().forward(Record(key, value, record.timestamp, record.headers))


def flat_map_supplier(mapper: Callable[[Any, Any], Any]) -> ProcessorSupplier[Any, Any, Any, Any]:
    return _Supplier(lambda: _FlatMap(mapper))


class _FlatMapValues(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record[Any, Any]) -> None:
        for value in self.mapper(record.key, record.value):
            self.context().forward(record.with_value(value))


def flat_map_values_supplier(mapper: Callable[[Any, Any], Any]) -> ProcessorSupplier[Any, Any, Any, Any]:
    return _Supplier(lambda: _FlatMapValues(mapper))


class _Peek(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, action: Callable[[Any, Any], None], forward: bool) -> None:
        self.action = action
        self.forward = forward

    def process(self, record: Record[Any, Any]) -> None:
        self.action(record.key, record.value)
        if self.forward:
            self.context().forward(record)


def peek_supplier(action: Callable[[Any, Any], None], forward: bool = True) -> ProcessorSupplier[Any, Any, Any, Any]:
    """peek forwards the record after the action; foreach ends the branch."""
    return _Supplier(lambda: _Peek(action, forward))


class _Branch(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, predicates: list[Callable[[Any, Any], bool]], children: list[str], default_child: str | None) -> None:
        self.predicates = predicates
        self.children = children
        self.default_child = default_child

    def process(self, record: Record[Any, Any]) -> None:
        for predicate, child in zip(self.predicates, self.children, strict=True):
            if predicate(record.key, record.value):
                self.context().forward(record, child)
                return
        if self.default_child is not None:
            self.context().forward(record, self.default_child)


def branch_supplier(
    predicates: list[Callable[[Any, Any], bool]], children: list[str], default_child: str | None
) -> ProcessorSupplier[Any, Any, Any, Any]:
    """Each record goes to the first branch whose predicate holds, else to the default branch (or nowhere)."""
    return _Supplier(lambda: _Branch(predicates, children, default_child))


class _PassThrough(ContextualProcessor[Any, Any, Any, Any]):
    def process(self, record: Record[Any, Any]) -> None:
        self.context().forward(record)


def pass_through_supplier() -> ProcessorSupplier[Any, Any, Any, Any]:
    return _Supplier(_PassThrough)


class _Print(ContextualProcessor[Any, Any, Any, Any]):
    def __init__(self, file_name: str | None, label: str | None, mapper: Callable[[Any, Any], str] | None) -> None:
        self.file_name = file_name
        self.label = label
        self.mapper = mapper
        self.out: TextIO = sys.stdout

    def init(self, context: Any) -> None:
        super().init(context)
        if self.file_name is not None:
            self.out = open(self.file_name, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def process(self, record: Record[Any, Any]) -> None:
        text = self.mapper(record.key, record.value) if self.mapper else f"{_java_str(record.key)}, {_java_str(record.value)}"
        self.out.write(f"[{self.label}]: {text}\n")
        self.out.flush()

    def close(self) -> None:
        if self.file_name is not None:
            self.out.close()


def _java_str(value: Any) -> str:
    return "null" if value is None else str(value)


def print_supplier(file_name: str | None, label: str, mapper: Callable[[Any, Any], str] | None) -> ProcessorSupplier[Any, Any, Any, Any]:
    return _Supplier(lambda: _Print(file_name, label, mapper))


class WindowedStreamPartitioner(StreamPartitioner[Any, Any]):
    """Java's WindowedStreamPartitioner: a windowed key goes to the partition of its plain key (murmur2 of the
    inner key's bytes, as the producer would place the plain key), so all windows of a key share a partition."""

    def __init__(self, inner: Serializer[Any]) -> None:
        self.inner = inner

    def partition(self, topic: str, key: Any, value: Any, num_partitions: int) -> int | None:
        raw = self.inner.serialize(topic, key.key)
        return None if raw is None else partition_for_key(raw, num_partitions)


def windowed_partitioner(key_serializer: Any) -> StreamPartitioner[Any, Any] | None:
    """The partitioner a sink of windowed keys gets when none was given (as Java's StreamSinkNode does)."""
    if isinstance(key_serializer, TimeWindowedSerializer | SessionWindowedSerializer):
        return WindowedStreamPartitioner(key_serializer.inner)
    return None
