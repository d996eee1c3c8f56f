"""Store builders for the DSL's stateful operations, from a Materialized (its name or supplier, serdes, logging,
caching, retention, store type): timestamped key-value stores for tables and aggregates, timestamped window
stores for windowed aggregates, session stores, and the window stores of stream-stream joins."""

from __future__ import annotations

from typing import Any

from strom.streams.errors import TopologyException
from strom.streams.kstream.options import Materialized, StoreType
from strom.streams.state.stores import Stores


def _configure(builder: Any, materialized: Materialized[Any]) -> Any:
    builder = (
        builder.with_logging_enabled(dict(materialized.topic_config)) if materialized.logging_enabled else builder.with_logging_disabled()
    )
    return builder.with_caching_enabled() if materialized.caching_enabled else builder.with_caching_disabled()


def key_value_store(store_name: str, materialized: Materialized[Any], key_serde: Any, value_serde: Any) -> Any:
    supplier = materialized.store_supplier
    if supplier is None:
        if materialized.store_type is StoreType.IN_MEMORY:
            supplier = Stores.in_memory_key_value_store(store_name)
        else:
            supplier = Stores.persistent_timestamped_key_value_store(store_name)
    builder = Stores.timestamped_key_value_store_builder(supplier, key_serde, value_serde)
    return _configure(builder, materialized)


def window_store(store_name: str, materialized: Materialized[Any], size_ms: int, grace_ms: int, key_serde: Any, value_serde: Any) -> Any:
    """Retention: the Materialized's, else window size + grace (Java's default); it must cover both."""
    supplier = materialized.store_supplier
    retention = materialized.retention_ms if materialized.retention_ms is not None else size_ms + grace_ms
    if retention < size_ms + grace_ms:
        raise ValueError(
            f"The retention period of the window store {store_name} must be no smaller than its window size plus the grace period. "
            f"Got size=[{size_ms}], grace=[{grace_ms}], retention=[{retention}]"
        )
    if supplier is None:
        if materialized.store_type is StoreType.IN_MEMORY:
            supplier = Stores.in_memory_window_store(store_name, retention, size_ms, False)
        else:
            supplier = Stores.persistent_timestamped_window_store(store_name, retention, size_ms, False)
    builder = Stores.timestamped_window_store_builder(supplier, key_serde, value_serde)
    return _configure(builder, materialized)


def session_store(store_name: str, materialized: Materialized[Any], gap_ms: int, grace_ms: int, key_serde: Any, value_serde: Any) -> Any:
    supplier = materialized.store_supplier
    retention = materialized.retention_ms if materialized.retention_ms is not None else gap_ms + grace_ms
    if retention < gap_ms + grace_ms:
        raise ValueError(
            f"The retention period of the session store {store_name} must be no smaller than the session inactivity gap plus the "
            "grace period. "
            f"Got gap=[{gap_ms}], grace=[{grace_ms}], retention=[{retention}]"
        )
    if supplier is None:
        if materialized.store_type is StoreType.IN_MEMORY:
            supplier = Stores.in_memory_session_store(store_name, retention)
        else:
            supplier = Stores.persistent_session_store(store_name, retention)
    builder = Stores.session_store_builder(supplier, key_serde, value_serde)
    return _configure(builder, materialized)


def join_window_store(
    store_name: str, supplier: Any, size_ms: int, grace_ms: int, key_serde: Any, value_serde: Any, logging: bool, config: dict[str, str]
) -> Any:
    """A side of a stream-stream join: every record within size + grace, duplicates kept, no cache."""
    if supplier is None:
        supplier = Stores.persistent_window_store(store_name, size_ms + grace_ms, size_ms, True)
    elif not supplier.retain_duplicates():
        raise TopologyException("The StoreSupplier must set retainDuplicates=true, found retainDuplicates=false")
    builder = Stores.window_store_builder(supplier, key_serde, value_serde)
    return builder.with_logging_enabled(dict(config)) if logging else builder.with_logging_disabled()


def outer_join_store(store_name: str, key_serde: Any, value_serde: Any, logging: bool, config: dict[str, str]) -> Any:
    """The shared store of a left/outer stream-stream join: records still waiting for a partner, by time."""
    builder = Stores.key_value_store_builder(Stores.persistent_key_value_store(store_name), key_serde, value_serde)
    return builder.with_logging_enabled(dict(config)) if logging else builder.with_logging_disabled()
