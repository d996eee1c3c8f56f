"""JdbcSinkConfig: Confluent's sink settings (names, defaults, validation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from strom.connect.config import ConfigDef, ConfigException, Importance, Range, Type, ValidString

from . import common_config as common
from . import fields_metadata
from .writer import INSERT, INSERT_MODES, WriterConfig

INSERT_MODE = "insert.mode"
BATCH_SIZE = "batch.size"
DELETE_ENABLED = "delete.enabled"
TABLE_NAME_FORMAT = "table.name.format"
PK_MODE = "pk.mode"
PK_FIELDS = "pk.fields"
FIELDS_WHITELIST = "fields.whitelist"
AUTO_CREATE = "auto.create"
AUTO_EVOLVE = "auto.evolve"
MAX_RETRIES = "max.retries"
RETRY_BACKOFF_MS = "retry.backoff.ms"


def _define() -> ConfigDef:
    config = common.define_connection(ConfigDef())
    group = "Writes"
    config.define(
        INSERT_MODE,
        Type.STRING,
        INSERT,
        Importance.HIGH,
        "The insertion mode to use: insert (standard INSERT), upsert (the database's upsert, "
        "INSERT .. ON CONFLICT .. DO UPDATE), update (UPDATE).",
        ValidString.in_(*INSERT_MODES),
        group=group,
        order_in_group=1,
    )
    config.define(
        BATCH_SIZE,
        Type.INT,
        3000,
        Importance.MEDIUM,
        "Specifies how many records to attempt to batch together for insertion into the destination table, when possible.",
        Range.at_least(0),
        group=group,
        order_in_group=2,
    )
    config.define(
        DELETE_ENABLED,
        Type.BOOLEAN,
        False,
        Importance.MEDIUM,
        "Whether to treat null record values as deletes. Requires pk.mode to be record_key.",
        group=group,
        order_in_group=3,
    )
    group = "Data Mapping"
    config.define(
        TABLE_NAME_FORMAT,
        Type.STRING,
        "${topic}",
        Importance.MEDIUM,
        "A format string for the destination table name, which may contain '${topic}' as a placeholder for the originating topic name.",
        group=group,
        order_in_group=1,
    )
    config.define(
        PK_MODE,
        Type.STRING,
        fields_metadata.PK_NONE,
        Importance.HIGH,
        "The primary key mode: none, kafka, record_key, record_value.",
        ValidString.in_(*fields_metadata.PK_MODES),
        group=group,
        order_in_group=2,
    )
    config.define(
        PK_FIELDS,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "List of comma-separated primary key field names. The runtime interpretation depends on pk.mode.",
        group=group,
        order_in_group=3,
    )
    config.define(
        FIELDS_WHITELIST,
        Type.LIST,
        "",
        Importance.MEDIUM,
        "List of comma-separated record value field names. If empty, all fields from the record value "
        "are utilized, otherwise used to filter to the desired fields.",
        group=group,
        order_in_group=4,
    )
    group = "DDL Support"
    config.define(
        AUTO_CREATE,
        Type.BOOLEAN,
        False,
        Importance.MEDIUM,
        "Whether to automatically create the destination table based on record schema if it is found to be missing by issuing CREATE.",
        group=group,
        order_in_group=1,
    )
    config.define(
        AUTO_EVOLVE,
        Type.BOOLEAN,
        False,
        Importance.MEDIUM,
        "Whether to automatically add columns in the table schema when found to be missing relative to the record schema by issuing ALTER.",
        group=group,
        order_in_group=2,
    )
    group = "Retries"
    config.define(
        MAX_RETRIES,
        Type.INT,
        10,
        Importance.MEDIUM,
        "The maximum number of times to retry on errors before failing the task.",
        Range.at_least(0),
        group=group,
        order_in_group=1,
    )
    config.define(
        RETRY_BACKOFF_MS,
        Type.INT,
        3000,
        Importance.MEDIUM,
        "The time in milliseconds to wait following an error before a retry attempt is made.",
        Range.at_least(0),
        group=group,
        order_in_group=2,
    )
    return config


CONFIG_DEF = _define()


@dataclass(frozen=True)
class JdbcSinkConfig:
    connection_url: str
    connection_user: str | None
    connection_password: str | None
    connection_attempts: int
    connection_backoff_ms: int
    quote_sql_identifiers: str
    max_retries: int
    retry_backoff_ms: int
    writer: WriterConfig

    @classmethod
    def parse(cls, props: Mapping[str, str]) -> JdbcSinkConfig:
        v = CONFIG_DEF.parse(props)
        common.check_dialect(v[common.CONNECTION_URL], v[common.DIALECT_NAME])
        if v[DELETE_ENABLED] and v[PK_MODE] != fields_metadata.PK_RECORD_KEY:
            raise ConfigException(DELETE_ENABLED, v[DELETE_ENABLED], "Delete support only works with pk.mode=record_key")
        writer = WriterConfig(
            connector_name=props.get("name", ""),
            insert_mode=v[INSERT_MODE],
            pk_mode=v[PK_MODE],
            pk_fields=tuple(v[PK_FIELDS]),
            fields_whitelist=tuple(v[FIELDS_WHITELIST]),
            table_name_format=v[TABLE_NAME_FORMAT],
            batch_size=max(1, v[BATCH_SIZE]),
            delete_enabled=v[DELETE_ENABLED],
            auto_create=v[AUTO_CREATE],
            auto_evolve=v[AUTO_EVOLVE],
        )
        return cls(
            connection_url=v[common.CONNECTION_URL],
            connection_user=v[common.CONNECTION_USER],
            connection_password=common.password(v[common.CONNECTION_PASSWORD]),
            connection_attempts=v[common.CONNECTION_ATTEMPTS],
            connection_backoff_ms=v[common.CONNECTION_BACKOFF],
            quote_sql_identifiers=v[common.QUOTE_SQL_IDENTIFIERS],
            max_retries=v[MAX_RETRIES],
            retry_backoff_ms=v[RETRY_BACKOFF_MS],
            writer=writer,
        )
