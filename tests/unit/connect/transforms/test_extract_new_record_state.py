"""Debezium's ExtractNewRecordState on Debezium-shaped change events (envelope schema named
``<prefix>.<schema>.<table>.Envelope``, ``source`` block, ``op``, ``ts_ms``)."""

from __future__ import annotations

from typing import Any

import pytest

from strom.connect.api import ConfigException, SourceRecord
from strom.connect.data import Schema, SchemaBuilder, Struct
from strom.connect.transforms.chain import TransformationChain
from strom.connect.transforms.extract_new_record_state import ExtractNewRecordState

ROW = (
    SchemaBuilder.struct()
    .name("db.public.t.Value")
    .field("id", Schema.INT32_SCHEMA)
    .field("name", Schema.OPTIONAL_STRING_SCHEMA)
    .optional()
    .build()
)
SOURCE = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Source")
    .field("table", Schema.STRING_SCHEMA)
    .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
    .field("ts_ms", Schema.INT64_SCHEMA)
    .build()
)
ENVELOPE = (
    SchemaBuilder.struct()
    .name("db.public.t.Envelope")
    .field("before", ROW)
    .field("after", ROW)
    .field("source", SOURCE)
    .field("op", Schema.STRING_SCHEMA)
    .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
    .build()
)
KEY = SchemaBuilder.struct().name("db.public.t.Key").field("id", Schema.INT32_SCHEMA).build()


def row(id: int, name: str | None = None) -> Struct:
    return Struct(ROW).put("id", id).put("name", name)


def event(op: str, before: Struct | None, after: Struct | None) -> SourceRecord:
    envelope = (
        Struct(ENVELOPE)
        .put("before", before)
        .put("after", after)
        .put("source", Struct(SOURCE).put("table", "t").put("lsn", 77).put("ts_ms", 1000))
        .put("op", op)
        .put("ts_ms", 2000)
    )
    key_id = (after or before).get("id") if (after or before) is not None else 0
    return SourceRecord({"server": "db"}, {"lsn": 77}, "db.public.t", 0, KEY, Struct(KEY).put("id", key_id), ENVELOPE, envelope)


def tombstone() -> SourceRecord:
    return SourceRecord({"server": "db"}, {"lsn": 77}, "db.public.t", 0, KEY, Struct(KEY).put("id", 1), None, None)


def unwrap(**props: str) -> Any:
    xform = ExtractNewRecordState()
    xform.configure({k.replace("_", "."): v for k, v in props.items()})
    return xform


def test_create_update_read_become_the_after_row() -> None:
    xform = unwrap()
    for op in ("c", "u", "r"):
        out = xform.apply(event(op, row(1, "old") if op == "u" else None, row(1, "new")))
        # Debezium rebuilds the row's schema as a required struct
        assert [f.name for f in out.value_schema.fields()] == ["id", "name"] and not out.value_schema.optional
        assert (out.value_schema.name, out.value.get("id"), out.value.get("name")) == ("db.public.t.Value", 1, "new")
        assert out.key == Struct(KEY).put("id", 1) and out.topic == "db.public.t"
        assert out.source_offset == {"lsn": 77}


def test_default_drops_deletes_and_tombstones() -> None:
    xform = unwrap()
    assert xform.apply(event("d", row(1), None)) is None
    assert xform.apply(tombstone()) is None
    assert xform.apply(event("t", None, None)) is None  # truncate


def test_delete_handling_none_and_kept_tombstones() -> None:
    xform = unwrap(drop_tombstones="false", delete_handling_mode="none")
    out = xform.apply(event("d", row(1), None))
    assert out.value is None and out.value_schema == ROW
    kept = tombstone()
    assert xform.apply(kept) is kept


def test_rewrite_adds_deleted_flag_and_fields() -> None:
    xform = unwrap(delete_handling_mode="rewrite", add_fields="op,table,source.ts_ms,lsn:position")
    deleted = xform.apply(event("d", row(1, "gone"), None))
    names = [f.name for f in deleted.value_schema.fields()]
    assert names == ["id", "name", "__deleted", "__op", "__table", "__source_ts_ms", "__position"]
    assert [deleted.value.get(n) for n in names] == [1, "gone", "true", "d", "t", 1000, 77]
    assert deleted.value_schema.field("__source_ts_ms").schema == Schema.OPTIONAL_INT64_SCHEMA
    created = xform.apply(event("c", None, row(2, "new")))
    assert [created.value.get(n) for n in names] == [2, "new", "false", "c", "t", 1000, 77]


