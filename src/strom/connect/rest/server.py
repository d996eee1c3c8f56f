"""The REST listener of a worker: the Starlette app served by uvicorn on `listeners` (Java's ConnectRestServer).

`listeners` is Kafka's list (`http://:8083`, `https://0.0.0.0:8443`, `http://localhost:8083`); an empty host
listens on all interfaces, and the first listener is served. An https listener takes its keystore, truststore and
`ssl.client.auth` from the `listeners.https.ssl.*` keys, or from the worker's `ssl.*` keys when there is none
(strom.connect.rest.tls). The advertised URL (rest.advertised.host.name / .port / .listener) names this worker
in status bodies (`worker_id` is its host:port) and is where other workers forward requests.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.applications import Starlette

log = logging.getLogger("org.apache.kafka.connect.runtime.rest.RestServer")


@dataclass(frozen=True, slots=True)
class Listener:
    scheme: str
    host: str
    port: int


def parse_listeners(props: Mapping[str, str]) -> list[Listener]:
    """The first HTTP listener of `listeners` (rest.host.name / rest.port when listeners is not set)."""
    raw = props.get("listeners")
    if not raw:
        host = props.get("rest.host.name", "")
        port = int(props.get("rest.port", "8083"))
        return [Listener("http", host, port)]
    out = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"Invalid listener {item}: only http and https are supported")
        out.append(Listener(parts.scheme, parts.hostname or "", parts.port or 8083))
    if not out:
        raise ValueError("listeners must name at least one http listener")
    return out


class RestServer:
    def __init__(self, app: Starlette, props: Mapping[str, str]) -> None:
        import uvicorn

        self.app = app
        self.props = props
        self.listener = parse_listeners(props)[0]
        self.ssl_context: ssl.SSLContext | None = None
        if self.listener.scheme == "https":
            from strom.connect.rest.tls import server_context
            from strom.security.tls import SslConfigError

            try:
                self.ssl_context = server_context(props)
            except (SslConfigError, OSError) as exc:
                raise ValueError(f"The https listener's TLS settings: {exc}") from None
        self._sock = socket.socket(socket.AF_INET6 if ":" in self.listener.host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.listener.host or "0.0.0.0", self.listener.port))
        self.port = self._sock.getsockname()[1]  # port 0 picks a free one (tests)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", loop="none", timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self._main: asyncio.Task[None] | None = None

    def advertised_url(self) -> str:
        """Where other workers and clients reach this one (Kafka's RestServer.advertisedUrl)."""
        scheme = self.props.get("rest.advertised.listener") or self.listener.scheme
        host = self.props.get("rest.advertised.host.name") or self.listener.host or _local_host()
        port = int(self.props.get("rest.advertised.port") or self.port)
        return f"{scheme}://{host}:{port}/"

    def worker_id(self) -> str:
        url = urlsplit(self.advertised_url())
        return f"{url.hostname}:{url.port}"

    async def start(self) -> None:
        self.server.config.load()
        if self.ssl_context is not None:
            self.server.config.ssl = self.ssl_context
        self.server.lifespan = self.server.config.lifespan_class(self.server.config)
        await self.server.startup(sockets=[self._sock])
        if self.server.should_exit:
            raise OSError(f"Could not start the REST server on {self.listener.host}:{self.port}")
        self._main = asyncio.ensure_future(self.server.main_loop())
        log.info(
            "REST server listening at %s, advertising URL %s",
            f"{self.listener.scheme}://{self.listener.host}:{self.port}",
            self.advertised_url(),
        )

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._main is not None:
            await self._main
        await self.server.shutdown(sockets=[self._sock])
        self._sock.close()
        log.info("REST server stopped")


def _local_host() -> str:
    try:
        return socket.getfqdn() or "localhost"
    except OSError:
        return "localhost"
