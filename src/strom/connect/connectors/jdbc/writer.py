"""The sink's database side: tables created and evolved to fit the records, records buffered per table and
written in batches of insert/upsert/update and delete statements, one transaction per put()
(Confluent's JdbcDbWriter, BufferedRecords and DbStructure)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from strom.connect.api import SinkRecord
from strom.connect.data import Schema, Struct
from strom.connect.errors import ConnectException

from . import fields_metadata
from .dialect import DatabaseDialect, DbConnection, SinkRecordField, TableDefinition, TableId

log = logging.getLogger("io.confluent.connect.jdbc.sink.JdbcDbWriter")

INSERT = "insert"
UPSERT = "upsert"
UPDATE = "update"
INSERT_MODES = (INSERT, UPSERT, UPDATE)


@dataclass(frozen=True)
class WriterConfig:
    """The sink settings the writer acts on (parsed from the connector config by sink_config)."""

    connector_name: str
    insert_mode: str = INSERT
    pk_mode: str = fields_metadata.PK_NONE
    pk_fields: tuple[str, ...] = ()
    fields_whitelist: tuple[str, ...] = ()
    table_name_format: str = "${topic}"
    batch_size: int = 3000
    delete_enabled: bool = False
    auto_create: bool = False
    auto_evolve: bool = False


class DbStructure:
    """Creates a missing table (auto.create) and adds missing columns (auto.evolve); caches what it saw."""

    def __init__(self, dialect: DatabaseDialect, config: WriterConfig) -> None:
        self.dialect = dialect
        self.config = config
        self._tables: dict[TableId, TableDefinition] = {}

    def create_or_amend_if_necessary(self, conn: DbConnection, table: TableId, fields: dict[str, SinkRecordField]) -> None:
        definition = self._tables.get(table) or self.dialect.describe_table(conn, table)
        if definition is None:
            if not self.config.auto_create:
                raise ConnectException(f"Table {self.dialect.table_sql(table)} is missing and auto-creation is disabled")
            sql = self.dialect.create_table_statement(table, list(fields.values()))
            log.info("Creating table with sql: %s", sql)
            conn.execute(sql)
            definition = self.dialect.describe_table(conn, table)
            if definition is None:
                raise ConnectException(f"Table {self.dialect.table_sql(table)} is missing after CREATE TABLE")
        else:
            known = {c.lower() for c in definition.columns}
            missing = [f for n, f in fields.items() if n not in definition.columns and n.lower() not in known]
            if missing:
                names = [f.name for f in missing]
                if not self.config.auto_evolve:
                    raise ConnectException(
                        f"Table {self.dialect.table_sql(table)} is missing fields ({names}) and auto-evolution is disabled"
                    )
                for f in missing:
                    if f.is_primary_key:
                        raise ConnectException(
                            f"Cannot ALTER TABLE {self.dialect.table_sql(table)} to add missing field {f.name}, as "
                            "it is part of the primary key"
                        )
                    if not f.schema.optional and f.schema.default is None:
                        raise ConnectException(
                            f"Cannot ALTER TABLE {self.dialect.table_sql(table)} to add missing field {f.name}, as "
                            "the field is not optional and does not have a default value"
                        )
                for sql in self.dialect.alter_table_statements(table, missing):
                    log.info("Amending table to add missing fields with SQL: %s", sql)
                    conn.execute(sql)
                definition = self.dialect.describe_table(conn, table)
                assert definition is not None
        self._tables[table] = definition

    def forget(self) -> None:
        """After a rollback the cached definitions may describe DDL that never committed."""
        self._tables.clear()


class BufferedRecords:
    """One table's pending records; flushed when the batch is full, the schemas change, or put() ends."""

    def __init__(self, config: WriterConfig, table: TableId, dialect: DatabaseDialect, structure: DbStructure, conn: DbConnection) -> None:
        self.config = config
        self.table = table
        self.dialect = dialect
        self.structure = structure
        self.conn = conn
        self.records: list[SinkRecord] = []
        self._schemas: tuple[Schema | None, Schema | None] | None = None
        self._deletes_in_batch = False
        self._fields: fields_metadata.FieldsMetadata | None = None
        self._write_sql = ""
        self._delete_sql = ""
        self._non_key_binders: list[tuple[str, Callable[[Any], Any] | None]] = []
        self._key_binders: list[tuple[str, Callable[[Any], Any] | None]] = []
        # rows -> (the statement, its $n twin for psycopg's RawCursor or None)
        self._multi_row_sql: dict[int, tuple[str, str | None]] = {}

    def add(self, record: SinkRecord) -> None:
        self._validate(record)
        tombstone = record.value is None
        schemas = (record.key_schema, record.value_schema)
        if tombstone:
            self._deletes_in_batch = True
        elif self._schemas is not None and schemas == self._schemas:
            if self._deletes_in_batch:
                # A write after a delete of the same batch: keep their order.
                self.flush()
        else:
            self.flush()
            self._schemas = schemas
            self._prepare(record)
        if self._fields is None:  # a batch that starts with a tombstone: keys from its key schema
            self._schemas = schemas
            self._prepare(record)
        self.records.append(record)
        if len(self.records) >= self.config.batch_size:
            self.flush()

    def _validate(self, record: SinkRecord) -> None:
        value_ok = record.value_schema is not None and record.value is not None and isinstance(record.value, Struct)
        if record.value is None and self.config.delete_enabled:
            if record.key is None:
                raise ConnectException(
                    f"Sink connector '{self.config.connector_name}' is configured with 'delete.enabled=true' and "
                    "therefore requires records with a non-null key and non-null key schema, but found record at "
                    f"{_where(record)} with a null key and null key schema."
                )
            return
        if not value_ok:
            raise ConnectException(
                f"Sink connector '{self.config.connector_name}' is configured with "
                f"'delete.enabled={str(self.config.delete_enabled).lower()}' and 'pk.mode={self.config.pk_mode}' "
                "and therefore requires records with a non-null Struct value and non-null Struct schema, but found "
                f"record at {_where(record)} with a {_type_name(record.value)} value and "
                f"{_type_name(record.value_schema)} value schema."
            )

    def _prepare(self, record: SinkRecord) -> None:
        fm = fields_metadata.extract(
            self.table.table,
            self.config.pk_mode,
            self.config.pk_fields,
            self.config.fields_whitelist,
            record.key_schema,
            record.value_schema,
        )
        if record.value_schema is not None:
            self.structure.create_or_amend_if_necessary(self.conn, self.table, fm.all_fields)
        keys, non_keys = fm.key_field_names, fm.non_key_field_names
        mode = self.config.insert_mode
        if mode == INSERT:
            self._write_sql = self.dialect.insert_statement(self.table, keys, non_keys)
        elif mode == UPSERT:
            if not keys:
                raise ConnectException(
                    f"Write to table '{self.table.table}' in UPSERT mode requires key field names to be known, "
                    "check the primary key configuration"
                )
            self._write_sql = self.dialect.upsert_statement(self.table, keys, non_keys)
        else:
            self._write_sql = self.dialect.update_statement(self.table, keys, non_keys)
        if self.config.delete_enabled and keys:
            self._delete_sql = self.dialect.delete_statement(self.table, keys)
        self._non_key_binders = [(n, self.dialect.binder(fm.all_fields[n].schema)) for n in non_keys]
        self._key_binders = [(n, self.dialect.binder(fm.all_fields[n].schema)) for n in keys]
        self._multi_row_sql = {}
        self._fields = fm

    def flush(self) -> list[SinkRecord]:
        if not self.records:
            return []
        assert self._fields is not None
        fm = self._fields
        writes: list[tuple[Any, ...]] = []
        deletes: list[tuple[Any, ...]] = []
        record_key = self.config.pk_mode == fields_metadata.PK_RECORD_KEY
        key_binders = self._key_binders
        for record in self.records:
            if record_key:  # the common case inline: _key_value's work with each column's binder
                key = record.key
                if isinstance(key, Struct):
                    key_values = [key.get(n) if b is None else b(key.get(n)) for n, b in key_binders]
                else:
                    key_values = [key if b is None else b(key) for _, b in key_binders]
            else:
                key_values = [self._key_value(record, name) for name in fm.key_field_names]
            if record.value is None:
                deletes.append(tuple(key_values))
                continue
            value = record.value
            non_key_values = [value.get(n) if b is None else b(value.get(n)) for n, b in self._non_key_binders]
            if self.config.insert_mode == UPDATE:
                writes.append((*non_key_values, *key_values))
            else:
                writes.append((*key_values, *non_key_values))
        cur = self.conn.cursor()
        if writes:
            self._execute_writes(cur, writes, len(fm.key_field_names))
        if deletes:
            cur.executemany(self._delete_sql, deletes)
        flushed, self.records = self.records, []
        self._deletes_in_batch = False
        return flushed

    def _execute_writes(self, cur: Any, writes: list[tuple[Any, ...]], key_count: int) -> None:
        """Multi-row INSERT statements where the dialect has them (one statement and round trip per chunk instead
        of one per row), else executemany. The chunks have a few sizes (_chunk_sizes), so their statements are
        built once and repeat (psycopg then prepares them on the server). A multi-row upsert may not touch a row
        twice, so it keeps each key's last write: the same end state, since the batch's writes all precede its
        deletes."""
        mode = self.config.insert_mode
        if mode == UPDATE or not self.dialect.multi_row_writes or len(writes) == 1:
            cur.executemany(self._write_sql, writes)
            return
        if mode == UPSERT:
            try:
                writes = list({row[:key_count]: row for row in writes}.values())
            except TypeError:  # an unhashable key value (an array): row by row
                cur.executemany(self._write_sql, writes)
                return
        assert self._fields is not None
        keys, non_keys = self._fields.key_field_names, self._fields.non_key_field_names
        chunk = max(1, self.dialect.max_parameters // len(writes[0]))
        raw_cursor: Any = None
        start = 0
        for size in _chunk_sizes(len(writes), chunk):
            part = writes[start : start + size]
            start += size
            statement = self._multi_row_sql.get(size)
            if statement is None:
                sql = self.dialect.multi_row_statement(mode == UPSERT, self.table, keys, non_keys, len(part))
                statement = self._multi_row_sql[len(part)] = (sql, _numbered_placeholders(sql) if _is_psycopg(self.conn) else None)
            sql, numbered = statement
            params = [value for row in part for value in row]
            if numbered is None:
                cur.execute(sql, params)
                continue
            if raw_cursor is None:
                raw_cursor = _psycopg_raw_cursor(self.conn)
            raw_cursor.execute(numbered, params)

    def _key_value(self, record: SinkRecord, name: str) -> Any:
        assert self._fields is not None
        schema = self._fields.all_fields[name].schema
        mode = self.config.pk_mode
        if mode == fields_metadata.PK_KAFKA:
            index = self._fields.key_field_names.index(name)
            return (record.topic, record.kafka_partition, record.kafka_offset)[index]
        if mode == fields_metadata.PK_RECORD_KEY:
            value = record.key.get(name) if isinstance(record.key, Struct) else record.key
        else:
            value = record.value.get(name)
        return self.dialect.bind_value(schema, value)


class JdbcDbWriter:
    """Writes each put()'s records in one transaction: a failure rolls all of them back."""

    def __init__(self, config: WriterConfig, dialect: DatabaseDialect, conn: DbConnection) -> None:
        self.config = config
        self.dialect = dialect
        self.conn = conn
        self.structure = DbStructure(dialect, config)
        self._table_ids: dict[str, TableId] = {}

    def table_id(self, topic: str) -> TableId:
        table = self._table_ids.get(topic)
        if table is None:
            table = self._table_ids[topic] = self._table_id(topic)
        return table

    def _table_id(self, topic: str) -> TableId:
        name = self.config.table_name_format.replace("${topic}", topic)
        if not name:
            raise ConnectException(
                f"Destination table name for topic '{topic}' is empty using the format string '{self.config.table_name_format}'"
            )
        return self.dialect.parse_table_id(name)

    def write(self, records: Sequence[SinkRecord]) -> None:
        buffers: dict[TableId, BufferedRecords] = {}
        try:
            for record in records:
                table = self.table_id(record.topic)
                buffer = buffers.get(table)
                if buffer is None:
                    buffer = buffers[table] = BufferedRecords(self.config, table, self.dialect, self.structure, self.conn)
                buffer.add(record)
            for buffer in buffers.values():
                buffer.flush()
            self.conn.commit()
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        try:
            self.conn.rollback()
        finally:
            self.structure.forget()


_EXACT_BELOW = 64


def _chunk_sizes(rows: int, chunk: int) -> list[int]:
    """`rows` split into full chunks, then powers of two, then one last piece of under 64 rows: at most ~70
    distinct statement sizes for any batch, instead of one per batch length."""
    sizes = [chunk] * (rows // chunk)
    rest = rows % chunk
    while rest >= _EXACT_BELOW:
        size = 1 << (rest.bit_length() - 1)
        sizes.append(size)
        rest -= size
    if rest:
        sizes.append(rest)
    return sizes


def _is_psycopg(conn: DbConnection) -> bool:
    return type(conn).__module__.startswith("psycopg")


def _psycopg_raw_cursor(conn: DbConnection) -> Any:
    import psycopg

    return psycopg.RawCursor(conn)


def _numbered_placeholders(sql: str) -> str | None:
    """A multi-row statement with PostgreSQL's own $1..$n placeholders, for psycopg's RawCursor: psycopg parses
    a `%s` statement on every execute once it is over 4 KiB or 50 parameters (every multi-row batch), which cost
    the sink a third of its CPU. None when the text has another `%` (an escape: left to psycopg)."""
    pieces = sql.split("%s")
    count = len(pieces) - 1
    if sql.count("%") != count:
        return None
    while len(_NUMBERS) < count:
        _NUMBERS.append(f"${len(_NUMBERS) + 1}")
    out = [""] * (2 * count + 1)
    out[::2] = pieces
    out[1::2] = _NUMBERS[:count]
    return "".join(out)


_NUMBERS: list[str] = []  # "$1", "$2", ... as far as a statement has needed


def _where(record: SinkRecord) -> str:
    return f"(topic='{record.topic}',partition={record.kafka_partition},offset={record.kafka_offset},timestamp={record.timestamp})"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return type(value).__name__
