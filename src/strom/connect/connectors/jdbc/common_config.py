"""Settings both JDBC connectors share, with Confluent's names, defaults and documentation."""

from __future__ import annotations

from typing import Any

from strom.connect.config import (
    ConfigDef,
    ConfigException,
    Importance,
    LambdaValidator,
    Password,
    Range,
    Type,
    ValidString,
)

from .dialect import QUOTE_ALWAYS, QUOTE_NEVER
from .url import parse_jdbc_url

CONNECTION_URL = "connection.url"
CONNECTION_USER = "connection.user"
CONNECTION_PASSWORD = "connection.password"
CONNECTION_ATTEMPTS = "connection.attempts"
CONNECTION_BACKOFF = "connection.backoff.ms"
DIALECT_NAME = "dialect.name"
QUOTE_SQL_IDENTIFIERS = "quote.sql.identifiers"
DB_TIMEZONE = "db.timezone"
TABLE_TYPES = "table.types"

DIALECT_NAMES = ("", "SqliteDatabaseDialect", "PostgreSqlDatabaseDialect", "MySqlDatabaseDialect")
_DIALECT_OF_SUBPROTOCOL = {
    "sqlite": "SqliteDatabaseDialect",
    "postgresql": "PostgreSqlDatabaseDialect",
    "mysql": "MySqlDatabaseDialect",
    "mariadb": "MySqlDatabaseDialect",
}


def _check_url(name: str, value: Any) -> None:
    if value is None:
        return
    try:
        parse_jdbc_url(value)
    except ValueError as exc:
        raise ConfigException(name, value, str(exc)) from None


def _check_timezone(name: str, value: Any) -> None:
    if value not in ("UTC", "Z", "Etc/UTC", "GMT"):
        raise ConfigException(name, value, "Only UTC is supported: timestamps are written and read as UTC")


def define_connection(config: ConfigDef) -> ConfigDef:
    group = "Connection"
    return (
        config.define(
            CONNECTION_URL,
            Type.STRING,
            documentation="JDBC connection URL, e.g. jdbc:postgresql://host:5432/db, jdbc:mysql://host:3306/db or jdbc:sqlite:/path/to.db.",
            importance=Importance.HIGH,
            validator=LambdaValidator.with_(
                _check_url, lambda: "jdbc:sqlite:<path>, jdbc:postgresql://..., jdbc:mysql://... or jdbc:mariadb://..."
            ),
            group=group,
            order_in_group=1,
        )
        .define(CONNECTION_USER, Type.STRING, None, Importance.HIGH, "JDBC connection user.", group=group, order_in_group=2)
        .define(CONNECTION_PASSWORD, Type.PASSWORD, None, Importance.HIGH, "JDBC connection password.", group=group, order_in_group=3)
        .define(
            CONNECTION_ATTEMPTS,
            Type.INT,
            3,
            Importance.LOW,
            "Maximum number of attempts to retrieve a valid JDBC connection. Must be a positive integer.",
            Range.at_least(1),
            group=group,
            order_in_group=4,
        )
        .define(
            CONNECTION_BACKOFF,
            Type.LONG,
            10000,
            Importance.LOW,
            "Backoff time in milliseconds between connection attempts.",
            group=group,
            order_in_group=5,
        )
        .define(
            DIALECT_NAME,
            Type.STRING,
            "",
            Importance.LOW,
            "The name of the database dialect that should be used for this connector. By default this is empty, "
            "and the connector automatically determines the dialect based upon the JDBC connection URL.",
            ValidString.in_(*DIALECT_NAMES),
            group=group,
            order_in_group=6,
        )
        .define(
            QUOTE_SQL_IDENTIFIERS,
            Type.STRING,
            QUOTE_ALWAYS,
            Importance.MEDIUM,
            "When to quote table names, column names, and other identifiers in SQL statements.",
            ValidString.in_(QUOTE_ALWAYS, QUOTE_NEVER),
            group=group,
            order_in_group=7,
        )
        .define(
            DB_TIMEZONE,
            Type.STRING,
            "UTC",
            Importance.MEDIUM,
            "Name of the JDBC timezone used in the connector when querying with time-based criteria (UTC only).",
            LambdaValidator.with_(_check_timezone, lambda: "UTC"),
            group=group,
            order_in_group=8,
        )
        .define(
            TABLE_TYPES,
            Type.LIST,
            "TABLE",
            Importance.LOW,
            "The comma-separated types of database tables: TABLE, VIEW.",
            group=group,
            order_in_group=9,
        )
    )


def password(value: Any) -> str | None:
    return value.value() if isinstance(value, Password) else value


def check_dialect(url: str, dialect_name: str) -> None:
    """dialect.name, when set, must be the URL's dialect (no other dialect can drive the URL's driver)."""
    expected = _DIALECT_OF_SUBPROTOCOL[parse_jdbc_url(url).subprotocol]
    if dialect_name and dialect_name != expected:
        raise ConfigException(DIALECT_NAME, dialect_name, f"The connection.url needs {expected}")
