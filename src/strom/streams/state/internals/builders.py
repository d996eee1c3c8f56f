"""Store builders: each build() stacks the layers Java stacks, metered over caching over change-logging over the
bytes store the supplier makes. Logging is on and caching off unless said otherwise, as in Java."""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from strom.streams.serdes import Serde
from strom.streams.state.api import (
    KeyValueBytesStoreSupplier,
    KeyValueStore,
    SessionBytesStoreSupplier,
    SessionStore,
    StateStore,
    StoreBuilder,
    StoreSupplier,
    TimestampedKeyValueStore,
    TimestampedWindowStore,
    WindowBytesStoreSupplier,
    WindowStore,
)
from strom.streams.state.internals.caching import CachingKeyValueStore
from strom.streams.state.internals.change_logging import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
)
from strom.streams.state.internals.metered import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from strom.streams.state.internals.session_stores import build_session_store
from strom.streams.state.internals.window_stores import build_window_store

K = TypeVar("K")
V = TypeVar("V")
S = TypeVar("S", bound=StateStore)


class AbstractStoreBuilder(StoreBuilder[S], Generic[S]):
    def __init__(self, supplier: StoreSupplier[Any], key_serde: Serde[Any] | None, value_serde: Serde[Any] | None) -> None:
        if supplier is None:
            raise ValueError("storeSupplier cannot be null")
        self.supplier = supplier
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._caching = False
        self._logging = True
        self._log_config: dict[str, str] = {}

    @property
    def name(self) -> str:
        return self.supplier.name

    def with_caching_enabled(self) -> Self:
        self._caching = True
        return self

    def with_caching_disabled(self) -> Self:
        self._caching = False
        return self

    def caching_enabled(self) -> bool:
        return self._caching

    def with_logging_enabled(self, config: dict[str, str]) -> Self:
        if config is None:
            raise ValueError("config can't be null")
        self._logging = True
        self._log_config = dict(config)
        return self

    def with_logging_disabled(self) -> Self:
        self._logging = False
        self._log_config = {}
        return self

    def logging_enabled(self) -> bool:
        return self._logging

    def log_config(self) -> dict[str, str]:
        return self._log_config


class KeyValueStoreBuilder(AbstractStoreBuilder[KeyValueStore[K, V]], Generic[K, V]):
    def __init__(self, supplier: KeyValueBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None) -> None:
        super().__init__(supplier, key_serde, value_serde)

    def build(self) -> KeyValueStore[K, V]:
        store: KeyValueStore[bytes, bytes] = self.supplier.get()
        # The builder decides the value format: a timestamped supplier under this builder holds plain values.
        if hasattr(store, "timestamped"):
            store.timestamped = False
        if self._logging:
            store = ChangeLoggingKeyValueBytesStore(store)
        if self._caching:
            store = CachingKeyValueStore(store)
        return MeteredKeyValueStore(store, self.key_serde, self.value_serde)


class TimestampedKeyValueStoreBuilder(AbstractStoreBuilder[TimestampedKeyValueStore[K, V]], Generic[K, V]):
    """The DSL's KTable stores: values are ValueAndTimestamp, stored as 8-byte timestamp + value."""

    def __init__(self, supplier: KeyValueBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None) -> None:
        super().__init__(supplier, key_serde, value_serde)

    def build(self) -> TimestampedKeyValueStore[K, V]:
        store: KeyValueStore[bytes, bytes] = self.supplier.get()
        # Whatever the supplier, the bytes below hold timestamp + value, so restoring puts the record time in front.
        store.timestamped = True  # type: ignore[attr-defined]
        if self._logging:
            store = ChangeLoggingTimestampedKeyValueBytesStore(store)
        if self._caching:
            store = CachingKeyValueStore(store)
        return MeteredTimestampedKeyValueStore(store, self.key_serde, self.value_serde)  # type: ignore[return-value]


class _WindowedStoreBuilder(AbstractStoreBuilder[S], Generic[S]):
    def __init__(self, supplier: WindowBytesStoreSupplier, key_serde: Serde[Any] | None, value_serde: Serde[Any] | None) -> None:
        super().__init__(supplier, key_serde, value_serde)
        self.window_supplier = supplier

    def retention_period(self) -> int | None:
        return self.window_supplier.retention_period()


class WindowStoreBuilder(_WindowedStoreBuilder[WindowStore[K, V]], Generic[K, V]):
    def build(self) -> WindowStore[K, V]:
        return build_window_store(self, timestamped=False)  # type: ignore[no-any-return]


class TimestampedWindowStoreBuilder(_WindowedStoreBuilder[TimestampedWindowStore[K, V]], Generic[K, V]):
    """The DSL's windowed aggregation stores: values are ValueAndTimestamp."""

    def build(self) -> TimestampedWindowStore[K, V]:
        return build_window_store(self, timestamped=True)  # type: ignore[no-any-return]


class SessionStoreBuilder(AbstractStoreBuilder[SessionStore[K, V]], Generic[K, V]):
    def __init__(self, supplier: SessionBytesStoreSupplier, key_serde: Serde[K] | None, value_serde: Serde[V] | None) -> None:
        super().__init__(supplier, key_serde, value_serde)
        self.session_supplier = supplier

    def retention_period(self) -> int | None:
        return self.session_supplier.retention_period()

    def build(self) -> SessionStore[K, V]:
        return build_session_store(self)  # type: ignore[no-any-return]
