"""Confluent's `connection.url` (a JDBC URL) read into what Python's database drivers take.

Users copy their connector configs from a Java deployment, so the URL stays a JDBC URL:
`jdbc:sqlite:/path/to.db`, `jdbc:sqlite::memory:`, `jdbc:postgresql://host:port/db?user=u&password=p`,
`jdbc:mysql://host:port/db` and `jdbc:mariadb://host:port/db` (MySQL's and MariaDB's drivers)."""

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
    # mysql, mariadb: PyMySQL's connect() arguments (host, port, database, user, password, connect_timeout, ssl).
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
    if subprotocol in ("mysql", "mariadb"):
        return JdbcUrl(subprotocol, params=_mysql_params(url, rest))
    raise ValueError(f"No dialect for JDBC subprotocol '{subprotocol}' in {url} (supported: sqlite, postgresql, mysql, mariadb)")


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


# Connector/J and MariaDB Connector/J properties the connector honours, or may ignore: the session time zone is
# always UTC (db.timezone), batches are always rewritten into multi-row INSERTs, strings are always utf8mb4.
_MYSQL_IGNORED = frozenset(
    {
        "serverTimezone",
        "connectionTimeZone",
        "forceConnectionTimeZoneToSession",
        "rewriteBatchedStatements",
        "useServerPrepStmts",
        "cachePrepStmts",
        "allowPublicKeyRetrieval",
        "useUnicode",
        "characterEncoding",
        "autoReconnect",
        "useLegacyDatetimeCode",
        "useJDBCCompliantTimezoneShift",
        "tinyInt1isBit",
    }
)


def _mysql_params(url: str, rest: str) -> dict[str, str]:
    """Connector/J's and MariaDB Connector/J's single-host form: //[user[:password]@]host[:port]/[db][?props]."""
    if not rest.startswith("//"):
        raise ValueError(f"Not a MySQL/MariaDB JDBC URL (expected //host:port/database): {url}")
    rest, _, query = rest[2:].partition("?")
    hostport, _, database = rest.partition("/")
    params: dict[str, str] = {}
    if "@" in hostport:
        userinfo, _, hostport = hostport.rpartition("@")
        user, sep, password = userinfo.partition(":")
        params["user"] = urllib.parse.unquote(user)
        if sep:
            params["password"] = urllib.parse.unquote(password)
    if "," in hostport:
        raise ValueError(f"Multi-host MySQL/MariaDB URLs are not supported: {url}")
    if hostport.startswith("["):  # [ipv6]:port
        host, _, port = hostport[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = hostport.partition(":")
    params["host"] = host or "localhost"
    params["port"] = port or "3306"
    if database:
        params["database"] = urllib.parse.unquote(database)
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key in ("user", "password"):
            params[key] = value
        elif key == "connectTimeout":  # milliseconds; PyMySQL takes whole seconds
            params["connect_timeout"] = str(max(1, -(-int(value) // 1000)))
        elif key in ("useSSL", "useSsl", "sslMode", "sslmode"):
            if value.lower() in ("true", "required", "require", "verify_ca", "verify_identity", "verify-full"):
                params["ssl"] = value.lower()
        elif key not in _MYSQL_IGNORED:
            raise ValueError(f"Unsupported MySQL/MariaDB JDBC property '{key}' in {url}")
    return params
