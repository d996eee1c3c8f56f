"""WrappedStateStore: a layer around an inner store that passes the lifecycle calls through."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from strom.streams.state.api import StateStore, StateStoreContext

W = TypeVar("W", bound=StateStore)


class WrappedStateStore(Generic[W]):
    """Mixed into each layer (metered, caching, change-logging): name, flush, close, persistent and is_open are the
    inner store's."""

    def __init__(self, wrapped: W) -> None:
        self._wrapped = wrapped

    def wrapped(self) -> W:
        return self._wrapped

    @property
    def name(self) -> str:
        return self._wrapped.name

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._wrapped.init(context, root)

    def flush(self) -> None:
        self._wrapped.flush()

    def close(self) -> None:
        self._wrapped.close()

    def persistent(self) -> bool:
        return self._wrapped.persistent()

    def is_open(self) -> bool:
        return self._wrapped.is_open()

    def inner_most(self) -> StateStore:
        store: Any = self._wrapped
        while isinstance(store, WrappedStateStore):
            store = store.wrapped()
        return store  # type: ignore[no-any-return]


def clear_cache(store: StateStore) -> None:
    """Drop the cached, unflushed writes of a layered store (a task closed dirty, or an aborted exactly-once
    transaction: those writes must never reach the store or its changelog). Java's CachedStateStore.clearCache."""
    layer: Any = store
    while isinstance(layer, WrappedStateStore):
        clear = getattr(layer, "clear_cache", None)
        if clear is not None:
            clear()
        layer = layer.wrapped()
