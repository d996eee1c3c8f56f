"""The connector's two PostgreSQL connections: a regular one (catalog, publication, slot state, snapshot reads) and
a logical replication one (slot creation with an exported snapshot, the pgoutput stream, flush feedback).

psycopg2's LogicalReplicationConnection speaks the streaming replication protocol (psycopg 3 has none).
Values are read in their text form (`::text` in snapshots, pgoutput's text in the stream) under the same session
settings, so one converter serves both.
"""

from __future__ import annotations

import logging
import select
from collections.abc import Iterator
from typing import Any

import psycopg2  # type: ignore[import-untyped]  # no stubs shipped; psycopg2 is only the replication transport
import psycopg2.extensions  # type: ignore[import-untyped]
import psycopg2.extras  # type: ignore[import-untyped]
from psycopg2 import sql

from strom.connect.connectors.postgres.pgoutput import parse_lsn
from strom.connect.connectors.postgres.schema import ColumnInfo
from strom.connect.connectors.postgres.values import PgType
from strom.connect.errors import ConnectException

log = logging.getLogger("io.debezium.connector.postgresql.connection.PostgresConnection")


class PostgresConnection:
    """Catalog queries, publication and slot management, and the snapshot transaction."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def close(self) -> None:
        self.conn.close()

    def _all(self, query: str | sql.Composed, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return list(cur.fetchall()) if cur.description else []

    def server_version(self) -> int:
        return int(self.conn.server_version)

    def tables(self) -> list[tuple[str, str]]:
        """Ordinary and partitioned tables outside the system schemas, sorted as Debezium snapshots them."""
        return [
            (str(s), str(t))
            for s, t in self._all(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%' "
                "ORDER BY 1, 2"
            )
        ]

    def table_columns(self, schema: str, table: str) -> tuple[list[ColumnInfo], list[str]]:
        """The columns (attnum order, nullability from attnotnull) and the primary key columns (key order)."""
        rows = self._all(
            "SELECT a.attname, a.atttypid, a.atttypmod, NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            (schema, table),
        )
        types = self.resolve_types({int(r[1]) for r in rows})
        columns = [
            ColumnInfo(str(n), int(oid), int(mod), bool(opt), None if d is None else str(d), types.get(int(oid)))
            for n, oid, mod, opt, d in rows
        ]
        pk = self._all(
            "SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass AND i.indisprimary ORDER BY k.ord",
            (schema, table),
        )
        return columns, [str(r[0]) for r in pk]

    def resolve_types(self, oids: set[int]) -> dict[int, PgType]:
        """Domains to their base types, enums with their labels, arrays with their element types (one level: an
        array's element is a base type, an enum or a domain)."""
        rows = self._all(
            "SELECT t.oid, t.typtype, t.typelem, t.typcategory, t.typbasetype, "
            "(SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), "
            "t.typname::text "
            "FROM pg_type t WHERE t.oid = ANY(%s)",
            (sorted(oids),),
        )
        info = {int(r[0]): r for r in rows}
        elements = {int(r[2]) for r in rows if r[3] == "A" and r[2]}
        element_types = self.resolve_types(elements) if elements - oids else {}

        def resolve(oid: int, depth: int = 0) -> PgType:
            r = info.get(oid)
            if r is None:
                return element_types.get(oid, PgType(oid))
            _, typtype, typelem, category, base, labels, typname = r
            if typtype == "d" and base and depth < 5:
                return (
                    resolve(int(base), depth + 1)
                    if int(base) in info
                    else self.resolve_types({int(base)}).get(int(base), PgType(int(base)))
                )
            if typtype == "e":
                return PgType(oid, labels=tuple(labels or ()))
            if category == "A" and typelem:
                return PgType(oid, element=resolve(int(typelem), depth + 1))
            return PgType(oid, name=str(typname))

        return {oid: resolve(oid) for oid in oids}

    def publication_exists(self, name: str) -> bool:
        return bool(self._all("SELECT 1 FROM pg_publication WHERE pubname = %s", (name,)))

    def create_publication(self, name: str, tables: list[tuple[str, str]] | None) -> None:
        """FOR ALL TABLES (tables None) or FOR TABLE the captured ones."""
        if tables is None:
            query = sql.SQL("CREATE PUBLICATION {} FOR ALL TABLES").format(sql.Identifier(name))
        else:
            query = sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(
                sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(s, t) for s, t in tables)
            )
        log.info("Creating publication %s", name)
        self._all(query)

    def slot_confirmed_flush(self, slot: str) -> int | None:
        """The slot's confirmed_flush_lsn, or None when there is no such slot."""
        rows = self._all("SELECT confirmed_flush_lsn::text, database FROM pg_replication_slots WHERE slot_name = %s", (slot,))
        if not rows:
            return None
        lsn, database = rows[0]
        if database != self.conn.info.dbname:
            raise ConnectException(f"Replication slot '{slot}' belongs to database '{database}': slot.name must be unique per database")
        return parse_lsn(lsn) if lsn else 0

    def drop_slot(self, slot: str) -> None:
        self._all("SELECT pg_drop_replication_slot(%s) FROM pg_replication_slots WHERE slot_name = %s AND NOT active", (slot, slot))

    def current_wal_lsn(self) -> int:
        return parse_lsn(self._all("SELECT pg_current_wal_lsn()::text")[0][0])

    def current_xid(self) -> int:
        return int(self._all("SELECT txid_current()")[0][0])


