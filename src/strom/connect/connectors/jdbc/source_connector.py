"""JdbcSourceConnector: finds the tables to copy (table.whitelist / table.blacklist, or the custom query) and
spreads them over at most tasks.max tasks; a monitor re-lists the tables every table.poll.interval.ms and asks
for new task configs when the set changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from strom.connect.api import Config, SourceConnector, Task
from strom.connect.config import ConfigDef, ConfigException
from strom.connect.errors import ConnectException

from . import source_config
from .dialect import DatabaseDialect, TableId, dialect_for
from .source_task import JdbcSourceTask
from .version import VERSION

log = logging.getLogger("io.confluent.connect.jdbc.JdbcSourceConnector")


class JdbcSourceConnector(SourceConnector):
    def __init__(self) -> None:
        super().__init__()
        self.props: dict[str, str] = {}
        self.config_: source_config.JdbcSourceConfig | None = None
        self.dialect: DatabaseDialect | None = None
        self._tables: list[TableId] = []
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None

    def version(self) -> str:
        return VERSION

    def config(self) -> ConfigDef:
        return source_config.CONFIG_DEF

    def task_class(self) -> type[Task]:
        return JdbcSourceTask

    def validate(self, connector_configs: Mapping[str, str]) -> Config:
        result = super().validate(connector_configs)
        values = {cv.name: cv for cv in result.config_values}
        if not any(cv.error_messages for cv in result.config_values):
            try:
                source_config.JdbcSourceConfig.parse(connector_configs)
            except ConfigException as exc:
                name = getattr(exc, "name", "")
                target = values.get(name) or values[source_config.MODE]
                target.add_error_message(str(exc))
        return result

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)
        config = self.config_ = source_config.JdbcSourceConfig.parse(props)
        self.dialect = dialect_for(config.connection_url, config.quote_sql_identifiers)
        self._stop.clear()
        if not config.query:
            self._tables = self._list_tables()
            self._monitor = threading.Thread(target=self._watch_tables, name="jdbc-table-monitor", daemon=True)
            self._monitor.start()

    def _list_tables(self) -> list[TableId]:
        config, dialect = self.config_, self.dialect
        assert config is not None and dialect is not None
        conn = dialect.connect(config.connection_user, config.connection_password, autocommit=True)
        try:
            tables = dialect.list_tables(conn, config.table_types)
        finally:
            conn.close()
        if config.schema_pattern is not None and dialect.has_schemas:
            tables = [t for t in tables if (t.schema or "") == config.schema_pattern]
        if config.include:
            tables = [t for t in tables if _matches(t, config.include)]
        elif config.exclude:
            tables = [t for t in tables if not _matches(t, config.exclude)]
        return tables

    def _watch_tables(self) -> None:
        """Confluent's TableMonitorThread: a changed table set reconfigures the tasks."""
        assert self.config_ is not None
        interval = self.config_.table_poll_interval_ms / 1000
        while not self._stop.wait(interval):
            try:
                tables = self._list_tables()
            except Exception:  # noqa: BLE001 - the database is away: keep the current tables, try again later
                log.warning("Could not list the tables to copy; trying again in %s s", interval, exc_info=True)
                continue
            if tables != self._tables:
                log.info("The tables to copy changed from %s to %s; reconfiguring the tasks", self._tables, tables)
                self._tables = tables
                self.context.request_task_reconfiguration()

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        config = self.config_
        assert config is not None
        if config.query:
            return [dict(self.props)]
        if not self._tables:
            log.warning("No tables were found so there's no work to be done.")
            return []
        groups = _group_partitions([t.fqn() for t in self._tables], min(max_tasks, len(self._tables)))
        return [{**self.props, source_config.TABLES: ",".join(group)} for group in groups]

    def stop(self) -> None:
        self._stop.set()
        monitor, self._monitor = self._monitor, None
        if monitor is not None and monitor is not threading.current_thread():
            monitor.join(timeout=10)


def _matches(table: TableId, names: tuple[str, ...]) -> bool:
    """A list entry names a table by its name, schema.table or catalog.schema.table."""
    return table.table in names or table.fqn() in names or f"{table.schema}.{table.table}" in names


def _group_partitions(elements: list[str], groups: int) -> list[list[str]]:
    """Kafka's ConnectorUtils.groupPartitions: contiguous, as even as possible, the first groups one larger."""
    if groups <= 0:
        raise ConnectException("Number of groups must be positive.")
    per_group, leftover = divmod(len(elements), groups)
    out: list[list[str]] = []
    start = 0
    for i in range(groups):
        size = per_group + (1 if i < leftover else 0)
        out.append(elements[start : start + size])
        start += size
    return out
