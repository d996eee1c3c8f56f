"""Connectors shipped with Strom: file, JDBC, PostgreSQL CDC."""
