"""Debezium-compatible PostgreSQL change data capture: pgoutput logical replication to Debezium change events.

`io.debezium.connector.postgresql.PostgresConnector` in a connector config names `PostgresConnector` here."""

from strom.connect.connectors.postgres.connector import PostgresConnector
from strom.connect.connectors.postgres.task import PostgresConnectorTask

__all__ = ["PostgresConnector", "PostgresConnectorTask"]
