"""JDBC source and sink connectors with the config names and behaviour of Confluent's kafka-connect-jdbc
(io.confluent.connect.jdbc.JdbcSourceConnector / JdbcSinkConnector), on SQLite (sqlite3) and PostgreSQL
(psycopg 3)."""

from .sink_connector import JdbcSinkConnector, JdbcSinkTask
from .source_connector import JdbcSourceConnector
from .source_task import JdbcSourceTask

__all__ = ["JdbcSinkConnector", "JdbcSinkTask", "JdbcSourceConnector", "JdbcSourceTask"]
