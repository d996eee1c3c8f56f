"""strom.testing.postgres: the PostgreSQL the JDBC and CDC connector tests run against."""

from __future__ import annotations

from strom.testing.postgres import PostgresServer, postgres  # noqa: F401 - fixture


def test_server_is_ready_for_logical_decoding(postgres: PostgresServer) -> None:  # noqa: F811
    assert postgres.psql("SHOW wal_level") == "logical"
    assert int(postgres.psql("SHOW max_replication_slots")) >= 10
    assert postgres.psql("SELECT current_user") == "postgres"
    assert postgres.jdbc_url("db") == f"jdbc:postgresql://127.0.0.1:{postgres.port}/db"


def test_restart_keeps_databases(postgres: PostgresServer) -> None:  # noqa: F811
    postgres.create_database("harness_restart")
    postgres.psql("CREATE TABLE t (id int primary key); INSERT INTO t VALUES (7)", "harness_restart")
    postgres.stop()
    assert not postgres.is_ready()
    postgres.start()
    assert postgres.psql("SELECT id FROM t", "harness_restart") == "7"
