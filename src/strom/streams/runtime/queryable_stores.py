"""Interactive queries: StoreQueryParameters, QueryableStoreTypes and the read-only views over one store name
across every running task of this instance (Java's CompositeReadOnlyKeyValueStore / WindowStore / SessionStore)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from strom.streams.errors import InvalidStateStoreException
from strom.streams.state.api import ValueAndTimestamp


@dataclass(frozen=True, slots=True)
class QueryableStoreType:
    kind: str  # key_value | timestamped_key_value | window | timestamped_window | session
    timestamped: bool = False


class QueryableStoreTypes:
    @staticmethod
    def key_value_store() -> QueryableStoreType:
        return QueryableStoreType("key_value")

    @staticmethod
    def timestamped_key_value_store() -> QueryableStoreType:
        return QueryableStoreType("key_value", timestamped=True)

    @staticmethod
    def window_store() -> QueryableStoreType:
        return QueryableStoreType("window")

    @staticmethod
    def timestamped_window_store() -> QueryableStoreType:
        return QueryableStoreType("window", timestamped=True)

    @staticmethod
    def session_store() -> QueryableStoreType:
        return QueryableStoreType("session")


@dataclass(frozen=True, slots=True)
class StoreQueryParameters:
    store_name: str
    query_type: QueryableStoreType
    partition: int | None = None
    stale_stores: bool = False

    @staticmethod
    def from_name_and_type(store_name: str, query_type: QueryableStoreType) -> StoreQueryParameters:
        return StoreQueryParameters(store_name, query_type)

    from_store_name = from_name_and_type

    def with_partition(self, partition: int) -> StoreQueryParameters:
        return replace(self, partition=partition)

    def enable_stale_stores(self) -> StoreQueryParameters:
        return replace(self, stale_stores=True)


def _plain(value: Any, timestamped: bool) -> Any:
    if not timestamped and isinstance(value, ValueAndTimestamp):
        return value.value
    return value


def _pairs(it: Iterator[Any], timestamped: bool) -> Iterator[Any]:
    """Key-value pairs with plain values when the query asked for a plain (not timestamped) store type."""
    for kv in it:
        value = _plain(kv[1], timestamped)
        yield kv._replace(value=value) if hasattr(kv, "_replace") else (kv[0], value)


class _Composite:
    def __init__(self, name: str, stores: Callable[[], list[Any]], timestamped: bool) -> None:
        self._name = name
        self._stores = stores
        self._timestamped = timestamped

    def _all(self) -> list[Any]:
        stores = self._stores()
        if not stores:
            raise InvalidStateStoreException(
                f"State store {self._name} is not available: the instance is rebalancing, restoring, or does not hold it"
            )
        return stores


class CompositeReadOnlyKeyValueStore(_Composite):
    def get(self, key: Any) -> Any:
        for store in self._all():
            value = store.get(key)
            if value is not None:
                return _plain(value, self._timestamped)
        return None

    def range(self, from_: Any, to: Any) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.range(from_, to), self._timestamped)

    def reverse_range(self, from_: Any, to: Any) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.reverse_range(from_, to), self._timestamped)

    def all(self) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.all(), self._timestamped)

    def reverse_all(self) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.reverse_all(), self._timestamped)

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.prefix_scan(prefix, prefix_key_serializer), self._timestamped)

    def approximate_num_entries(self) -> int:
        return sum(int(store.approximate_num_entries()) for store in self._all())


class CompositeReadOnlyWindowStore(_Composite):
    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        if time_to is None:
            for store in self._all():
                value = store.fetch(key, time_from)
                if value is not None:
                    return _plain(value, self._timestamped)
            return None
        return self._fetch(key, time_from, time_to)

    def _fetch(self, key: Any, time_from: int, time_to: int) -> Iterator[Any]:
        for store in self._all():
            found = list(_pairs(store.fetch(key, time_from, time_to), self._timestamped))
            if found:
                yield from found
                return

    def backward_fetch(self, key: Any, time_from: int, time_to: int) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.backward_fetch(key, time_from, time_to), self._timestamped)

    def fetch_range(self, key_from: Any, key_to: Any, time_from: int, time_to: int) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.fetch_range(key_from, key_to, time_from, time_to), self._timestamped)

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.fetch_all(time_from, time_to), self._timestamped)

    def all(self) -> Iterator[Any]:
        for store in self._all():
            yield from _pairs(store.all(), self._timestamped)


class CompositeReadOnlySessionStore(_Composite):
    def fetch(self, key: Any) -> Iterator[Any]:
        for store in self._all():
            found = list(store.fetch(key))
            if found:
                yield from found
                return

    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[Any]:
        for store in self._all():
            yield from store.fetch_range(key_from, key_to)

    def find_sessions(self, key: Any, earliest_session_end_time: int, latest_session_start_time: int) -> Iterator[Any]:
        for store in self._all():
            yield from store.find_sessions(key, earliest_session_end_time, latest_session_start_time)

    def fetch_session(self, key: Any, session_start_time: int, session_end_time: int) -> Any:
        for store in self._all():
            value = store.fetch_session(key, session_start_time, session_end_time)
            if value is not None:
                return value
        return None


def composite_store(params: StoreQueryParameters, stores: Callable[[], list[Any]]) -> Any:
    kind = params.query_type
    if kind.kind == "window":
        return CompositeReadOnlyWindowStore(params.store_name, stores, kind.timestamped)
    if kind.kind == "session":
        return CompositeReadOnlySessionStore(params.store_name, stores, kind.timestamped)
    return CompositeReadOnlyKeyValueStore(params.store_name, stores, kind.timestamped)
