"""PostgresConnector against a real PostgreSQL 15 (logical replication, pgoutput), task driven directly:
snapshot, streaming in commit order, Debezium's envelope as JsonConverter writes it, tombstones, primary key
changes, resume from the stored offsets and the confirmed flush LSN."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg2  # type: ignore[import-untyped]
import pytest

from strom.connect.api import OffsetStorageReader, SourceRecord, SourceTaskContext
from strom.connect.connectors.postgres.connector import PostgresConnector
from strom.connect.connectors.postgres.pgoutput import parse_lsn
from strom.connect.connectors.postgres.task import PostgresConnectorTask
from strom.connect.converters import JsonConverter
from strom.connect.data import Struct
from strom.connect.errors import ConnectException
from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture

_ids = itertools.count()


class DictOffsets(OffsetStorageReader):
    """The offsets a worker would have committed (the worker's store, reduced to its reader side)."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.stored.get(json.dumps(dict(partition), sort_keys=True))

    def commit(self, record: SourceRecord) -> None:
        assert record.source_partition is not None and record.source_offset is not None
        self.stored[json.dumps(record.source_partition, sort_keys=True)] = dict(record.source_offset)


class Context(SourceTaskContext):
    def __init__(self, reader: DictOffsets) -> None:
        self.reader = reader

    def configs(self) -> dict[str, str]:
        return {}

    def offset_storage_reader(self) -> OffsetStorageReader:
        return self.reader


class Harness:
    def __init__(self, server: PostgresServer, **props: str) -> None:
        self.server = server
        self.db = f"cdc{next(_ids)}"
        server.create_database(self.db)
        self.props = {
            "topic.prefix": "srv",
            "database.hostname": server.host,
            "database.port": str(server.port),
            "database.user": server.user,
            "database.dbname": self.db,
            "poll.interval.ms": "100",
            "slot.name": f"slot_{self.db}",
            **props,
        }
        self.offsets = DictOffsets()
        self.task: PostgresConnectorTask | None = None

    def sql(self, statement: str) -> str:
        return self.server.psql(statement, self.db)

    def start(self) -> PostgresConnectorTask:
        self.task = PostgresConnectorTask()
        self.task.initialize(Context(self.offsets))
        self.task.start(self.props)
        return self.task

    def poll_until(self, n: int, timeout: float = 20.0) -> list[SourceRecord]:
        assert self.task is not None
        out: list[SourceRecord] = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            out += self.task.poll() or []
        return out

    def poll_once(self) -> list[SourceRecord]:
        assert self.task is not None
        return self.task.poll() or []

    def commit(self, records: list[SourceRecord]) -> None:
        """What the worker does after writing `records`: store their offsets, then call commit()."""
        assert self.task is not None
        for r in records:
            self.offsets.commit(r)
        self.task.commit()

    def stop(self) -> None:
        if self.task is not None:
            self.task.stop()
            self.task = None

    def close(self) -> None:
        self.stop()
        # the slot stays active until the server's walsender has seen the task's connection close: wait for it
        deadline = time.monotonic() + 30
        while True:
            try:
                self.server.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{self.db}'")
                return
            except RuntimeError as e:
                if "is active for PID" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@pytest.fixture
def harness(postgres: PostgresServer) -> Iterator[Harness]:  # noqa: F811
    h = Harness(postgres)
    yield h
    h.close()


def flushed_lsn(harness: Harness) -> int:
    return parse_lsn(harness.sql("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE database = current_database()"))


def ops(records: list[SourceRecord]) -> list[tuple[str | None, Any]]:
    out: list[tuple[str | None, Any]] = []
    for r in records:
        if r.value is None:
            out.append((None, r.key.get("id") if isinstance(r.key, Struct) else None))
        else:
            row = r.value.get("after") or r.value.get("before")
            out.append((r.value.get("op"), row.get("id") if row is not None else None))
    return out


def test_snapshot_then_stream_with_debezium_envelope(harness: Harness) -> None:
    harness.sql("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2))")
    harness.sql("INSERT INTO items VALUES (1, 'a', 1.5), (2, 'b', NULL)")
    harness.start()
    snap = harness.poll_until(2)
    assert ops(snap) == [("r", 1), ("r", 2)]
    assert [r.value.get("source").get("snapshot") for r in snap] == ["first", "last"]
    assert snap[-1].source_offset is not None and snap[-1].source_offset["last_snapshot_record"] is True
    harness.commit(snap)

    harness.sql("INSERT INTO items VALUES (3, 'c', 3); UPDATE items SET name = 'cc' WHERE id = 3; DELETE FROM items WHERE id = 1")
    changes = harness.poll_until(4)
    assert ops(changes) == [("c", 3), ("u", 3), ("d", 1), (None, 1)]
    assert changes[0].topic == "srv.public.items"
    assert changes[3].value is None and changes[3].value_schema is None  # the tombstone

    converter = JsonConverter()
    converter.configure({"schemas.enable": "true"}, False)
    doc = json.loads(converter.from_connect_data(changes[0].topic, changes[0].value_schema, changes[0].value) or b"")
    assert doc["schema"]["name"] == "srv.public.items.Envelope"
    assert [f["field"] for f in doc["schema"]["fields"]] == ["before", "after", "source", "op", "ts_ms", "transaction"]
    after = doc["schema"]["fields"][1]
    assert after["name"] == "srv.public.items.Value" and after["optional"] is True
    assert after["fields"][2] == {
        "type": "bytes",
        "optional": True,
        "name": "org.apache.kafka.connect.data.Decimal",
        "version": 1,
        "parameters": {"scale": "2", "connect.decimal.precision": "10"},
        "field": "price",
    }
    payload = doc["payload"]
    assert payload["before"] is None and payload["after"] == {"id": 3, "name": "c", "price": "ASw="}  # 3.00 as Kafka's base64
    source = payload["source"]
    assert {k: source[k] for k in ("connector", "name", "db", "schema", "table", "snapshot")} == {
        "connector": "postgresql",
        "name": "srv",
        "db": harness.db,
        "schema": "public",
        "table": "items",
        "snapshot": "false",
    }
    assert source["lsn"] == changes[0].source_offset["lsn"] and isinstance(source["txId"], int)  # type: ignore[index]
    key_converter = JsonConverter()
    key_converter.configure({"schemas.enable": "false"}, True)
    assert key_converter.from_connect_data(changes[0].topic, changes[0].key_schema, changes[0].key) == b'{"id":3}'


def test_primary_key_change_is_delete_tombstone_create(harness: Harness) -> None:
    harness.props["snapshot.mode"] = "never"
    harness.sql("CREATE TABLE k (id int PRIMARY KEY, v text)")
    harness.start()
    harness.sql("INSERT INTO k VALUES (1, 'x'); UPDATE k SET id = 2 WHERE id = 1")
    recs = harness.poll_until(4)
    assert ops(recs) == [("c", 1), ("d", 1), (None, 1), ("c", 2)]
    new_key = recs[1].headers.last_with_name("__debezium.newkey")
    old_key = recs[3].headers.last_with_name("__debezium.oldkey")
    assert new_key is not None and new_key.value.get("id") == 2
    assert old_key is not None and old_key.value.get("id") == 1


def test_streams_in_commit_order(harness: Harness, postgres: PostgresServer) -> None:  # noqa: F811
    harness.props["snapshot.mode"] = "never"
    harness.sql("CREATE TABLE o (id int PRIMARY KEY)")
    harness.start()
    first = psycopg2.connect(postgres.dsn(harness.db))
    second = psycopg2.connect(postgres.dsn(harness.db))
    try:
        first.cursor().execute("INSERT INTO o VALUES (1)")  # begins first, commits last
        second.cursor().execute("INSERT INTO o VALUES (2)")
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    recs = harness.poll_until(2)
    assert ops(recs) == [("c", 2), ("c", 1)]
    assert recs[0].source_offset["lsn_commit"] < recs[1].source_offset["lsn_commit"]  # type: ignore[index]


def test_resume_from_stored_offset_and_confirm_flushed_lsn(harness: Harness) -> None:
    harness.sql("CREATE TABLE r (id int PRIMARY KEY)")
    harness.start()
    harness.sql("INSERT INTO r VALUES (1); INSERT INTO r VALUES (2); INSERT INTO r VALUES (3)")
    recs = harness.poll_until(3)
    assert ops(recs) == [("c", 1), ("c", 2), ("c", 3)]
    harness.commit(recs[:2])  # only the first two were written when the worker committed
    second = recs[1].source_offset["lsn"]  # type: ignore[index]
    assert flushed_lsn(harness) < second
    harness.poll_once()  # the polling thread sends the flush
    deadline = time.monotonic() + 10
    while flushed_lsn(harness) < second and time.monotonic() < deadline:
        time.sleep(0.1)
    assert flushed_lsn(harness) == second
    harness.stop()

    harness.sql("INSERT INTO r VALUES (4)")
    harness.start()  # resumes: the uncommitted record 3 again, then 4; 1 and 2 not twice
    assert ops(harness.poll_until(2)) == [("c", 3), ("c", 4)]
    assert harness.poll_until(1, timeout=0.3) == []


@pytest.mark.parametrize(
    ("mode", "expected"), [("never", [("c", 2)]), ("no_data", [("c", 2)]), ("initial_only", [("r", 1)]), ("initial", [("r", 1), ("c", 2)])]
)
def test_snapshot_modes(postgres: PostgresServer, mode: str, expected: list[tuple[str, int]]) -> None:  # noqa: F811
    h = Harness(postgres, **{"snapshot.mode": mode})
    try:
        h.sql("CREATE TABLE s (id int PRIMARY KEY); INSERT INTO s VALUES (1)")
        h.start()
        got = h.poll_until(sum(1 for op, _ in expected if op == "r"))
        h.sql("INSERT INTO s VALUES (2)")
        got += h.poll_until(len(expected) - len(got))
        got += h.poll_until(1, timeout=0.3)  # and nothing more
        assert ops(got) == expected
    finally:
        h.close()


def test_connector_has_one_task_and_validates_topic_prefix() -> None:
    connector = PostgresConnector()
    connector.start({"topic.prefix": "srv"})
    assert connector.task_configs(4) == [{"topic.prefix": "srv"}]
    assert connector.task_class() is PostgresConnectorTask
    result = connector.validate({"database.hostname": "localhost"})
    errors = {v.name: v.error_messages for v in result.config_values}
    assert errors["topic.prefix"] == ["The 'topic.prefix' value is invalid: A value is required"]
    assert errors["snapshot.mode"] == []


def test_reconnects_after_the_replication_connection_drops(harness: Harness) -> None:
    harness.props["snapshot.mode"] = "never"
    harness.sql("CREATE TABLE rc (id int PRIMARY KEY)")
    harness.start()
    harness.sql("INSERT INTO rc VALUES (1)")
    assert ops(harness.poll_until(1)) == [("c", 1)]
    harness.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = current_database()")
    harness.sql("INSERT INTO rc VALUES (2)")
    assert ops(harness.poll_until(1)) == [("c", 2)]  # 1 is not repeated


def test_heartbeats_carry_the_stream_position_past_uncaptured_writes(harness: Harness) -> None:
    harness.props.update({"snapshot.mode": "never", "table.include.list": "public.captured", "heartbeat.interval.ms": "100"})
    harness.sql("CREATE TABLE captured (id int PRIMARY KEY); CREATE TABLE other (id int PRIMARY KEY)")
    harness.start()
    # one transaction: the LSN read before its commit is below the commit's
    written = parse_lsn(harness.sql("INSERT INTO other SELECT generate_series(1, 100); SELECT pg_current_wal_insert_lsn()"))
    beats: list[SourceRecord] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(r.source_offset["lsn"] >= written for r in beats):  # type: ignore[index]
        beats += harness.poll_until(1, timeout=0.5)
    assert beats and all(r.topic == "__debezium-heartbeat.srv" for r in beats)
    assert beats[-1].key.get("serverName") == "srv" and beats[-1].value.get("ts_ms") > 0
    harness.commit(beats[-1:])
    harness.poll_once()
    deadline = time.monotonic() + 10
    while flushed_lsn(harness) < written and time.monotonic() < deadline:
        time.sleep(0.1)
    assert flushed_lsn(harness) >= written  # the slot moved past the other table's WAL


def test_publication_modes_and_slot_drop_on_stop(postgres: PostgresServer) -> None:  # noqa: F811
    h = Harness(postgres, **{"publication.autocreate.mode": "filtered", "table.include.list": "public.a", "slot.drop.on.stop": "true"})
    try:
        h.sql("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)")
        h.start()
        assert h.sql("SELECT tablename FROM pg_publication_tables WHERE pubname = 'dbz_publication'") == "a"
        h.stop()
        assert h.sql("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()") == "0"
        h.sql("DROP PUBLICATION dbz_publication")
        h.props["publication.autocreate.mode"] = "disabled"
        with pytest.raises(ConnectException, match="does not exist"):
            h.start()
    finally:
        h.close()
