"""Debian's real PostgreSQL as a process on a free loopback port, for the JDBC and CDC connector tests.

A fresh cluster in a temp dir: `initdb` (trust authentication, superuser `postgres`, UTF8), then `postgres`
with `wal_level=logical` and replication slots, so logical decoding (pgoutput) works. PostgreSQL refuses to run
as root, so under root the data directory is handed to the `postgres` system user (the Debian package creates
it) and the server runs as that user. Durability is traded for speed (fsync=off): this is a test server.
When PostgreSQL is not installed the fixture fails saying how to install it -- tests never skip silently.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.broker import free_port
from strom.testing.process import ServerProcess

SERVER_USER = "postgres"


class PostgresNotInstalled(RuntimeError):
    pass


def postgres_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin (Debian's layout), or $STROM_PG_BIN, or `pg_config --bindir`."""
    override = os.environ.get("STROM_PG_BIN")
    candidates = [Path(override)] if override else []
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    candidates += reversed(versions)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            candidates.append(Path(out))
    for c in candidates:
        if (c / "initdb").exists() and (c / "postgres").exists():
            return c
    raise PostgresNotInstalled("PostgreSQL is not installed: run scripts/install-system-deps.sh (apt-get install -y postgresql)")


class PostgresServer(ServerProcess):
    """One PostgreSQL cluster; stop() and start() again keep the data (a database restart)."""

    name = "PostgreSQL"
    stop_timeout = 20.0

    def __init__(self, data_dir: Path | None = None, port: int | None = None, max_replication_slots: int = 20) -> None:
        super().__init__(data_dir, "strom-pg-", "postgres.log")
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.user = SERVER_USER
        self.max_replication_slots = max_replication_slots
        self.bin_dir = postgres_bin_dir()
        self._run_as: int | None = None  # uid to drop to when we are root
        self._run_gid: int | None = None

    @property
    def pgdata(self) -> Path:
        return self.base / "data"

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string (psycopg/psycopg2)."""
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def jdbc_url(self, dbname: str = "postgres") -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{dbname}"

    def _drop_privileges_if_root(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            entry = pwd.getpwnam(SERVER_USER)
        except KeyError as exc:
            raise PostgresNotInstalled(f"running as root and there is no '{SERVER_USER}' user to run PostgreSQL as") from exc
        self._run_as, self._run_gid = entry.pw_uid, entry.pw_gid
        # The temp dir is root's 0700: the server user must reach its data dir and write its log there.
        os.chown(self.base, entry.pw_uid, entry.pw_gid)

    def _preexec(self) -> None:
        if self._run_gid is not None and self._run_as is not None:
            os.setgid(self._run_gid)
            os.setuid(self._run_as)

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, check=False, preexec_fn=self._preexec, env=self._env(), cwd=self.base)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        env["LANG"] = "C.UTF-8"
        return env

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        initdb = [str(self.bin_dir / "initdb"), "-D", str(self.pgdata), "-U", SERVER_USER, "--auth=trust"]
        res = self._run([*initdb, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        if res.returncode != 0:
            raise RuntimeError(f"initdb failed ({res.returncode}): {res.stdout[-1000:]} {res.stderr[-2000:]}")
        conf = [
            f"port = {self.port}",
            f"listen_addresses = '{self.host}'",
            f"unix_socket_directories = '{self.base}'",
            "wal_level = logical",
            f"max_replication_slots = {self.max_replication_slots}",
            f"max_wal_senders = {self.max_replication_slots}",
            "max_connections = 100",
            "shared_buffers = 32MB",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "wal_sender_timeout = 0",
            "logging_collector = off",
            "",
        ]
        with open(self.pgdata / "postgresql.conf", "a") as f:
            f.write("\n".join(conf))

    def is_ready(self) -> bool:
        res = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", self.host, "-p", str(self.port), "-U", SERVER_USER, "-d", "postgres", "-t", "1"],
            capture_output=True,
            check=False,
            env=self._env(),
        )
        return res.returncode == 0

    def start(self, timeout: float = 60.0) -> PostgresServer:
        self.base.mkdir(parents=True, exist_ok=True)
        self._drop_privileges_if_root()
        self._initdb()
        args = [str(self.bin_dir / "postgres"), "-D", str(self.pgdata)]
        out = open(self.output_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=self._preexec, env=self._env(), cwd=self.base)
        out.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.output()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.name} did not start in {timeout}s: {self.output()[-2000:]}")
            time.sleep(0.1)

    def stop(self, timeout: float | None = None) -> int | None:
        """A fast shutdown (SIGINT): SIGTERM's smart shutdown would wait for every client to disconnect."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(self.stop_timeout if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def _conn_args(self, dbname: str) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", SERVER_USER, "-d", dbname]

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Runs SQL through psql (no Python driver needed); returns the unaligned, tuples-only output."""
        res = subprocess.run(
            [str(self.bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", *self._conn_args(dbname), "-c", sql],
            capture_output=True,
            text=True,
            check=False,
            env=self._env(),
        )
        if res.returncode != 0:
            raise RuntimeError(f"psql failed: {res.stderr.strip()}")
        return res.stdout.strip()

    def create_database(self, name: str) -> str:
        """Creates database `name` (a test's own, to isolate tests sharing one server); returns its DSN."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.dsn(name)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL per test module; tests isolate themselves with their own database (create_database)."""
    try:
        server = PostgresServer().start()
    except PostgresNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.close()
