"""PostgresConnector's settings, with Debezium's names, defaults and allowed values."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from strom.connect.config import AbstractConfig, ConfigDef, ConfigException, Importance, NonEmptyString, Range, Type, ValidString

SNAPSHOT_MODES = ("initial", "never", "initial_only", "no_data", "always")
AUTOCREATE_MODES = ("all_tables", "disabled", "filtered")


def config_def() -> ConfigDef:
    d = ConfigDef()
    d.define("database.hostname", Type.STRING, "localhost", Importance.HIGH, "Resolvable hostname or IP address of the database server.")
    d.define("database.port", Type.INT, 5432, Importance.HIGH, "Port of the database server.", Range.between(1, 65535))
    d.define("database.user", Type.STRING, "postgres", Importance.HIGH, "Name of the database user to connect as.")
    d.define("database.password", Type.PASSWORD, None, Importance.HIGH, "Password of the database user.")
    d.define("database.dbname", Type.STRING, "postgres", Importance.HIGH, "The name of the database from which to stream changes.")
    d.define("database.sslmode", Type.STRING, "prefer", Importance.MEDIUM, "libpq sslmode for the connections.")
    d.define(
        "topic.prefix",
        Type.STRING,
        None,
        Importance.HIGH,
        "Topic prefix: the logical name of the server, the first part of every topic name.",
    )
    d.define(
        "database.server.name", Type.STRING, None, Importance.LOW, "Debezium 1.x name of topic.prefix, used when topic.prefix is not set."
    )
    d.define(
        "plugin.name",
        Type.STRING,
        "pgoutput",
        Importance.MEDIUM,
        "The logical decoding plugin; only pgoutput is supported.",
        ValidString.in_("pgoutput"),
    )
    d.define("slot.name", Type.STRING, "debezium", Importance.MEDIUM, "The name of the logical replication slot.", NonEmptyString())
    d.define("slot.drop.on.stop", Type.BOOLEAN, False, Importance.MEDIUM, "Drop the replication slot when the task stops.")
    d.define("publication.name", Type.STRING, "dbz_publication", Importance.MEDIUM, "The name of the publication pgoutput streams.")
    d.define(
        "publication.autocreate.mode",
        Type.STRING,
        "all_tables",
        Importance.MEDIUM,
        "all_tables: create the publication FOR ALL TABLES; filtered: for the captured tables; disabled: it must exist.",
        ValidString.in_(*AUTOCREATE_MODES),
    )
    d.define(
        "snapshot.mode", Type.STRING, "initial", Importance.MEDIUM, "When to snapshot the tables' rows.", ValidString.in_(*SNAPSHOT_MODES)
    )
    d.define("table.include.list", Type.STRING, None, Importance.HIGH, "Regular expressions of schema.table names to capture.")
    d.define("table.exclude.list", Type.STRING, None, Importance.MEDIUM, "Regular expressions of schema.table names not to capture.")
    d.define("schema.include.list", Type.STRING, None, Importance.MEDIUM, "Regular expressions of schema names to capture.")
    d.define("schema.exclude.list", Type.STRING, None, Importance.MEDIUM, "Regular expressions of schema names not to capture.")
    d.define("column.include.list", Type.STRING, None, Importance.MEDIUM, "Regular expressions of schema.table.column names to emit.")
    d.define("column.exclude.list", Type.STRING, None, Importance.MEDIUM, "Regular expressions of schema.table.column names not to emit.")
    d.define(
        "message.key.columns",
        Type.STRING,
        None,
        Importance.MEDIUM,
        "Key columns per table instead of the primary key: <schema.table regex>:<col>,<col>;<regex>:<col>...",
    )
    d.define(
        "provide.transaction.metadata",
        Type.BOOLEAN,
        False,
        Importance.LOW,
        "Write transaction BEGIN/END records and each change's transaction block.",
    )
    d.define("topic.transaction", Type.STRING, "transaction", Importance.LOW, "Suffix of the transaction topic, <topic.prefix>.<suffix>.")
    d.define("tombstones.on.delete", Type.BOOLEAN, True, Importance.MEDIUM, "Emit a tombstone (key, null value) after each delete event.")
    d.define("skipped.operations", Type.STRING, "t", Importance.LOW, "Operations not emitted: c, u, d, t (comma separated), or none.")
    d.define(
        "decimal.handling.mode",
        Type.STRING,
        "precise",
        Importance.MEDIUM,
        "precise, double or string.",
        ValidString.in_("precise", "double", "string"),
    )
    d.define(
        "time.precision.mode",
        Type.STRING,
        "adaptive",
        Importance.MEDIUM,
        "adaptive, adaptive_time_microseconds or connect.",
        ValidString.in_("adaptive", "adaptive_time_microseconds", "connect"),
    )
    d.define(
        "hstore.handling.mode",
        Type.STRING,
        "json",
        Importance.LOW,
        "json (a JSON object in a string) or map (a Connect MAP of strings).",
        ValidString.in_("json", "map"),
    )
    d.define("max.batch.size", Type.INT, 2048, Importance.MEDIUM, "Maximum number of records one poll returns.", Range.at_least(1))
    d.define(
        "poll.interval.ms", Type.LONG, 500, Importance.MEDIUM, "How long a poll waits for changes before returning none.", Range.at_least(0)
    )
    d.define("heartbeat.interval.ms", Type.INT, 0, Importance.MEDIUM, "Emit a heartbeat record this often (0: never).", Range.at_least(0))
    d.define("topic.heartbeat.prefix", Type.STRING, "__debezium-heartbeat", Importance.LOW, "Prefix of the heartbeat topic.")
    d.define(
        "status.update.interval.ms",
        Type.INT,
        10_000,
        Importance.LOW,
        "How often the replication stream reports its position.",
        Range.at_least(0),
    )
    return d


def _patterns(value: str | None) -> list[re.Pattern[str]]:
    return [re.compile(p.strip()) for p in value.split(",") if p.strip()] if value else []


class PostgresConnectorConfig(AbstractConfig):
    def __init__(self, props: Mapping[str, Any]) -> None:
        super().__init__(config_def(), props)
        prefix = self.get_string("topic.prefix") or self.get_string("database.server.name")
        if not prefix:
            raise ConfigException("topic.prefix", None, "The 'topic.prefix' value is invalid: A value is required")
        self.topic_prefix: str = prefix
        self.table_include = _patterns(self.get_string("table.include.list"))
        self.table_exclude = _patterns(self.get_string("table.exclude.list"))
        self.schema_include = _patterns(self.get_string("schema.include.list"))
        self.schema_exclude = _patterns(self.get_string("schema.exclude.list"))
        self.column_include = _patterns(self.get_string("column.include.list"))
        self.column_exclude = _patterns(self.get_string("column.exclude.list"))
        self.message_key_columns: list[tuple[re.Pattern[str], list[str]]] = []
        for entry in (self.get_string("message.key.columns") or "").split(";"):
            table, _, cols = entry.strip().rpartition(":")
            if table and cols:
                self.message_key_columns.append((re.compile(table), [c.strip() for c in cols.split(",") if c.strip()]))
        skipped = (self.get_string("skipped.operations") or "").replace(" ", "")
        self.skipped_operations = set() if skipped in ("", "none") else set(skipped.split(","))

    def captures(self, schema: str, table: str) -> bool:
        """Debezium's filters: each pattern must match the whole `schema.table` (or schema) name."""
        full = f"{schema}.{table}"
        if schema in ("pg_catalog", "information_schema") or schema.startswith("pg_toast"):
            return False
        if self.schema_include and not any(p.fullmatch(schema) for p in self.schema_include):
            return False
        if any(p.fullmatch(schema) for p in self.schema_exclude):
            return False
        if self.table_include and not any(p.fullmatch(full) for p in self.table_include):
            return False
        return not any(p.fullmatch(full) for p in self.table_exclude)

    def value_columns(self, schema: str, table: str) -> Callable[[str], bool] | None:
        """Whether a column of this table is emitted in before/after; None when every column is."""
        if not self.column_include and not self.column_exclude:
            return None
        include, exclude = self.column_include, self.column_exclude

        def emitted(column: str) -> bool:
            full = f"{schema}.{table}.{column}"
            if include and not any(p.fullmatch(full) for p in include):
                return False
            return not any(p.fullmatch(full) for p in exclude)

        return emitted

    def key_columns(self, schema: str, table: str, primary_key: list[str]) -> list[str]:
        """message.key.columns for this table when one of its patterns matches `schema.table`, else the primary key."""
        for pattern, columns in self.message_key_columns:
            if pattern.fullmatch(f"{schema}.{table}"):
                return columns
        return primary_key

    def dsn(self) -> str:
        """libpq connection string; the session settings make value text forms match what the converters read."""
        parts = {
            "host": self.get_string("database.hostname"),
            "port": str(self.get_int("database.port")),
            "user": self.get_string("database.user"),
            "dbname": self.get_string("database.dbname"),
            "sslmode": self.get_string("database.sslmode"),
            "application_name": "strom-connect-postgres",
        }
        password = self.get_password("database.password")
        if password is not None:
            parts["password"] = password.value()
        opts = "-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex"
        text = " ".join(f"{k}={_quote(v or '')}" for k, v in parts.items())
        return f"{text} options={_quote(opts)}"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
