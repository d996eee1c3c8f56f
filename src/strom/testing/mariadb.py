"""Debian's real MariaDB as a process on a free loopback port, for the JDBC connectors' MySQL/MariaDB dialect.

A fresh data directory in a temp dir (a copy of one `mariadb-install-db` made once per machine: root with
password-less native authentication over the server's own socket), then `mariadbd` on 127.0.0.1 and that
socket, with no system service and no config file read (--no-defaults). A user with a password (`strom`, all
privileges) is created so the tests connect as Confluent's connectors do, with connection.user /
connection.password. MariaDB refuses to run as root, so under root the temp dir is handed to the `mysql` system
user (the Debian package creates it). Durability is traded for speed: this is a test server. When MariaDB is not
installed the fixture fails saying how to install it -- tests never skip silently.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from strom.testing.broker import free_port
from strom.testing.process import ServerProcess

SERVER_USER = "mysql"
USER = "strom"
PASSWORD = "strom-secret"
# Small InnoDB files and no fsync per commit: starts in ~2 s and takes ~80 MB.
_INNODB = [
    "--innodb-log-file-size=8M",
    "--innodb-buffer-pool-size=32M",
    "--innodb-data-file-path=ibdata1:4M:autoextend",
]


class MariaDbNotInstalled(RuntimeError):
    pass


def _binary(name: str) -> str:
    for directory in (os.environ.get("STROM_MARIADB_BIN"), "/usr/sbin", "/usr/bin"):
        if directory and (Path(directory) / name).exists():
            return str(Path(directory) / name)
    found = shutil.which(name)
    if found:
        return found
    raise MariaDbNotInstalled("MariaDB is not installed: run scripts/install-system-deps.sh (apt-get install -y mariadb-server)")


class MariaDbServer(ServerProcess):
    """One MariaDB server; stop() and start() again keep the data (a database restart)."""

    name = "MariaDB"
    stop_timeout = 30.0

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        super().__init__(data_dir, "strom-mariadb-", "mariadb.log")
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.user = USER
        self.password = PASSWORD
        self.mariadbd = _binary("mariadbd")
        self.install_db = _binary("mariadb-install-db")
        self.client = _binary("mariadb")
        self._run_as: str | None = None

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def socket(self) -> Path:
        return self.base / "mariadb.sock"

    def jdbc_url(self, database: str = "") -> str:
        """connection.url as Confluent's connector takes it (user and password go in connection.user/.password)."""
        return f"jdbc:mariadb://{self.host}:{self.port}/{database}"

    def _user_args(self) -> list[str]:
        return [f"--user={self._run_as}"] if self._run_as else []

    def _prepare_dirs(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        try:
            entry = pwd.getpwnam(SERVER_USER)
        except KeyError as exc:
            raise MariaDbNotInstalled(f"running as root and there is no '{SERVER_USER}' user to run MariaDB as") from exc
        self._run_as = SERVER_USER
        # The temp dir is root's 0700: the server user must reach its data dir and write its log there.
        os.chown(self.base, entry.pw_uid, entry.pw_gid)
        if self.output_path.exists():
            os.chown(self.output_path, entry.pw_uid, entry.pw_gid)

    def _install_db(self) -> None:
        """The data dir: a copy of a template initialized once per machine and MariaDB build (mariadb-install-db
        takes 2-6 s, the copy a fraction of that); `cp -a` keeps the server user's ownership."""
        if (self.datadir / "mysql").exists():
            return
        template = self._template()
        res = subprocess.run(["cp", "-a", str(template / "data"), str(self.datadir)], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"copying the MariaDB template {template} failed: {res.stderr[-2000:]}")
        self._fresh = True

    def _template(self) -> Path:
        build = os.stat(self.mariadbd)
        key = hashlib.sha1(f"{self.mariadbd}:{build.st_mtime_ns}:{build.st_size}:{_INNODB}:{self._run_as}".encode()).hexdigest()[:12]
        template = Path(tempfile.gettempdir()) / f"strom-mariadb-template-{os.geteuid()}-{key}"
        if (template / "data" / "mysql").exists():
            return template
        building = Path(tempfile.mkdtemp(prefix="strom-mariadb-template-building-"))
        try:
            if self._run_as:
                entry = pwd.getpwnam(self._run_as)
                os.chown(building, entry.pw_uid, entry.pw_gid)
            args = [self.install_db, "--no-defaults", *self._user_args(), f"--datadir={building / 'data'}"]
            args += ["--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", *_INNODB]
            res = subprocess.run(args, capture_output=True, text=True, check=False, cwd=building)
            if res.returncode != 0:
                raise RuntimeError(f"mariadb-install-db failed ({res.returncode}): {res.stdout[-1000:]} {res.stderr[-2000:]}")
            os.chmod(building, 0o755)
            try:
                os.rename(building, template)  # atomic: a template that exists is complete
            except OSError:  # another process made it first
                pass
        finally:
            shutil.rmtree(building, ignore_errors=True)
        return template

    def start(self, timeout: float = 60.0) -> MariaDbServer:
        self._fresh = False
        self._prepare_dirs()
        self._install_db()
        args = [self.mariadbd, "--no-defaults", *self._user_args(), f"--datadir={self.datadir}", f"--socket={self.socket}"]
        args += [f"--port={self.port}", f"--bind-address={self.host}", "--skip-name-resolve", f"--pid-file={self.base / 'mariadb.pid'}"]
        args += [*_INNODB, "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--skip-log-bin"]
        args += ["--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci", "--max-connections=200"]
        self._launch(args, self.is_ready, timeout, 0.1)
        if self._fresh:
            self.sql(f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'%'")
        return self

    def is_ready(self) -> bool:
        if not self.socket.exists():
            return False
        res = subprocess.run(
            [self.client, "--no-defaults", f"--socket={self.socket}", "-uroot", "-e", "SELECT 1"], capture_output=True, check=False
        )
        return res.returncode == 0

    def sql(self, sql: str, database: str = "") -> str:
        """Runs SQL as root over the socket through the `mariadb` client (no Python driver needed); returns the
        tab-separated rows without a header."""
        args = [self.client, "--no-defaults", f"--socket={self.socket}", "-uroot", "--batch", "--skip-column-names"]
        res = subprocess.run([*args, "-e", sql, *([database] if database else [])], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"mariadb failed: {res.stderr.strip()}")
        return res.stdout.strip()

    def create_database(self, name: str) -> str:
        """Creates (or empties) database `name`: a test's own, to isolate tests sharing one server; its JDBC URL."""
        self.sql(f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`")
        return self.jdbc_url(name)


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDbServer]:
    """One MariaDB per test module; tests isolate themselves with their own database (create_database)."""
    try:
        server = MariaDbServer().start()
    except MariaDbNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.close()
