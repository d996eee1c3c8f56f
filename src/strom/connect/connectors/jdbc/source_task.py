"""JdbcSourceTask: polls its tables (or the query) in turn, each at most every poll.interval.ms, and returns up
to batch.max.rows rows per poll as records whose source offsets let a restarted task resume where it stopped."""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from strom.connect.api import SourceRecord, SourceTask
from strom.connect.errors import ConnectException

from . import source_config
from .connection import CachedConnectionProvider
from .dialect import DatabaseDialect, TableId, dialect_for
from .querier import MODE_BULK, MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING, Offset, TableQuerier
from .version import VERSION

log = logging.getLogger("io.confluent.connect.jdbc.source.JdbcSourceTask")

TABLE_NAME_KEY = "table"
QUERY_NAME_KEY = "query"
QUERY_NAME_VALUE = "query"
OFFSET_PROTOCOL_VERSION_KEY = "protocol"
PROTOCOL_VERSION_ONE = "1"


def source_partition_for_table(table: TableId) -> dict[str, str]:
    """Confluent's offset protocol v1: the unquoted qualified name and the protocol version."""
    return {TABLE_NAME_KEY: table.fqn(), OFFSET_PROTOCOL_VERSION_KEY: PROTOCOL_VERSION_ONE}


class JdbcSourceTask(SourceTask):
    def __init__(self) -> None:
        super().__init__()
        self.config: source_config.JdbcSourceTaskConfig | None = None
        self.dialect: DatabaseDialect | None = None
        self.provider: CachedConnectionProvider | None = None
        self.queriers: list[TableQuerier] = []
        self._stopping = threading.Event()
        self._db_lock = threading.Lock()

    def version(self) -> str:
        return VERSION

    def start(self, props: Mapping[str, str]) -> None:
        config = self.config = source_config.JdbcSourceTaskConfig.parse(props)
        self._stopping.clear()
        self.dialect = dialect_for(config.connection_url, config.quote_sql_identifiers, config.numeric_mapping)
        self.provider = CachedConnectionProvider(
            self.dialect,
            config.connection_user,
            config.connection_password,
            autocommit=True,
            attempts=config.connection_attempts,
            backoff_ms=config.connection_backoff_ms,
        )
        if config.query:
            partitions = [{QUERY_NAME_KEY: QUERY_NAME_VALUE}]
            targets: list[TableId | None] = [None]
        else:
            if not config.tables:
                raise ConnectException("Invalid configuration: each JdbcSourceTask must have at least one table assigned to it")
            tables = [self.dialect.parse_table_id(t) for t in config.tables]
            partitions = [source_partition_for_table(t) for t in tables]
            targets = list(tables)
        offsets = self._stored_offsets(partitions)
        try:
            self._start_queriers(partitions, targets, offsets)
        except BaseException:
            self.provider.close()
            raise

    def _start_queriers(
        self,
        partitions: list[dict[str, str]],
        targets: list[TableId | None],
        offsets: dict[frozenset[tuple[str, str]], dict[str, Any]],
    ) -> None:
        config, provider = self.config, self.provider
        assert config is not None and provider is not None and self.dialect is not None
        conn = provider.get()
        initial = self._initial_timestamp(conn)
        self.queriers = []
        for partition, table in zip(partitions, targets, strict=True):
            stored = offsets.get(_frozen(partition))
            offset = Offset.from_map(stored)
            if offset.timestamp is None and stored is None and initial is not None:
                offset = Offset(initial, None)
            incrementing = config.incrementing_column_name
            if table is not None:
                incrementing = self._validate_columns(conn, table, incrementing)
            log.info("%s: starting at offset %s", table.fqn() if table else "query", offset.to_map())
            self.queriers.append(
                TableQuerier(
                    self.dialect,
                    config.mode,
                    config.topic_prefix + table.table if table is not None else config.topic_prefix,
                    partition,
                    table=table,
                    query=config.query,
                    query_suffix=config.query_suffix,
                    incrementing_column=incrementing,
                    timestamp_columns=config.timestamp_column_names,
                    timestamp_delay_ms=config.timestamp_delay_interval_ms,
                    offset=offset,
                )
            )

    def _stored_offsets(self, partitions: list[dict[str, str]]) -> dict[frozenset[tuple[str, str]], dict[str, Any]]:
        reader = self.context.offset_storage_reader()
        return {_frozen(p): offset for p, offset in reader.offsets(partitions) if offset is not None}

    def _initial_timestamp(self, conn: Any) -> datetime.datetime | None:
        """timestamp.initial: epoch ms to start from, -1 for the database's now; unset starts at the epoch."""
        assert self.config is not None and self.dialect is not None
        initial = self.config.timestamp_initial
        if initial is None or self.config.mode not in (MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING):
            return None
        if initial == -1:
            return self.dialect.current_timestamp(conn).replace(tzinfo=datetime.UTC)
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(milliseconds=initial)

    def _validate_columns(self, conn: Any, table: TableId, incrementing: str) -> str:
        """The incrementing column (autodetected from an integer primary key when unset); validate.non.null."""
        assert self.config is not None and self.dialect is not None
        if self.config.mode == MODE_BULK:
            return incrementing
        definition = self.dialect.describe_table(conn, table)
        if definition is None:
            raise ConnectException(f"Table {table.fqn()} does not exist")
        if self.config.mode in ("incrementing", MODE_TIMESTAMP_INCREMENTING) and not incrementing:
            pk = definition.primary_key_columns()
            if len(pk) != 1:
                raise ConnectException(
                    f"Cannot autodetect the incrementing column of {table.fqn()} (it needs a single-column primary "
                    "key): set incrementing.column.name"
                )
            incrementing = pk[0]
        if self.config.validate_non_null:
            columns = [incrementing] if self.config.mode != MODE_TIMESTAMP else []
            if self.config.mode in (MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING):
                columns += list(self.config.timestamp_column_names)
            for column in filter(None, columns):
                col = definition.columns.get(column)
                if col is None:
                    raise ConnectException(f"Column {column} not found in table {table.fqn()}")
                if col.nullable:
                    raise ConnectException(
                        f"Cannot make incremental queries using {'incrementing' if column == incrementing else 'timestamp'} "
                        f"column {column} on {table.fqn()} because this column is nullable."
                    )
        return incrementing

    def poll(self) -> list[SourceRecord] | None:
        """One batch of the querier that is due first (mid-query, else the least recently run), after waiting
        until it is due; None when its query found nothing, so the worker gets control back between queries."""
        config, provider = self.config, self.provider
        assert config is not None and provider is not None
        querier = min(self.queriers, key=lambda q: (not q.querying(), q.last_update))
        if not querier.querying():
            delay = querier.last_update + config.poll_interval_ms / 1000 - time.monotonic()
            if delay > 0 and self._stopping.wait(delay):
                return None
        with self._db_lock:  # stop() from the worker's thread waits for a query in progress, then closes
            if self._stopping.is_set():
                return None
            try:
                querier.maybe_start_query(provider.get(), config.batch_max_rows)
                records, more = querier.next_batch(config.batch_max_rows)
            except Exception as exc:
                querier.reset(time.monotonic())
                provider.invalidate_if_broken(exc)
                if isinstance(exc, ConnectException):
                    raise
                raise ConnectException(f"Failed to run query for table {querier.topic}: {exc}") from exc
            if not more:
                querier.reset(time.monotonic())
        return records or None

    def stop(self) -> None:
        self._stopping.set()
        with self._db_lock:
            for querier in self.queriers:
                querier.reset(time.monotonic())
            if self.provider is not None:
                self.provider.close()


def _frozen(partition: dict[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset((str(k), str(v)) for k, v in partition.items())
