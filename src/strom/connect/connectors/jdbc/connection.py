"""One database connection per task, opened with connection.attempts tries connection.backoff.ms apart and
reopened after it breaks (Confluent's CachedConnectionProvider)."""

from __future__ import annotations

import logging
import sqlite3
import time

from strom.connect.errors import ConnectException

from .dialect import DatabaseDialect, DbConnection

log = logging.getLogger("io.confluent.connect.jdbc.util.CachedConnectionProvider")


class CachedConnectionProvider:
    def __init__(
        self,
        dialect: DatabaseDialect,
        user: str | None,
        password: str | None,
        *,
        autocommit: bool,
        attempts: int = 3,
        backoff_ms: int = 10_000,
    ) -> None:
        self.dialect = dialect
        self.user = user
        self.password = password
        self.autocommit = autocommit
        self.attempts = max(1, attempts)
        self.backoff_ms = backoff_ms
        self._conn: DbConnection | None = None

    def get(self) -> DbConnection:
        if self._conn is not None:
            return self._conn
        error: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                log.debug("Attempting to open connection #%d to %s", attempt, self.dialect.name)
                self._conn = self.dialect.connect(self.user, self.password, autocommit=self.autocommit)
                return self._conn
            except Exception as exc:  # noqa: BLE001 - each driver has its own error classes
                error = exc
                log.info("Unable to connect to database on attempt %d/%d: %s", attempt, self.attempts, exc)
                if attempt < self.attempts:
                    time.sleep(self.backoff_ms / 1000)
        raise ConnectException(f"Unable to connect to the database after {self.attempts} attempts: {error}") from error

    def invalidate_if_broken(self, error: BaseException) -> None:
        """Drop the connection after an error that may have broken it; the next get() reconnects."""
        if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.OperationalError):
            return
        if self._conn is not None and not self._usable():
            self.close()

    def _usable(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        if getattr(conn, "closed", False) or getattr(conn, "broken", False):
            return False
        return True

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                log.debug("closing the connection failed", exc_info=True)