def test_add_headers_and_route_by_field() -> None:
    xform = unwrap(add_headers="op,source.lsn", route_by_field="name")
    out = xform.apply(event("c", None, row(1, "topic-from-row")))
    assert out.topic == "topic-from-row"
    assert out.headers.last_with_name("__op").value == "c"
    assert out.headers.last_with_name("__source_lsn").value == 77
    kept = unwrap(drop_tombstones="false", add_headers="op").apply(tombstone())
    assert kept.headers.last_with_name("__op").value == "d"


@pytest.mark.parametrize(
    ("mode", "delete_value", "tombstone_kept"),
    [("drop", None, False), ("tombstone", "null", False), ("rewrite", "true", False), ("rewrite-with-tombstone", "true", True)],
)
def test_delete_tombstone_handling_mode(mode: str, delete_value: str | None, tombstone_kept: bool) -> None:
    xform = unwrap(delete_tombstone_handling_mode=mode)
    out = xform.apply(event("d", row(1), None))
    if delete_value is None:
        assert out is None
    elif delete_value == "null":
        assert out is not None and out.value is None
    else:
        assert out.value.get("__deleted") == delete_value
    assert (xform.apply(tombstone()) is not None) == tombstone_kept


def test_non_envelopes_pass_and_bad_modes_are_refused() -> None:
    xform = unwrap()
    heartbeat = SourceRecord({}, {}, "__debezium-heartbeat.db", 0, None, None, None, {"ts_ms": 1})
    assert xform.apply(heartbeat) is heartbeat
    with pytest.raises(ConfigException, match="Value must be one of drop, rewrite, none"):
        unwrap(delete_handling_mode="bogus")


def test_debezium_class_name_in_a_chain() -> None:
    chain = TransformationChain.from_config(
        {"transforms": "unwrap", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState"}
    )
    assert chain.apply(event("c", None, row(3))).value.get("id") == 3


def test_unwraps_strom_postgres_connector_events() -> None:
    """The envelopes Strom's own PostgreSQL connector writes (with its `source` and `transaction` blocks)."""
    from strom.connect.connectors.postgres.schema import ColumnInfo, TableSchema, envelope, source_struct

    table = TableSchema("db", "public", "people", [ColumnInfo("id", 23, -1, False), ColumnInfo("name", 25, -1, True)], ["id"])
    source = source_struct("db", "app", "public", "people", 1000, "false", 7, 77, None)
    xform = unwrap(delete_handling_mode="rewrite", add_fields="op,table,lsn,source.ts_ms,id")
    created = SourceRecord(
        {"server": "db"},
        {"lsn": 77},
        table.topic,
        None,
        table.key_schema,
        table.key([b"1", b"ann"]),
        table.envelope_schema,
        envelope(table, "c", None, table.row([b"1", b"ann"]), source, 2000),
    )
    out = xform.apply(created)
    names = [f.name for f in out.value_schema.fields()]
    assert names == ["id", "name", "__deleted", "__op", "__table", "__lsn", "__source_ts_ms", "__id"]
    assert [out.value.get(n) for n in names] == [1, "ann", "false", "c", "people", 77, 1000, None]
    assert out.value_schema.name == "db.public.people.Value" and out.topic == "db.public.people"
    deleted = xform.apply(
        SourceRecord(
            {"server": "db"},
            {"lsn": 78},
            table.topic,
            None,
            table.key_schema,
            table.key([b"1", b"ann"]),
            table.envelope_schema,
            envelope(table, "d", table.row([b"1", b"ann"]), None, source, 2001),
        )
    )
    assert (deleted.value.get("id"), deleted.value.get("__deleted"), deleted.value.get("__op")) == (1, "true", "d")


def test_drop_fields_named_by_a_header() -> None:
    names = SchemaBuilder.array(Schema.STRING_SCHEMA).build()
    record = event("c", None, row(1, "a"))
    record.headers.add("drop", ["name", "id"], names)
    compatible = unwrap(drop_fields_header_name="drop").apply(record)
    assert [f.name for f in compatible.value_schema.fields()] == ["id"]  # only the optional field goes
    record = event("c", None, row(1, "a"))
    record.headers.add("drop", ["name", "id"], names)
    everything = unwrap(drop_fields_header_name="drop", drop_fields_keep_schema_compatible="false", drop_fields_from_key="true")
    out = everything.apply(record)
    assert out.value_schema.fields() == [] and out.key_schema.fields() == []