def _raw_text(value: str | None, cursor: Any) -> str | None:
    return value


class SnapshotReader:
    """One REPEATABLE READ transaction, on the slot's exported snapshot when there is one, reading whole tables
    in text form through a server-side cursor."""

    def __init__(self, dsn: str, exported_snapshot: str | None, fetch_size: int) -> None:
        self.conn = psycopg2.connect(dsn)
        self.conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        self.fetch_size = fetch_size
        with self.conn.cursor() as cur:
            if exported_snapshot:
                cur.execute("SET TRANSACTION SNAPSHOT %s", (exported_snapshot,))
            cur.execute("SELECT txid_current_if_assigned(), pg_current_wal_lsn()::text")
            self.tx_id, lsn = cur.fetchone()
            self.lsn = parse_lsn(lsn)

    def rows(self, schema: str, table: str, columns: list[ColumnInfo]) -> Iterator[tuple[bytes | None, ...]]:
        """The rows as their types' output text, exactly as pgoutput sends it (a `::text` cast would differ:
        it trims char(n)'s padding)."""
        oids = {c.type_oid for c in columns} | {c.pg_type.oid for c in columns if c.pg_type is not None}
        as_text = psycopg2.extensions.new_type(tuple(oids), "STROM_TEXT", _raw_text)
        psycopg2.extensions.register_type(as_text, self.conn)
        select_list = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
        query = sql.SQL("SELECT {} FROM {}").format(select_list, sql.Identifier(schema, table))
        with self.conn.cursor(name="strom_snapshot") as cur:
            cur.itersize = self.fetch_size
            cur.execute(query)
            while True:
                batch = cur.fetchmany(self.fetch_size)
                if not batch:
                    return
                for row in batch:
                    yield tuple(None if v is None else str(v).encode("utf-8") for v in row)

    def close(self) -> None:
        try:
            self.conn.rollback()
        finally:
            self.conn.close()


class ReplicationStream:
    """The logical replication connection: creates the slot (exporting a snapshot), streams pgoutput, reports
    the flushed LSN back so PostgreSQL can recycle WAL."""

    ERRORS: tuple[type[Exception], ...] = (psycopg2.Error, OSError)

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
        self.cur = self.conn.cursor()
        self.flushed_lsn = 0

    def create_slot(self, slot: str) -> tuple[int, str | None]:
        """Creates the pgoutput slot; returns its consistent point and the exported snapshot's name."""
        self.cur.create_replication_slot(slot, output_plugin="pgoutput")
        row = self.cur.fetchone()
        log.info("Created replication slot %s: %s", slot, row)
        return parse_lsn(row[1]), row[2]

    def start(self, slot: str, publication: str, start_lsn: int, status_interval_s: float) -> None:
        self.cur.start_replication(
            slot_name=slot,
            decode=False,
            start_lsn=start_lsn,
            options={"proto_version": "1", "publication_names": publication},
            status_interval=max(status_interval_s, 1.0),
        )

    def read(self, timeout: float) -> tuple[int, bytes] | None:
        """The next (lsn, payload), waiting at most `timeout` seconds; None when nothing came."""
        msg = self.cur.read_message()
        if msg is None:
            select.select([self.cur], [], [], timeout)
            msg = self.cur.read_message()
            if msg is None:
                return None
        return int(msg.data_start), bytes(msg.payload)

    @property
    def wal_end(self) -> int:
        return int(self.cur.wal_end)

    def flush(self, lsn: int) -> None:
        """Confirms `lsn` as flushed: the slot's confirmed_flush_lsn moves, WAL before it can go."""
        if lsn > self.flushed_lsn:
            self.cur.send_feedback(write_lsn=lsn, flush_lsn=lsn, apply_lsn=lsn, force=True)
            self.flushed_lsn = lsn

    def keepalive(self) -> None:
        self.cur.send_feedback()

    def close(self) -> None:
        self.conn.close()
