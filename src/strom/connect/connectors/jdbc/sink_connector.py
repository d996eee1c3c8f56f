"""JdbcSinkConnector and its task: records of the subscribed topics written to tables named by
table.name.format, one database transaction per put(); failed writes are retried max.retries times,
retry.backoff.ms apart, before the task fails."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from strom.connect.api import Config, OffsetAndMetadata, SinkConnector, SinkRecord, SinkTask, Task, TopicPartition
from strom.connect.config import ConfigDef, ConfigException
from strom.connect.errors import ConnectException, RetriableException

from . import sink_config
from .connection import CachedConnectionProvider
from .dialect import dialect_for
from .version import VERSION
from .writer import JdbcDbWriter

log = logging.getLogger("io.confluent.connect.jdbc.sink.JdbcSinkTask")


class JdbcSinkConnector(SinkConnector):
    def __init__(self) -> None:
        super().__init__()
        self.props: dict[str, str] = {}

    def version(self) -> str:
        return VERSION

    def config(self) -> ConfigDef:
        return sink_config.CONFIG_DEF

    def task_class(self) -> type[Task]:
        return JdbcSinkTask

    def validate(self, connector_configs: Mapping[str, str]) -> Config:
        result = super().validate(connector_configs)
        values = {cv.name: cv for cv in result.config_values}
        if not any(cv.error_messages for cv in result.config_values):
            try:
                sink_config.JdbcSinkConfig.parse(connector_configs)
            except ConfigException as exc:
                target = values.get(getattr(exc, "name", "")) or values[sink_config.PK_MODE]
                target.add_error_message(str(exc))
        return result

    def start(self, props: Mapping[str, str]) -> None:
        sink_config.JdbcSinkConfig.parse(props)  # fail fast on a bad config
        self.props = dict(props)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass


class JdbcSinkTask(SinkTask):
    def __init__(self) -> None:
        super().__init__()
        self.config: sink_config.JdbcSinkConfig | None = None
        self.provider: CachedConnectionProvider | None = None
        self.writer: JdbcDbWriter | None = None
        self.remaining_retries = 0

    def version(self) -> str:
        return VERSION

    def start(self, props: Mapping[str, str]) -> None:
        config = self.config = sink_config.JdbcSinkConfig.parse(props)
        dialect = dialect_for(config.connection_url, config.quote_sql_identifiers)
        self.provider = CachedConnectionProvider(
            dialect,
            config.connection_user,
            config.connection_password,
            autocommit=False,
            attempts=config.connection_attempts,
            backoff_ms=config.connection_backoff_ms,
        )
        self.remaining_retries = config.max_retries
        self.writer = None

    def _writer(self) -> JdbcDbWriter:
        assert self.config is not None and self.provider is not None
        conn = self.provider.get()
        if self.writer is None or self.writer.conn is not conn:
            self.writer = JdbcDbWriter(self.config.writer, self.provider.dialect, conn)
        return self.writer

    def put(self, records: Collection[SinkRecord]) -> None:
        if not records:
            return
        config, provider = self.config, self.provider
        assert config is not None and provider is not None
        first = next(iter(records))
        log.debug(
            "Received %d records. First record kafka coordinates:(%s-%s-%s). Writing them to the database...",
            len(records),
            first.topic,
            first.kafka_partition,
            first.kafka_offset,
        )
        try:
            writer = self._writer()
        except ConnectException as exc:  # the database is away: retried as a failed write, never reported
            if self.remaining_retries <= 0:
                raise
            self.remaining_retries -= 1
            self.context.timeout(config.retry_backoff_ms)
            raise RetriableException(exc) from exc
        try:
            writer.write(list(records))
        except ConnectException as exc:
            # A record the sink cannot write (schema, config): no retry makes it writable.
            self._unroll_and_report(records, exc)
        except Exception as exc:  # noqa: BLE001 - the driver's errors (sqlite3.Error, psycopg.Error, OSError)
            provider.invalidate_if_broken(exc)
            log.warning("Write of %d records failed, remainingRetries=%d", len(records), self.remaining_retries, exc_info=True)
            if self.remaining_retries <= 0:
                self._unroll_and_report(records, ConnectException(f"Exception writing to the database: {exc}"), exc)
            else:
                self.remaining_retries -= 1
                self.context.timeout(config.retry_backoff_ms)
                raise RetriableException(exc) from exc
        self.remaining_retries = config.max_retries

    def _unroll_and_report(self, records: Collection[SinkRecord], error: ConnectException, cause: Exception | None = None) -> None:
        """With an errant record reporter (errors.tolerance=all, a dead letter queue), Confluent's way: write the
        records one by one and report those that fail; without one, fail the task."""
        reporter = self.context.errant_record_reporter()
        if reporter is None:
            if cause is not None:
                raise error from cause
            raise error
        assert self.config is not None
        for record in records:
            try:
                self._writer().write([record])
            except Exception as exc:  # noqa: BLE001 - reported with the record, as Confluent does
                # Waited for: a reporter that cannot take the record (errors.tolerance=none) fails the task.
                reporter.report(record, exc).result()
        self.remaining_retries = self.config.max_retries

    def flush(self, current_offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> None:
        """Every put() committed its transaction: nothing is pending."""

    def stop(self) -> None:
        if self.provider is not None:
            self.provider.close()
        self.writer = None
