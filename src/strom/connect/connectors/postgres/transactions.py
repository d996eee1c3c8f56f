"""provide.transaction.metadata: Debezium's transaction BEGIN/END records on `<topic.prefix>.transaction` and the
`transaction` block of each change event (id, total_order, data_collection_order).

As Debezium 2.5 on PostgreSQL: an id is `<xid>:<LSN of the message at hand>` (so the events of one transaction
carry different ids), BEGIN is written just before the transaction's first captured change, END at its commit
with the event counts; END lists the tables in the order of a java.util.HashMap of their names.
"""

from __future__ import annotations

from typing import Any, Final

from strom.connect.data import Schema, SchemaBuilder, Struct

KEY_SCHEMA: Final = (
    SchemaBuilder.struct().name("io.debezium.connector.common.TransactionMetadataKey").version(1).field("id", Schema.STRING_SCHEMA).build()
)
EVENT_COLLECTION_SCHEMA: Final = (
    SchemaBuilder.struct()
    .optional()
    .name("event.collection")
    .version(1)
    .field("data_collection", Schema.STRING_SCHEMA)
    .field("event_count", Schema.INT64_SCHEMA)
    .build()
)
VALUE_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.TransactionMetadataValue")
    .version(1)
    .field("status", Schema.STRING_SCHEMA)
    .field("id", Schema.STRING_SCHEMA)
    .field("event_count", Schema.OPTIONAL_INT64_SCHEMA)
    .field("data_collections", SchemaBuilder.array(EVENT_COLLECTION_SCHEMA).optional().build())
    .field("ts_ms", Schema.INT64_SCHEMA)
    .build()
)


def java_string_hash(s: str) -> int:
    h = 0
    for unit in s.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h


def java_hashmap_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap<String, ?> filled with `keys` in this order: by bucket
    ((n - 1) & (h ^ h >>> 16), n the table size after its resizes), then insertion within a bucket."""
    n = 16
    while len(keys) > n * 0.75:
        n *= 2

    def bucket(k: str) -> int:
        h = java_string_hash(k)
        return (n - 1) & (h ^ (h >> 16))

    return sorted(keys, key=bucket)  # sorted() is stable: insertion order within a bucket


class TransactionTracker:
    """The counts of the transaction being streamed."""

    def __init__(self) -> None:
        self.xid: int | None = None
        self.total = 0
        self.per_collection: dict[str, int] = {}

    def begin_needed(self, xid: int) -> bool:
        return self.xid != xid

    def start(self, xid: int) -> None:
        self.xid, self.total, self.per_collection = xid, 0, {}

    def count(self, collection: str) -> tuple[int, int]:
        self.total += 1
        self.per_collection[collection] = self.per_collection.get(collection, 0) + 1
        return self.total, self.per_collection[collection]

    def end(self) -> tuple[int, list[tuple[str, int]]] | None:
        if self.xid is None:
            return None
        result = self.total, [(c, self.per_collection[c]) for c in java_hashmap_order(list(self.per_collection))]
        self.xid = None
        return result


def block(transaction_id: str, total_order: int, collection_order: int, schema: Schema) -> Struct:
    return Struct._of(schema, [transaction_id, total_order, collection_order])


def begin_value(transaction_id: str, ts_ms: int) -> Struct:
    return Struct._of(VALUE_SCHEMA, ["BEGIN", transaction_id, None, None, ts_ms])


def end_value(transaction_id: str, ts_ms: int, total: int, collections: list[tuple[str, int]]) -> Struct:
    items: list[Any] = [Struct._of(EVENT_COLLECTION_SCHEMA, [c, n]) for c, n in collections]
    return Struct._of(VALUE_SCHEMA, ["END", transaction_id, total, items, ts_ms])


def key(transaction_id: str) -> Struct:
    return Struct._of(KEY_SCHEMA, [transaction_id])
