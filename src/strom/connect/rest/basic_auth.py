"""HTTP basic authentication of the REST API (Kafka's BasicAuthSecurityRestExtension and JaasBasicAuthFilter).

Enabled with `rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension`.
Credentials are checked against the `KafkaConnect` section of the JAAS file named by
`-Djava.security.auth.login.config=<file>` in KAFKA_OPTS, as for Kafka's worker:

    KafkaConnect {
      org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
      file="/etc/kafka/connect.password";
    };

where the file holds `user: password` (or `user=password`) lines; a file without users lets everyone in, as
PropertyFileLoginModule does. A request without valid credentials gets 401 `User cannot access the resource.`.
The internal requests between workers (POST /connectors/{name}/tasks, PUT /connectors/{name}/fence) are not
checked here: they are signed with the session key instead.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strom.connect.runtime.config_providers import read_properties
from strom.security.jaas import JaasEntry, JaasError, parse_jaas_file

log = logging.getLogger("org.apache.kafka.connect.rest.basic.auth.extension.JaasBasicAuthFilter")

BASIC_AUTH_EXTENSION = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
PROPERTY_FILE_LOGIN_MODULE = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"
CONNECT_LOGIN_MODULE = "KafkaConnect"
JAAS_CONFIG_PROPERTY = "java.security.auth.login.config"
UNAUTHORIZED = b"User cannot access the resource."

INTERNAL_REQUESTS = (
    ("POST", re.compile(r"/?connectors/([^/]+)/tasks/?")),
    ("PUT", re.compile(r"/?connectors/[^/]+/fence/?")),
)


def jaas_config_path(env: Mapping[str, str] | None = None) -> str | None:
    """The JAAS file a Java worker would read: -Djava.security.auth.login.config=... in KAFKA_OPTS."""
    opts = (os.environ if env is None else env).get("KAFKA_OPTS", "")
    for arg in shlex.split(opts):
        if arg.startswith(f"-D{JAAS_CONFIG_PROPERTY}="):
            return arg.split("=", 1)[1]
    return None


def rest_extensions(props: Mapping[str, str]) -> list[str]:
    """rest.extension.classes; a class Strom does not have is a startup error, as a missing class is for Kafka."""
    names = [n.strip() for n in (props.get("rest.extension.classes") or "").split(",") if n.strip()]
    for name in names:
        if name != BASIC_AUTH_EXTENSION:
            raise ValueError(f"Class {name} cannot be found (rest.extension.classes): Strom's workers provide {BASIC_AUTH_EXTENSION}")
    return names


class PropertyFileLoginModule:
    """One JAAS entry: the users and passwords of its `file` option, read once."""

    def __init__(self, entry: JaasEntry) -> None:
        file = entry.options.get("file")
        if not file:
            raise ValueError("Property Credentials file must be specified")
        self.credentials = read_properties(Path(file))

    def login(self, username: str | None, password: str | None) -> bool:
        if not self.credentials:
            return True
        return username is not None and password is not None and self.credentials.get(username) == password


class JaasLogin:
    """The KafkaConnect login context: each entry's control flag decides, as JAAS's LoginContext does."""

    def __init__(self, entries: list[JaasEntry]) -> None:
        if not entries:
            raise ValueError(f"No LoginModules configured for {CONNECT_LOGIN_MODULE}")
        self.modules: list[tuple[str, PropertyFileLoginModule]] = []
        for entry in entries:
            if entry.login_module != PROPERTY_FILE_LOGIN_MODULE:
                raise ValueError(
                    f"Login module {entry.login_module} is not available: Strom's workers provide {PROPERTY_FILE_LOGIN_MODULE}"
                )
            self.modules.append((entry.control_flag, PropertyFileLoginModule(entry)))

    def login(self, username: str | None, password: str | None) -> bool:
        succeeded = False
        for flag, module in self.modules:
            ok = module.login(username, password)
            if flag in ("required", "requisite") and not ok:
                return False
            if flag == "sufficient" and ok:
                return True
            succeeded = succeeded or ok
        return succeeded

    @classmethod
    def from_file(cls, path: str | None) -> JaasLogin:
        if not path:
            raise ValueError(f"No JAAS configuration: set -D{JAAS_CONFIG_PROPERTY}=<file> in KAFKA_OPTS")
        try:
            sections = parse_jaas_file(Path(path).read_text(encoding="utf-8"))
        except (OSError, JaasError) as exc:
            raise ValueError(f"Cannot read the JAAS configuration {path}: {exc}") from None
        return cls(sections.get(CONNECT_LOGIN_MODULE, []))


def basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    """`Basic base64(user:password)`; (None, None) for anything else, as Kafka's BasicAuthCredentials."""
    if not header:
        return None, None
    method, sep, encoded = header.partition(" ")
    if not sep or method.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    if not sep or not user:
        return None, None
    return user, password


class JaasBasicAuthFilter:
    """ASGI middleware in front of the REST app. A JAAS configuration that cannot be used is logged once and
    then every request is refused, as Kafka's filter refuses them when its login fails."""

    def __init__(self, app: Any, jaas_path: str | None) -> None:
        self.app = app
        self.login: JaasLogin | None
        try:
            self.login = JaasLogin.from_file(jaas_path)
        except ValueError as exc:
            log.error("Basic authentication cannot succeed: %s", exc)
            self.login = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self._internal(scope) or self._authenticated(scope):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(UNAUTHORIZED)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": UNAUTHORIZED})

    @staticmethod
    def _internal(scope: Any) -> bool:
        path = scope.get("path", "")
        return any(scope.get("method") == method and pattern.fullmatch(path) for method, pattern in INTERNAL_REQUESTS)

    def _authenticated(self, scope: Any) -> bool:
        if self.login is None:
            return False
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"authorization"), None)
        user, password = basic_credentials(header)
        ok = self.login.login(user, password)
        if not ok:
            log.debug("Request failed authentication")
        return ok
