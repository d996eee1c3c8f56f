"""Confluent's `connection.url` (a JDBC URL) read into what Python's database drivers take.

Users copy their connector configs from a Java deployment, so the URL stays a JDBC URL:
`jdbc:sqlite:/path/to.db`, `jdbc:sqlite::memory:`, `jdbc:postgresql://host:port/db?user=u&password=p`."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

# JDBC driver properties of PostgreSQL's driver (pgjdbc) that have a libpq twin.
_PGJDBC_TO_LIBPQ = {
    "user": "user",
    "password": "password",
    "sslmode": "sslmode",
    "sslcert": "sslcert",
    "sslkey": "sslkey",
    "sslrootcert": "sslrootcert",
    "connectTimeout": "connect_timeout",
    "ApplicationName": "application_name",
    "applicationName": "application_name",
    "options": "options",
}


@dataclass(frozen=True)
class JdbcUrl:
    """A parsed connection.url: the subprotocol names the dialect, the rest is the driver's."""

    subprotocol: str
    # sqlite: the database file path (or ":memory:"); postgresql: empty.
    path: str = ""
    # postgresql: libpq keyword arguments (host, port, dbname, user, password, sslmode, ...).
    params: dict[str, str] = field(default_factory=dict)


def parse_jdbc_url(url: str) -> JdbcUrl:
    """Reads `jdbc:<subprotocol>:<rest>`; ValueError names what is wrong."""
    if not url.startswith("jdbc:"):
        raise ValueError(f"Not a JDBC URL (it must start with 'jdbc:'): {url}")
    subprotocol, sep, rest = url[len("jdbc:") :].partition(":")
    if not sep:
        raise ValueError(f"Not a JDBC URL (no subprotocol): {url}")
    subprotocol = subprotocol.lower()
    if subprotocol == "sqlite":
        path = rest.split("?", 1)[0]
        if path.startswith("file:"):
            path = urllib.parse.urlparse(path).path
        if not path:
            raise ValueError(f"No database file in {url}")
        return JdbcUrl("sqlite", path=path)
    if subprotocol == "postgresql":
        return JdbcUrl("postgresql", params=_postgres_params(url, rest))
    raise ValueError(f"No dialect for JDBC subprotocol '{subprotocol}' in {url} (supported: sqlite, postgresql)")


def _postgres_params(url: str, rest: str) -> dict[str, str]:
    """pgjdbc's forms: //host[:port]/db, //host[:port]/, /db-less 'db', each with ?key=value properties."""
    rest, _, query = rest.partition("?")
    params: dict[str, str] = {}
    if rest.startswith("//"):
        hostport, _, dbname = rest[2:].partition("/")
        # A comma-separated host list is libpq's multi-host form too.
        hosts, ports = [], []
        for hp in hostport.split(","):
            if hp.startswith("["):  # [ipv6]:port
                host, _, port = hp[1:].partition("]")
                port = port.lstrip(":")
            else:
                host, _, port = hp.partition(":")
            hosts.append(host or "localhost")
            ports.append(port or "5432")
        params["host"] = ",".join(hosts)
        params["port"] = ",".join(ports)
    else:
        dbname = rest
        params["host"] = "localhost"
        params["port"] = "5432"
    if dbname:
        params["dbname"] = urllib.parse.unquote(dbname)
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key == "currentSchema":
            params["options"] = f"-c search_path={value}"
        elif key == "ssl" and value.lower() == "true":
            params.setdefault("sslmode", "require")
        elif key in _PGJDBC_TO_LIBPQ:
            params[_PGJDBC_TO_LIBPQ[key]] = value
        else:
            raise ValueError(f"Unsupported PostgreSQL JDBC property '{key}' in {url}")
    return params
