"""One table (or the custom query) read by the source task: Confluent's BulkTableQuerier and
TimestampIncrementingTableQuerier.

bulk reads every row on each poll; incrementing reads rows whose id is above the last one seen
(`WHERE id > ? ORDER BY id`); timestamp reads rows whose timestamp is past the last one and before the database's
now minus timestamp.delay.interval.ms (`WHERE ts > ? AND ts < ? ORDER BY ts`); timestamp+incrementing breaks
timestamp ties by the id (`WHERE ts < ? AND ((ts = ? AND id > ?) OR ts > ?) ORDER BY ts, id`). Several
timestamp columns are COALESCEd. The offsets are Confluent's: {"incrementing": id}, {"timestamp": ms,
"timestamp_nanos": ns}."""

from __future__ import annotations

import datetime
import decimal
import logging
from dataclasses import dataclass
from typing import Any

from strom.connect.api import SourceRecord
from strom.connect.data import Schema, SchemaBuilder, Struct
from strom.connect.errors import ConnectException

from .dialect import DatabaseDialect, DbConnection, TableId

log = logging.getLogger("io.confluent.connect.jdbc.source.TableQuerier")

MODE_BULK = "bulk"
MODE_INCREMENTING = "incrementing"
MODE_TIMESTAMP = "timestamp"
MODE_TIMESTAMP_INCREMENTING = "timestamp+incrementing"
MODES = (MODE_BULK, MODE_TIMESTAMP, MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING)

