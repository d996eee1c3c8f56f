"""PostgresConnectorTask: the snapshot, then the pgoutput stream, as Debezium change events.

Offsets (source partition `{"server": <topic.prefix>}`) keep Debezium's keys: a snapshot record stores
`{"lsn", "txId", "ts_usec", "snapshot": true, "last_snapshot_record"}`, a streamed change
`{"lsn_proc", "lsn_commit", "lsn", "txId", "ts_usec", "messageType"}` where lsn_commit is its transaction's
commit LSN and lsn_proc the change's own LSN. On restart the slot resends every transaction committed after its
confirmed flush position; those at or before the stored (lsn_commit, lsn_proc) are skipped, so a clean restart
emits nothing twice. After the worker commits offsets, commit() confirms the stored lsn_proc to PostgreSQL: a
change LSN is below its own transaction's commit LSN, so that transaction is never skipped by the server.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from strom.connect.api import SourceRecord, SourceTask
from strom.connect.connectors.postgres import pgoutput, transactions
from strom.connect.connectors.postgres.config import PostgresConnectorConfig
from strom.connect.connectors.postgres.connection import PostgresConnection, ReplicationStream, SnapshotReader
from strom.connect.connectors.postgres.schema import DEBEZIUM_VERSION, ColumnInfo, TableSchema, envelope, source_struct
from strom.connect.data import Schema, SchemaBuilder, Struct
from strom.connect.errors import ConnectException

log = logging.getLogger("io.debezium.connector.postgresql.PostgresConnectorTask")

HEARTBEAT_KEY_SCHEMA = (
    SchemaBuilder.struct().name("io.debezium.connector.common.ServerNameKey").field("serverName", Schema.STRING_SCHEMA).build()
)
HEARTBEAT_VALUE_SCHEMA = SchemaBuilder.struct().name("io.debezium.connector.common.Heartbeat").field("ts_ms", Schema.INT64_SCHEMA).build()

_MESSAGE_TYPES = {"c": "INSERT", "u": "UPDATE", "d": "DELETE", "t": "TRUNCATE"}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class _Txn:
    __slots__ = ("xid", "commit_lsn", "commit_time_us")

    def __init__(self, begin: pgoutput.Begin) -> None:
        self.xid = begin.xid
        self.commit_lsn = begin.final_lsn
        self.commit_time_us = begin.commit_time_us


class PostgresConnectorTask(SourceTask):
    def version(self) -> str:
        return DEBEZIUM_VERSION

    def start(self, props: Mapping[str, str]) -> None:
        try:
            self._start(props)
        except BaseException:
            self._close()  # the worker does not stop() a task whose start() failed: release the slot here
            raise

    def _start(self, props: Mapping[str, str]) -> None:
        self._snapshot_reader: SnapshotReader | None = None
        self._stream: ReplicationStream | None = None
        self.config = PostgresConnectorConfig(props)
        c = self.config
        self.prefix = c.topic_prefix
        self.partition = {"server": self.prefix}
        self.db = c.get_string("database.dbname") or "postgres"
        self.slot = c.get_string("slot.name") or "debezium"
        self.publication = c.get_string("publication.name") or "dbz_publication"
        self.batch_size = int(c.get_int("max.batch.size") or 2048)
        self.poll_interval = (c.get_long("poll.interval.ms") or 0) / 1000.0
        self.tombstones = bool(c.get_boolean("tombstones.on.delete"))
        self.heartbeat_ms = int(c.get_int("heartbeat.interval.ms") or 0)
        self.heartbeat_topic = f"{c.get_string('topic.heartbeat.prefix')}.{self.prefix}"
        self._dsn = c.dsn()
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()  # poll() and stop() may run on different threads
        self._emitted: tuple[int, int] | None = None  # (commit LSN, change LSN) of the last change returned
        self._pending_flush: int | None = None
        self._stopping = threading.Event()
        self._relations: dict[int, TableSchema | None] = {}
        self._txn: _Txn | None = None
        self._metadata = bool(c.get_boolean("provide.transaction.metadata"))
        self._transaction_topic = f"{self.prefix}.{c.get_string('topic.transaction')}"
        self._tracker = transactions.TransactionTracker()
        self._out: list[SourceRecord] = []  # the batch being filled (BEGIN records go in before their change)
        self._last_commit_lsn: int | None = None
        self._last_commit_end = 0  # end LSN of the last transaction read, captured or not
        self._last_heartbeat = time.monotonic()
        self._snapshot: Iterator[SourceRecord] | None = None
        self._streaming = False

        self.conn = PostgresConnection(self._dsn)
        captured = [t for t in self.conn.tables() if c.captures(*t)]
        self._ensure_publication(captured)

        offset = self.context.offset_storage_reader().offset(self.partition) if hasattr(self, "context") else None
        self._resume_commit, self._resume_proc = self._resume_position(offset)
        snapshot_done = offset is not None and (not offset.get("snapshot") or bool(offset.get("last_snapshot_record")))
        mode = c.get_string("snapshot.mode")
        want_snapshot = mode == "always" or (mode in ("initial", "initial_only") and not snapshot_done)
        self._stream_after_snapshot = mode != "initial_only"

        self._stream = ReplicationStream(self._dsn)
        exported: str | None = None
        slot_lsn = self.conn.slot_confirmed_flush(self.slot)
        if slot_lsn is None:
            slot_lsn, exported = self._stream.create_slot(self.slot)
        if want_snapshot:
            # With the slot's exported snapshot the rows are exactly those committed before the slot's consistent
            # point; with an existing slot the stream may repeat changes the snapshot already holds.
            log.info("Snapshot of %d tables (snapshot.mode=%s)", len(captured), mode)
            self._snapshot_reader = SnapshotReader(self._dsn, exported, self.batch_size)
            self._snapshot_lsn = slot_lsn
            self._snapshot = self._snapshot_records(captured, self._snapshot_reader)
            self._held: SourceRecord | None = None
        else:
            self._start_streaming()

    def _ensure_publication(self, captured: list[tuple[str, str]]) -> None:
        mode = self.config.get_string("publication.autocreate.mode")
        if self.conn.publication_exists(self.publication):
            return
        if mode == "disabled":
            raise ConnectException(f"Publication '{self.publication}' does not exist and publication.autocreate.mode is disabled")
        self.conn.create_publication(self.publication, None if mode == "all_tables" else captured)

    @staticmethod
    def _resume_position(offset: Mapping[str, Any] | None) -> tuple[int | None, int | None]:
        """(commit LSN, change LSN) of the last change already emitted; a snapshot offset covers everything
        committed up to its LSN."""
        if not offset:
            return None, None
        if "lsn_commit" in offset:
            return int(offset["lsn_commit"]), int(offset.get("lsn_proc", offset.get("lsn", 0)))
        return int(offset.get("lsn", 0)), None

    def _start_streaming(self) -> None:
        assert self._stream is not None
        status_s = (self.config.get_int("status.update.interval.ms") or 10_000) / 1000.0
        self._stream.start(self.slot, self.publication, 0, status_s)
        self._streaming = True
        log.info("Streaming changes from slot %s (publication %s)", self.slot, self.publication)

    # -- snapshot

    def _table(self, schema: str, table: str) -> TableSchema:
        columns, pk = self.conn.table_columns(schema, table)
        pk = self.config.key_columns(schema, table, pk)
        return TableSchema(
            self.prefix,
            schema,
            table,
            columns,
            pk,
            self.config.get_string("decimal.handling.mode") or "precise",
            self.config.get_string("time.precision.mode") or "adaptive",
            self.config.value_columns(schema, table),
            self.config.get_string("hstore.handling.mode") or "json",
        )

    def _snapshot_records(self, tables: list[tuple[str, str]], reader: SnapshotReader) -> Iterator[SourceRecord]:
        """Each table's rows as `op=r` events, marked as Debezium marks them: source.snapshot "first" on the first
        table's first row, else "last_in_data_collection" on a table's last row, "first_in_data_collection" on its
        first, "true" between (the very last record becomes "last" in _poll_snapshot)."""
        for index, (schema, name) in enumerate(tables):
            table = self._table(schema, name)
            rows = reader.rows(schema, name, table.columns)
            row = next(rows, None)
            first = True
            while row is not None:
                following = next(rows, None)
                if first and index == 0:
                    marker = "first"
                elif following is None:
                    marker = "last_in_data_collection"
                elif first:
                    marker = "first_in_data_collection"
                else:
                    marker = "true"
                first = False
                ts = _now_ms()
                lsn = self._snapshot_lsn
                source = source_struct(self.prefix, self.db, schema, name, ts, marker, reader.tx_id, lsn, None)
                value = envelope(table, "r", None, table.row(row, snapshot=True), source, ts)
                offset = {"last_snapshot_record": False, "lsn": lsn, "txId": reader.tx_id, "ts_usec": ts * 1000, "snapshot": True}
                key = table.key(row, snapshot=True)
                yield SourceRecord(self.partition, offset, table.topic, None, table.key_schema, key, table.envelope_schema, value)
                row = following

    @staticmethod
    def _mark(record: SourceRecord, snapshot: str) -> None:
        assert isinstance(record.value, Struct)
        source = record.value.get_struct("source")
        assert source is not None
        source.put("snapshot", snapshot)

    def _poll_snapshot(self) -> list[SourceRecord]:
        """Up to max.batch.size snapshot records; the latest one is held back until the next is known, so that the
        very last one can be marked source.snapshot "last" with the offset's last_snapshot_record=true."""
        assert self._snapshot is not None
        out: list[SourceRecord] = []
        for rec in self._snapshot:
            if self._held is not None:
                out.append(self._held)
            self._held = rec
            if len(out) >= self.batch_size:
                return out
        # exhausted
        if self._held is not None:
            last = self._held
            self._mark(last, "last")
            assert last.source_offset is not None
            last.source_offset["last_snapshot_record"] = True
            out.append(last)
            self._held = None
        self._snapshot = None
        if self._snapshot_reader is not None:
            self._snapshot_reader.close()
            self._snapshot_reader = None
        log.info("Snapshot completed")
        if self._stream_after_snapshot:
            self._start_streaming()
        return out

    # -- streaming

    def _relation(self, rel: pgoutput.Relation) -> None:
        if not self.config.captures(rel.namespace, rel.name):
            self._relations[rel.oid] = None
            return
        columns, pk = self.conn.table_columns(rel.namespace, rel.name)
        by_name = {c.name: c for c in columns}
        # The stream's column list wins (it matches the tuples); nullability comes from the catalog.
        cols = [
            ColumnInfo(
                c.name,
                c.type_oid,
                c.type_modifier,
                by_name[c.name].optional if c.name in by_name else True,
                by_name[c.name].default_expression if c.name in by_name else None,
                by_name[c.name].pg_type if c.name in by_name and by_name[c.name].type_oid == c.type_oid else None,
            )
            for c in rel.columns
        ]
        key = self.config.key_columns(rel.namespace, rel.name, pk) or [
            c.name for c in rel.columns if c.is_key and rel.replica_identity != "f"
        ]
        self._relations[rel.oid] = TableSchema(
            self.prefix,
            rel.namespace,
            rel.name,
            cols,
            [k for k in key if any(c.name == k for c in cols)],
            self.config.get_string("decimal.handling.mode") or "precise",
            self.config.get_string("time.precision.mode") or "adaptive",
            self.config.value_columns(rel.namespace, rel.name),
            self.config.get_string("hstore.handling.mode") or "json",
        )

    def _already_emitted(self, lsn: int) -> bool:
        assert self._txn is not None
        if self._resume_commit is None:
            return False
        if self._txn.commit_lsn < self._resume_commit:
            return True
        if self._txn.commit_lsn == self._resume_commit:
            return self._resume_proc is None or lsn <= self._resume_proc
        return False

    def _change(
        self, table: TableSchema, op: str, lsn: int, before: Struct | None, after: Struct | None, key: Struct | None
    ) -> SourceRecord:
        txn = self._txn
        assert txn is not None
        ts_ms = txn.commit_time_us // 1000
        seq = json.dumps([None if self._last_commit_lsn is None else str(self._last_commit_lsn), str(lsn)], separators=(",", ":"))
        source = source_struct(self.prefix, self.db, table.schema_name, table.table, ts_ms, "false", txn.xid, lsn, seq)
        value = envelope(table, op, before, after, source, _now_ms())
        offset = {
            "lsn_proc": lsn,
            "lsn_commit": txn.commit_lsn,
            "lsn": lsn,
            "txId": txn.xid,
            "ts_usec": txn.commit_time_us,
            "messageType": _MESSAGE_TYPES[op],
        }
        if self._metadata:
            transaction_id = f"{txn.xid}:{lsn}"
            if self._tracker.begin_needed(txn.xid):
                self._tracker.start(txn.xid)
                begin = transactions.begin_value(transaction_id, ts_ms)
                self._out.append(self._transaction_record(transaction_id, begin, offset))
            total, in_table = self._tracker.count(f"{table.schema_name}.{table.table}")
            value.put("transaction", transactions.block(transaction_id, total, in_table, value.schema.field("transaction").schema))  # type: ignore[union-attr]
        self._emitted = (txn.commit_lsn, lsn)
        key_schema = table.key_schema if key is not None else None  # a truncate has neither key nor key schema
        return SourceRecord(self.partition, offset, table.topic, None, key_schema, key, table.envelope_schema, value)

    def _transaction_record(self, transaction_id: str, value: Struct, offset: dict[str, Any]) -> SourceRecord:
        key = transactions.key(transaction_id)
        return SourceRecord(
            self.partition, offset, self._transaction_topic, None, transactions.KEY_SCHEMA, key, transactions.VALUE_SCHEMA, value
        )

    def _tombstone(self, table: TableSchema, of: SourceRecord) -> SourceRecord:
        return SourceRecord(self.partition, of.source_offset, table.topic, None, table.key_schema, of.key, None, None)

    def _on_message(self, lsn: int, msg: pgoutput.Message, out: list[SourceRecord]) -> None:
        skipped = self.config.skipped_operations
        if isinstance(msg, pgoutput.Begin):
            self._txn = _Txn(msg)
        elif isinstance(msg, pgoutput.Commit):
            ended = self._tracker.end() if self._metadata else None
            if ended is not None and self._txn is not None:
                total, collections = ended
                transaction_id = f"{self._txn.xid}:{lsn}"
                ts_ms = self._txn.commit_time_us // 1000
                end = transactions.end_value(transaction_id, ts_ms, total, collections)
                # resuming after END skips the whole transaction: all its changes are below its commit LSN
                offset = {"lsn_proc": self._txn.commit_lsn, "lsn_commit": self._txn.commit_lsn, "lsn": self._txn.commit_lsn}
                offset |= {"txId": self._txn.xid, "ts_usec": self._txn.commit_time_us}
                out.append(self._transaction_record(transaction_id, end, offset))
            self._last_commit_lsn = msg.commit_lsn
            self._last_commit_end = max(self._last_commit_end, msg.end_lsn)
            self._txn = None
        elif isinstance(msg, pgoutput.Relation):
            self._relation(msg)
        elif isinstance(msg, pgoutput.Insert | pgoutput.Update | pgoutput.Delete):
            table = self._relations.get(msg.relation_oid)
            if table is None or self._already_emitted(lsn):
                return
            if isinstance(msg, pgoutput.Insert):
                if "c" not in skipped:
                    out.append(self._change(table, "c", lsn, None, table.row(msg.new), table.key(msg.new)))
            elif isinstance(msg, pgoutput.Update):
                self._on_update(table, lsn, msg, out)
            elif "d" not in skipped:
                rec = self._change(table, "d", lsn, table.row(msg.old), None, table.key(msg.old))
                out.append(rec)
                if self.tombstones:
                    out.append(self._tombstone(table, rec))
        elif isinstance(msg, pgoutput.Truncate):
            if "t" in skipped or self._txn is None or self._already_emitted(lsn):
                return
            for oid in msg.relation_oids:
                table = self._relations.get(oid)
                if table is not None:
                    out.append(self._change(table, "t", lsn, None, None, None))

    def _on_update(self, table: TableSchema, lsn: int, msg: pgoutput.Update, out: list[SourceRecord]) -> None:
        """A primary key change is Debezium's delete of the old key (+ tombstone) and create of the new one, with
        the __debezium.newkey / __debezium.oldkey headers; otherwise one update event (before only under
        REPLICA IDENTITY FULL)."""
        if "u" in self.config.skipped_operations:
            return
        new_key = table.key(msg.new)
        if msg.old is not None and table.key_schema is not None and table.key_changed(msg.old, msg.new):
            old_key = table.key(msg.old)
            delete = self._change(table, "d", lsn, table.row(msg.old), None, old_key)
            delete.headers.add("__debezium.newkey", new_key, table.key_schema)
            out.append(delete)
            if self.tombstones:
                out.append(self._tombstone(table, delete))
            create = self._change(table, "c", lsn, None, table.row(msg.new), new_key)
            create.headers.add("__debezium.oldkey", old_key, table.key_schema)
            out.append(create)
            return
        before = table.row(msg.old) if msg.old is not None and not msg.old_is_key_only else None
        out.append(self._change(table, "u", lsn, before, table.row(msg.new), new_key))

    def _heartbeat(self) -> SourceRecord | None:
        if self.heartbeat_ms <= 0 or self._txn is not None or self._stream is None:
            return None
        now = time.monotonic()
        if (now - self._last_heartbeat) * 1000 < self.heartbeat_ms:
            return None
        self._last_heartbeat = now
        lsn = max(self._stream.wal_end, self._last_commit_end)
        if self._resume_commit is not None and lsn <= self._resume_commit:
            return None
        key = Struct(HEARTBEAT_KEY_SCHEMA).put("serverName", self.prefix)
        ts = _now_ms()
        value = Struct(HEARTBEAT_VALUE_SCHEMA).put("ts_ms", ts)
        # Every transaction committed before this position has been read (the stream is in commit order, and
        # wal_end is the server's position when it last wrote to us): resuming after it skips none unread.
        offset = {"lsn_proc": lsn, "lsn_commit": lsn, "lsn": lsn, "ts_usec": ts * 1000}
        self._emitted = (lsn, lsn)
        return SourceRecord(self.partition, offset, self.heartbeat_topic, None, HEARTBEAT_KEY_SCHEMA, key, HEARTBEAT_VALUE_SCHEMA, value)

    def _poll_stream(self) -> list[SourceRecord]:
        stream = self._stream
        assert stream is not None
        with self._lock:
            flush, self._pending_flush = self._pending_flush, None
        if flush is not None:
            stream.flush(flush)
        out: list[SourceRecord] = []
        self._out = out
        deadline = time.monotonic() + self.poll_interval
        try:
            while len(out) < self.batch_size and not self._stopping.is_set():
                remaining = deadline - time.monotonic()
                got = stream.read(max(0.0, min(remaining, 0.1)) if not out else 0.0)
                if got is None:
                    if out or remaining <= 0:
                        break
                    continue
                lsn, payload = got
                self._on_message(lsn, pgoutput.decode_message(payload), out)
        except ReplicationStream.ERRORS:
            if self._stopping.is_set():
                return out
            # e.g. wal_sender_timeout while the worker did not poll (paused): resume from what was returned
            log.warning("Replication stream failed; reconnecting to slot %s", self.slot, exc_info=True)
            self._reconnect()
            return out
        hb = self._heartbeat()
        if hb is not None:
            out.append(hb)
        return out

    def _reconnect(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except ReplicationStream.ERRORS:
                pass
        if self._emitted is not None:
            self._resume_commit, self._resume_proc = self._emitted
        self._txn = None
        self._relations.clear()  # a new session sends every Relation again
        self._stream = ReplicationStream(self._dsn)
        self._start_streaming()

    # -- SourceTask

    def poll(self) -> list[SourceRecord] | None:
        with self._poll_lock:
            if self._stopping.is_set():
                return None
            return self._poll_locked()

    def _poll_locked(self) -> list[SourceRecord] | None:
        if self._snapshot is not None:
            return self._poll_snapshot() or None
        if not self._streaming:
            time.sleep(self.poll_interval)  # initial_only: the snapshot is all there is
            return None
        return self._poll_stream() or None

    def commit(self) -> None:
        """The worker committed offsets: confirm the stored position to PostgreSQL (sent by the next poll, on the
        polling thread that owns the replication connection)."""
        offset = self.context.offset_storage_reader().offset(self.partition)
        if not offset:
            return
        lsn = offset.get("lsn_proc") if "lsn_commit" in offset else None
        if lsn is None:
            return
        with self._lock:
            self._pending_flush = int(lsn)

    def stop(self) -> None:
        """Ends a running poll() (it checks between messages), then closes the connections: the slot must not stay
        active, or a restarted task could not use it."""
        self._stopping.set()
        lock = getattr(self, "_poll_lock", None)
        locked = lock.acquire(timeout=getattr(self, "poll_interval", 0.5) + 10.0) if lock is not None else False
        try:
            self._close()
        finally:
            if locked and lock is not None:
                lock.release()

    def _close(self) -> None:
        for closer in (self._snapshot_reader, self._stream, getattr(self, "conn", None)):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001 - closing on stop is best effort
                    log.debug("close failed", exc_info=True)
        if getattr(self, "config", None) is not None and self.config.get_boolean("slot.drop.on.stop"):
            try:
                conn = PostgresConnection(self._dsn)
                try:
                    conn.drop_slot(self.slot)
                finally:
                    conn.close()
            except Exception:  # noqa: BLE001
                log.warning("Could not drop replication slot %s", self.slot, exc_info=True)
