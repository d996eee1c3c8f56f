"""JdbcSourceConnectorConfig: Confluent's source settings (names, defaults, validation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strom.connect.config import NO_DEFAULT_VALUE, ConfigDef, ConfigException, Importance, Range, Type, ValidString

from . import common_config as common
from .dialect import NUMERIC_MAPPINGS, NUMERIC_NONE
from .querier import MODES

MODE = "mode"
INCREMENTING_COLUMN_NAME = "incrementing.column.name"
TIMESTAMP_COLUMN_NAME = "timestamp.column.name"
TIMESTAMP_INITIAL = "timestamp.initial"
TIMESTAMP_INITIAL_CURRENT = -1
VALIDATE_NON_NULL = "validate.non.null"
QUERY = "query"
QUERY_SUFFIX = "query.suffix"
TABLE_WHITELIST = "table.whitelist"
TABLE_BLACKLIST = "table.blacklist"
TABLE_INCLUDE_LIST = "table.include.list"
TABLE_EXCLUDE_LIST = "table.exclude.list"
CATALOG_PATTERN = "catalog.pattern"
SCHEMA_PATTERN = "schema.pattern"
POLL_INTERVAL_MS = "poll.interval.ms"
BATCH_MAX_ROWS = "batch.max.rows"
TABLE_POLL_INTERVAL_MS = "table.poll.interval.ms"
TOPIC_PREFIX = "topic.prefix"
TIMESTAMP_DELAY_INTERVAL_MS = "timestamp.delay.interval.ms"
NUMERIC_MAPPING = "numeric.mapping"
TABLES = "tables"  # the task's share of the tables, set by the connector


def _base() -> ConfigDef:
    config = common.define_connection(ConfigDef())
    group = "Database"
    config.define(
        TABLE_WHITELIST,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "List of tables to include in copying. If specified, table.blacklist may not be set.",
        group=group,
        order_in_group=10,
    )
    config.define(
        TABLE_BLACKLIST,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "List of tables to exclude from copying. If specified, table.whitelist may not be set.",
        group=group,
        order_in_group=11,
    )
    config.define(
        TABLE_INCLUDE_LIST,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "List of tables to include in copying (the newer name of table.whitelist).",
        group=group,
        order_in_group=12,
    )
    config.define(
        TABLE_EXCLUDE_LIST,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "List of tables to exclude from copying (the newer name of table.blacklist).",
        group=group,
        order_in_group=13,
    )
    config.define(
        CATALOG_PATTERN,
        Type.STRING,
        None,
        Importance.MEDIUM,
        "Catalog pattern to fetch table metadata from the database (accepted, tables are filtered by schema).",
        group=group,
        order_in_group=14,
    )
    config.define(
        SCHEMA_PATTERN,
        Type.STRING,
        None,
        Importance.MEDIUM,
        "Schema pattern to fetch table metadata from the database: only tables of this schema are "
        "copied; unset copies tables of every schema.",
        group=group,
        order_in_group=15,
    )
    config.define(
        NUMERIC_MAPPING,
        Type.STRING,
        NUMERIC_NONE,
        Importance.LOW,
        "Map NUMERIC values by precision and optionally scale to integral or decimal types: none (Decimal), "
        "precision_only, best_fit, best_fit_eager_double.",
        ValidString.in_(*NUMERIC_MAPPINGS),
        group=group,
        order_in_group=16,
    )
    group = "Mode"
    config.define(
        MODE,
        Type.STRING,
        "",
        Importance.HIGH,
        "The mode for updating a table each time it is polled: bulk, timestamp, incrementing, timestamp+incrementing.",
        ValidString.in_("", *MODES),
        group=group,
        order_in_group=1,
    )
    config.define(
        INCREMENTING_COLUMN_NAME,
        Type.STRING,
        "",
        Importance.MEDIUM,
        "The name of the strictly incrementing column to use to detect new rows. An empty value "
        "autodetects the table's single-column integer primary key.",
        group=group,
        order_in_group=2,
    )
    config.define(
        TIMESTAMP_COLUMN_NAME,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "Comma separated list of one or more timestamp columns to detect new or modified rows using the COALESCE SQL function.",
        group=group,
        order_in_group=3,
    )
    config.define(
        TIMESTAMP_INITIAL,
        Type.LONG,
        None,
        Importance.LOW,
        "The epoch timestamp (ms) used for initial queries that use timestamp criteria; -1 uses the "
        "current time. Unset, all data is retrieved.",
        group=group,
        order_in_group=4,
    )
    config.define(
        VALIDATE_NON_NULL,
        Type.BOOLEAN,
        True,
        Importance.LOW,
        "By default, the connector validates that all incrementing and timestamp columns are NOT NULL.",
        group=group,
        order_in_group=5,
    )
    config.define(
        QUERY,
        Type.STRING,
        "",
        Importance.MEDIUM,
        "If specified, the query to perform to select new or updated rows; the whole-table copy is "
        "disabled. The incremental modes append a WHERE clause to it.",
        group=group,
        order_in_group=6,
    )
    config.define(
        QUERY_SUFFIX, Type.STRING, "", Importance.LOW, "Suffix to append at the end of the generated query.", group=group, order_in_group=7
    )
    group = "Connector"
    config.define(
        POLL_INTERVAL_MS,
        Type.INT,
        5000,
        Importance.HIGH,
        "Frequency in ms to poll for new data in each table.",
        Range.at_least(1),
        group=group,
        order_in_group=1,
    )
    config.define(
        BATCH_MAX_ROWS,
        Type.INT,
        100,
        Importance.LOW,
        "Maximum number of rows to include in a single batch when polling for new data.",
        Range.at_least(1),
        group=group,
        order_in_group=2,
    )
    config.define(
        TABLE_POLL_INTERVAL_MS,
        Type.LONG,
        60000,
        Importance.LOW,
        "Frequency in ms to poll for new or removed tables, which may result in updated task "
        "configurations to start polling for data in added tables.",
        group=group,
        order_in_group=3,
    )
    config.define(
        TOPIC_PREFIX,
        Type.STRING,
        NO_DEFAULT_VALUE,
        Importance.HIGH,
        "Prefix to prepend to table names to generate the name of the Kafka topic to publish data to, or "
        "in the case of a custom query, the full name of the topic to publish to.",
        group=group,
        order_in_group=4,
    )
    config.define(
        TIMESTAMP_DELAY_INTERVAL_MS,
        Type.LONG,
        0,
        Importance.HIGH,
        "How long to wait after a row with certain timestamp appears before we include it in the result.",
        Range.at_least(0),
        group=group,
        order_in_group=5,
    )
    return config


CONFIG_DEF = _base()
TASK_CONFIG_DEF = ConfigDef(CONFIG_DEF).define(TABLES, Type.LIST, "", Importance.HIGH, "List of tables for this task to watch for changes.")


@dataclass(frozen=True)
class JdbcSourceConfig:
    connection_url: str
    connection_user: str | None
    connection_password: str | None
    connection_attempts: int
    connection_backoff_ms: int
    quote_sql_identifiers: str
    table_types: tuple[str, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    schema_pattern: str | None
    mode: str
    incrementing_column_name: str
    timestamp_column_names: tuple[str, ...]
    timestamp_initial: int | None
    validate_non_null: bool
    query: str
    query_suffix: str
    poll_interval_ms: int
    batch_max_rows: int
    table_poll_interval_ms: int
    topic_prefix: str
    timestamp_delay_interval_ms: int
    numeric_mapping: str

    @classmethod
    def _values(cls, definition: ConfigDef, props: Mapping[str, str]) -> dict[str, Any]:
        v = definition.parse(props)
        mode = v[MODE]
        if not mode:
            raise ConfigException(MODE, mode, "String must be one of: " + ", ".join(MODES))
        common.check_dialect(v[common.CONNECTION_URL], v[common.DIALECT_NAME])
        include = tuple(v[TABLE_WHITELIST] or v[TABLE_INCLUDE_LIST])
        exclude = tuple(v[TABLE_BLACKLIST] or v[TABLE_EXCLUDE_LIST])
        if include and exclude:
            raise ConfigException.of(f"{TABLE_WHITELIST} and {TABLE_BLACKLIST} are exclusive.")
        if v[QUERY] and (include or exclude):
            raise ConfigException.of(f"Do not specify table filtering configs with '{QUERY}'")
        if mode in ("incrementing", "timestamp+incrementing") and v[QUERY] and not v[INCREMENTING_COLUMN_NAME]:
            raise ConfigException(INCREMENTING_COLUMN_NAME, "", f"Required with {MODE}={mode} and a {QUERY}")
        if mode in ("timestamp", "timestamp+incrementing") and not v[TIMESTAMP_COLUMN_NAME]:
            raise ConfigException(TIMESTAMP_COLUMN_NAME, "", f"At least one timestamp column is required with {MODE}={mode}")
        return {
            "connection_url": v[common.CONNECTION_URL],
            "connection_user": v[common.CONNECTION_USER],
            "connection_password": common.password(v[common.CONNECTION_PASSWORD]),
            "connection_attempts": v[common.CONNECTION_ATTEMPTS],
            "connection_backoff_ms": v[common.CONNECTION_BACKOFF],
            "quote_sql_identifiers": v[common.QUOTE_SQL_IDENTIFIERS],
            "table_types": tuple(v[common.TABLE_TYPES]),
            "include": include,
            "exclude": exclude,
            "schema_pattern": v[SCHEMA_PATTERN],
            "mode": mode,
            "incrementing_column_name": v[INCREMENTING_COLUMN_NAME],
            "timestamp_column_names": tuple(v[TIMESTAMP_COLUMN_NAME]),
            "timestamp_initial": v[TIMESTAMP_INITIAL],
            "validate_non_null": v[VALIDATE_NON_NULL],
            "query": v[QUERY],
            "query_suffix": v[QUERY_SUFFIX],
            "poll_interval_ms": v[POLL_INTERVAL_MS],
            "batch_max_rows": v[BATCH_MAX_ROWS],
            "table_poll_interval_ms": v[TABLE_POLL_INTERVAL_MS],
            "topic_prefix": v[TOPIC_PREFIX],
            "timestamp_delay_interval_ms": v[TIMESTAMP_DELAY_INTERVAL_MS],
            "numeric_mapping": v[NUMERIC_MAPPING],
        }

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> JdbcSourceConfig:
        return cls(**cls._values(CONFIG_DEF, props))


@dataclass(frozen=True)
class JdbcSourceTaskConfig(JdbcSourceConfig):
    tables: tuple[str, ...] = ()

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> JdbcSourceTaskConfig:
        values = cls._values(TASK_CONFIG_DEF, props)
        return cls(**values, tables=tuple(TASK_CONFIG_DEF.parse(props)[TABLES]))
