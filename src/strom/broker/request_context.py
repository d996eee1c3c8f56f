"""What a handler knows about a request besides its body: the broker, the header, and the connection it came on.

It lives apart from server.py so the handlers can name it without importing the network layer that
dispatches to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from strom.protocol.headers import RequestHeader
from strom.security.principal import KafkaPrincipal, SecurityProtocol

if TYPE_CHECKING:
    from strom.broker.broker import Broker


class ClientConnection(Protocol):
    """The one thing a handler may ask of the connection: whether the client has gone (a long-poll
    fetch stops waiting for data nobody will read)."""

    @property
    def closed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a handler knows about the request besides its body (Kafka's RequestContext)."""

    broker: Broker
    header: RequestHeader
    client_host: str
    local_host: str
    local_port: int
    connection: ClientConnection
    principal: KafkaPrincipal
    listener_name: str
    security_protocol: SecurityProtocol

    @property
    def api_version(self) -> int:
        return self.header.api_version
