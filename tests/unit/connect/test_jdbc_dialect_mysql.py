"""MySqlDatabaseDialect without a server: Connector/J's and MariaDB Connector/J's URLs, backtick quoting, the
ON DUPLICATE KEY UPDATE upsert and Confluent's MySQL column types (tests/integration/test_connect_mariadb.py runs
them against a real MariaDB)."""

from __future__ import annotations

import pytest

from strom.connect.connectors.jdbc.dialect import SinkRecordField, TableId, dialect_for
from strom.connect.connectors.jdbc.dialect_mysql import MySqlDatabaseDialect
from strom.connect.connectors.jdbc.url import parse_jdbc_url
from strom.connect.data import Date, Decimal, SchemaBuilder, Time, Timestamp


def test_urls_of_both_drivers() -> None:
    url = parse_jdbc_url("jdbc:mysql://db.example:3307/shop?user=u&password=p&useSSL=true&serverTimezone=UTC&connectTimeout=2500")
    assert url.subprotocol == "mysql"
    assert url.params == {
        "host": "db.example",
        "port": "3307",
        "database": "shop",
        "user": "u",
        "password": "p",
        "ssl": "true",
        "connect_timeout": "3",
    }
    url = parse_jdbc_url("jdbc:mariadb://app:s%40cret@[::1]/shop")
    assert url.params == {"user": "app", "password": "s@cret", "host": "::1", "port": "3306", "database": "shop"}
    assert parse_jdbc_url("jdbc:mysql://h").params == {"host": "h", "port": "3306"}
    assert isinstance(dialect_for("jdbc:mariadb://h/db"), MySqlDatabaseDialect)
    for bad in ("jdbc:mysql:db", "jdbc:mysql://h1,h2/db", "jdbc:mysql://h/db?frobnicate=1"):
        with pytest.raises(ValueError):
            parse_jdbc_url(bad)


def test_statements_quote_with_backticks() -> None:
    d = dialect_for("jdbc:mysql://h/db")
    t = TableId(None, "shop", "or`ders")
    assert d.upsert_statement(t, ["id"], ["a", "b"]) == (
        "INSERT INTO `shop`.`or``ders` (`id`, `a`, `b`) VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE `a`=VALUES(`a`), `b`=VALUES(`b`)"
    )
    assert d.upsert_statement(t, ["id"], []).endswith("ON DUPLICATE KEY UPDATE `id`=VALUES(`id`)")
    assert d.delete_statement(t, ["id"]) == "DELETE FROM `shop`.`or``ders` WHERE `id` = %s"


def test_confluents_column_types() -> None:
    d = dialect_for("jdbc:mysql://h/db")
    assert [d.sql_type(s) for s in (SchemaBuilder.int8().build(), SchemaBuilder.bool().build(), SchemaBuilder.bytes().build())] == [
        "TINYINT",
        "TINYINT",
        "VARBINARY(1024)",
    ]
    assert d.sql_type(Decimal.schema(3)) == "DECIMAL(65,3)"
    assert [d.sql_type(s) for s in (Date.SCHEMA, Time.SCHEMA, Timestamp.SCHEMA)] == ["DATE", "TIME(3)", "DATETIME(3)"]
    create = d.create_table_statement(
        TableId(None, None, "t"),
        [
            SinkRecordField("k", SchemaBuilder.string().build(), True),
            SinkRecordField("v", SchemaBuilder.string().optional().default_value("a\\b'c").build(), False),
        ],
    )
    assert create == "CREATE TABLE `t` (\n`k` VARCHAR(255) NOT NULL,\n`v` TEXT DEFAULT 'a\\\\b''c' NULL,\nPRIMARY KEY(`k`))"
