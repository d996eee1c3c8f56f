"""Debezium-compatible PostgreSQL change data capture: pgoutput logical replication to Debezium change events."""