INCREMENTING_FIELD = "incrementing"
TIMESTAMP_FIELD = "timestamp"
TIMESTAMP_NANOS_FIELD = "timestamp_nanos"
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass
class Offset:
    """Confluent's TimestampIncrementingOffset: where the next incremental query starts."""

    timestamp: datetime.datetime | None = None  # UTC, aware
    incrementing: int | None = None

    def to_map(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.incrementing is not None:
            out[INCREMENTING_FIELD] = self.incrementing
        if self.timestamp is not None:
            delta = self.timestamp - _EPOCH
            millis = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
            out[TIMESTAMP_FIELD] = millis
            out[TIMESTAMP_NANOS_FIELD] = (millis % 1000) * 1_000_000 + (delta.microseconds % 1000) * 1000
        return out

    @staticmethod
    def from_map(offset: dict[str, Any] | None) -> Offset:
        if not offset:
            return Offset()
        ts = None
        millis = offset.get(TIMESTAMP_FIELD)
        if millis is not None:
            # Java's Timestamp: millis gives the second, nanos the fraction of it.
            seconds = int(millis) // 1000
            nanos = offset.get(TIMESTAMP_NANOS_FIELD)
            fraction_us = (int(nanos) // 1000) if nanos is not None else (int(millis) % 1000) * 1000
            ts = _EPOCH + datetime.timedelta(seconds=seconds, microseconds=fraction_us)
        incrementing = offset.get(INCREMENTING_FIELD)
        return Offset(ts, int(incrementing) if incrementing is not None else None)


class TableQuerier:
    """Runs one query at a time and hands out its rows as SourceRecords, batch by batch."""

    def __init__(
        self,
        dialect: DatabaseDialect,
        mode: str,
        topic: str,
        source_partition: dict[str, str],
        *,
        table: TableId | None = None,
        query: str = "",
        query_suffix: str = "",
        incrementing_column: str = "",
        timestamp_columns: tuple[str, ...] = (),
        timestamp_delay_ms: int = 0,
        offset: Offset | None = None,
    ) -> None:
        self.dialect = dialect
        self.mode = mode
        self.topic = topic
        self.source_partition = source_partition
        self.table = table
        self.query = query
        self.query_suffix = query_suffix
        # Each mode uses its own columns only (a config may name both).
        self.incrementing_column = incrementing_column if mode in (MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING) else ""
        self.timestamp_columns = timestamp_columns if mode in (MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING) else ()
        self.timestamp_delay = datetime.timedelta(milliseconds=timestamp_delay_ms)
        self.offset = offset or Offset()
        self.last_update = 0.0  # monotonic seconds of the last finished query
        self._cursor: Any = None
        self._schema: Schema | None = None
        self._column_schemas: dict[str, Schema] = {}
        self._pending: list[Any] = []

    def querying(self) -> bool:
        return self._cursor is not None

    # -- statements ---------------------------------------------------------------------------------------------
    def _ts_expr(self) -> str:
        cols = [self.dialect.timestamp_expression(self.dialect.quote(c)) for c in self.timestamp_columns]
        return cols[0] if len(cols) == 1 else "COALESCE(" + ", ".join(cols) + ")"

    def statement(self, end: datetime.datetime | None) -> tuple[str, list[Any]]:
        """The SQL and its parameters for the next query from the current offset."""
        base = self.query if self.query else self.dialect.build_select(self.table)  # type: ignore[arg-type]
        params: list[Any] = []
        where = ""
        inc = self.dialect.quote(self.incrementing_column) if self.incrementing_column else ""
        last_id = self.offset.incrementing if self.offset.incrementing is not None else -1
        begin = self.offset.timestamp or _EPOCH
        if self.timestamp_columns and inc:
            ts = self._ts_expr()
            where = f" WHERE {ts} < {self.dialect.placeholder} AND (({ts} = {self.dialect.placeholder} AND {inc} > "
            where += f"{self.dialect.placeholder}) OR {ts} > {self.dialect.placeholder}) ORDER BY {ts}, {inc} ASC"
            b, e = self.dialect.bind_timestamp(begin), self.dialect.bind_timestamp(end)  # type: ignore[arg-type]
            params = [e, b, last_id, b]
        elif self.timestamp_columns:
            ts = self._ts_expr()
            where = f" WHERE {ts} > {self.dialect.placeholder} AND {ts} < {self.dialect.placeholder} ORDER BY {ts} ASC"
            params = [self.dialect.bind_timestamp(begin), self.dialect.bind_timestamp(end)]  # type: ignore[arg-type]
        elif inc:
            where = f" WHERE {inc} > {self.dialect.placeholder} ORDER BY {inc} ASC"
            params = [last_id]
        suffix = f" {self.query_suffix}" if self.query_suffix else ""
        if params:  # the query's own text (a LIKE 'a%', say) must not read as placeholders
            base, suffix = self.dialect.literal_sql(base), self.dialect.literal_sql(suffix)
        return base + where + suffix, params

    # -- running --------------------------------------------------------------------------------------------------
    def maybe_start_query(self, conn: DbConnection, fetch_size: int = 100) -> None:
        if self._cursor is not None:
            return
        end = None
        if self.timestamp_columns:
            end = self.dialect.current_timestamp(conn) - self.timestamp_delay
        sql, params = self.statement(end)
        log.debug("%s: executing %s with %s", self.topic, sql, params)
        if self.table is not None:
            definition = self.dialect.describe_table(conn, self.table)
            if definition is None:
                raise ConnectException(f"Table {self.table.fqn()} does not exist")
            self._column_schemas = {n: self.dialect.column_schema(c) for n, c in definition.columns.items()}
        self._cursor = self.dialect.open_cursor(conn, sql, params, fetch_size)
        self._schema = None

    def next_batch(self, max_rows: int) -> tuple[list[SourceRecord], bool]:
        """Up to max_rows records, and whether the query has more rows."""
        assert self._cursor is not None
        rows = self._cursor.fetchmany(max_rows)
        if self._schema is None:
            self._schema = self._struct_schema(rows)
        records = [self._record(row) for row in rows]
        return records, len(rows) == max_rows

    def reset(self, now: float) -> None:
        """The query is done (or failed): close it; the next one starts after poll.interval.ms."""
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            try:
                cursor.close()
            except Exception:  # noqa: BLE001 - a broken connection's cursor; the query is over either way
                log.debug("closing the cursor of %s failed", self.topic, exc_info=True)
        self.last_update = now

    def _struct_schema(self, rows: list[Any]) -> Schema:
        names = [d[0] for d in self._cursor.description]
        if self.query:  # no table describes a query's columns: the result does
            self._column_schemas = self.dialect.result_schemas(self._cursor, rows)
        builder = SchemaBuilder.struct()
        if self.table is not None:
            builder = builder.name(self.table.table)
        for name in names:
            schema = self._column_schemas.get(name) or SchemaBuilder.string().optional().build()
            builder = builder.field(name, schema)
        schema = builder.build()
        for column in (self.incrementing_column, *self.timestamp_columns):
            if column and schema.field(column) is None:
                raise ConnectException(
                    f"{'Incrementing' if column == self.incrementing_column else 'Timestamp'} column {column} "
                    f"not found in {','.join(names)}"
                )
        return schema

    def _record(self, row: Any) -> SourceRecord:
        schema = self._schema
        assert schema is not None
        struct = Struct(schema)
        for field, raw in zip(schema.fields(), row, strict=True):
            struct.put(field.name, self.dialect.read_value(field.schema, raw))
        if self.mode != MODE_BULK:
            self.offset = self._extract_offset(struct)
        return SourceRecord(
            source_partition=self.source_partition,
            source_offset=self.offset.to_map(),
            topic=self.topic,
            value_schema=schema,
            value=struct,
        )

    def _extract_offset(self, struct: Struct) -> Offset:
        ts = None
        for column in self.timestamp_columns:
            ts = struct.get(column)
            if ts is not None:
                break
        inc = None
        if self.incrementing_column:
            value = struct.get(self.incrementing_column)
            if value is None:
                raise ConnectException(f"Null value for incrementing column {self.incrementing_column}")
            if isinstance(value, decimal.Decimal):
                if value != value.to_integral_value():
                    raise ConnectException("Scale of Decimal value for incrementing column must be 0")
                value = int(value)
            if not isinstance(value, int):
                raise ConnectException(f"Invalid type for incrementing column: {type(value).__name__}")
            inc = value
        return Offset(ts if ts is not None else self.offset.timestamp, inc)
