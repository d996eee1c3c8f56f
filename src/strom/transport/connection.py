"""One connection to one broker: framing, correlation ids, pipelining, API version negotiation.

The client's connections and the broker's inter-broker channels (replica fetcher, controller channel,
AlterPartition to the controller) are all this class. Requests are written as they come and answered in
order (Kafka's guarantee per connection); each caller awaits its own future. ApiVersions is asked first so
every request uses the highest version both sides know -- that is what lets the client talk to Kafka 2.8
through 4.x and to Strom.

Responses are read by a BufferedProtocol into protocol.framing's FrameReader, the one place frames are cut
(the broker's server drives the same reader). Frames come out as bytes, so the views that decoded fields
are of them stay read-only (hashable), as they were when the connection read frames with readexactly.

On a SASL listener the connection authenticates right after ApiVersions (SaslHandshake v1, then
SaslAuthenticate until the mechanism is done). When the broker gives the session a lifetime (KIP-368) the
connection re-authenticates at 85-95 % of it; requests made meanwhile wait until that is done.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from strom.protocol.errors import CorruptMessage, ErrorCode, KafkaError
from strom.protocol.framing import SIZE, FrameReader
from strom.protocol.headers import RequestHeader, decode_response_header, encode_request_header
from strom.protocol.messages import RESPONSE_TYPES, SUPPORTED_VERSIONS
from strom.protocol.schema.api_versions import ApiVersionsRequest
from strom.protocol.schema.sasl_authenticate import SaslAuthenticateRequest
from strom.protocol.schema.sasl_handshake import SaslHandshakeRequest
from strom.security.sasl import SaslError
from strom.security.sasl.login import SaslLogin
from strom.version import __version__

# A client reads whatever size of response it asked for (fetch.max.bytes is the client's choice): only a
# negative size prefix is corrupt.
MAX_RESPONSE_SIZE = 0x7FFFFFFF


@dataclass(frozen=True, slots=True)
class ChannelSecurity:
    """How a connection secures itself, from its security.protocol: a TLS client context for SSL and
    SASL_SSL (None: plaintext), and the SASL login for SASL_PLAINTEXT and SASL_SSL (None: no SASL). Built
    once per client or per broker (inter-broker listener) and shared."""

    ssl_context: ssl.SSLContext | None = None
    sasl: SaslLogin | None = None


PLAINTEXT_CHANNEL = ChannelSecurity()


class BrokerConnection:
    def __init__(
        self,
        host: str,
        port: int,
        client_id: str = "strom",
        request_timeout_ms: int = 30000,
        sasl: SaslLogin | None = None,
        security: ChannelSecurity = PLAINTEXT_CHANNEL,
        keepalive: bool = False,
    ) -> None:
        self.host = host
        self.keepalive = keepalive  # SO_KEEPALIVE on the socket (librdkafka's socket.keepalive.enable)
        self.connected_at = 0.0  # time.monotonic() when connected (client statistics read these)
        self.tx = self.tx_bytes = self.rx = self.rx_bytes = 0
        self.port = port
        self.security = security
        self.client_id = client_id
        self.request_timeout = request_timeout_ms / 1000
        self._transport: asyncio.Transport | None = None
        self._pending: deque[tuple[int, int, int, asyncio.Future[Any]]] = deque()
        self._correlation = 0
        self.versions: dict[int, tuple[int, int]] = {}
        self.closed = False
        self.sasl = sasl if sasl is not None else security.sasl
        self._reauthenticating: asyncio.Future[None] | None = None  # requests wait while a re-authentication runs
        self._reauth_timer: asyncio.TimerHandle | None = None

    async def connect(self, timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        tls = self.security.ssl_context
        try:
            transport, _ = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _ResponseReader(self),
                    self.host,
                    self.port,
                    ssl=tls,
                    server_hostname=self.host if tls is not None else None,
                    ssl_handshake_timeout=timeout if tls is not None else None,
                ),
                timeout,
            )
        except ssl.SSLError as exc:
            raise KafkaError(
                ErrorCode.NETWORK_EXCEPTION, f"SSL handshake with {self.host}:{self.port} failed: {_ssl_reason(exc)}"
            ) from None
        except (OSError, TimeoutError) as exc:
            raise KafkaError(ErrorCode.NETWORK_EXCEPTION, f"cannot connect to {self.host}:{self.port}: {exc}") from None
        self._transport = transport
        self.connected_at = time.monotonic()
        if self.keepalive:
            transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        response = await self.send(ApiVersionsRequest(client_software_name="strom", client_software_version=__version__), version=3)
        if response.error_code == ErrorCode.UNSUPPORTED_VERSION:
            response = await self.send(ApiVersionsRequest(), version=0)
        self.versions = {k.api_key: (k.min_version, k.max_version) for k in response.api_keys}
        if self.sasl is not None:
            await self._authenticate()

    # ---- SASL ------------------------------------------------------------------------------------------

    async def _authenticate(self) -> None:
        """SaslHandshake v1 + SaslAuthenticate until the mechanism completes; KafkaError if the broker refuses."""
        assert self.sasl is not None
        mechanism = self.sasl.mechanism
        handshake = await self.send(SaslHandshakeRequest(mechanism=mechanism), version=1, during_reauth=True)
        if handshake.error_code == ErrorCode.UNSUPPORTED_SASL_MECHANISM:
            raise KafkaError(
                ErrorCode.UNSUPPORTED_SASL_MECHANISM,
                f"Client SASL mechanism '{mechanism}' not enabled in the server, enabled mechanisms are {handshake.mechanisms}",
            )
        if handshake.error_code:
            raise KafkaError(handshake.error_code, f"SaslHandshake with {self.host}:{self.port} failed")
        client = self.sasl.new_client()
        token: bytes | None = client.initial_response()
        lifetime_ms = 0
        while token is not None:
            response = await self.send(SaslAuthenticateRequest(auth_bytes=token), during_reauth=True)
            if response.error_code:
                raise KafkaError(response.error_code, response.error_message or f"SASL authentication with {self.host}:{self.port} failed")
            lifetime_ms = getattr(response, "session_lifetime_ms", 0)
            try:
                token = client.evaluate_challenge(bytes(response.auth_bytes))
            except SaslError as exc:
                raise KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, str(exc)) from None
        if lifetime_ms > 0:
            delay = lifetime_ms / 1000 * (0.85 + 0.1 * random.random())  # Kafka's client: 85-95 % of the lifetime
            self._reauth_timer = asyncio.get_running_loop().call_later(delay, self._start_reauthentication)

    def _start_reauthentication(self) -> None:
        self._reauth_timer = None
        if not self.closed:
            asyncio.ensure_future(self._reauthenticate())

    async def _reauthenticate(self) -> None:
        gate = self._reauthenticating = asyncio.get_running_loop().create_future()
        try:
            await self._authenticate()
        except KafkaError as exc:
            self._fail(KafkaError(exc.code(), f"re-authentication with {self.host}:{self.port} failed: {exc.message}"))
        finally:
            self._reauthenticating = None
            gate.set_result(None)

    def version_for(self, api_key: int) -> int:
        ours = SUPPORTED_VERSIONS.get(api_key)
        theirs = self.versions.get(api_key)
        if ours is None or theirs is None or max(ours[0], theirs[0]) > min(ours[1], theirs[1]):
            raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"broker {self.host}:{self.port} does not support API {api_key}")
        return min(ours[1], theirs[1])

    async def send(
        self,
        request: Any,
        version: int | None = None,
        expect_response: bool = True,
        timeout: float | None = None,
        during_reauth: bool = False,
    ) -> Any:
        """Sends a request and awaits its response (none for acks=0 produce); `timeout` in seconds overrides
        request.timeout.ms for requests the broker may hold longer (JoinGroup waits for a rebalance)."""
        if self._reauthenticating is not None and not during_reauth:
            await asyncio.shield(self._reauthenticating)
        if self.closed or self._transport is None:
            raise KafkaError(ErrorCode.NETWORK_EXCEPTION, f"connection to {self.host}:{self.port} is closed")
        api_key = request.API_KEY
        if version is None:
            version = self.version_for(api_key)
        self._correlation = (self._correlation + 1) & 0x7FFFFFFF
        out = bytearray(4)
        encode_request_header(out, RequestHeader(api_key, version, self._correlation, self.client_id))
        request.encode_into(out, version)
        SIZE.pack_into(out, 0, len(out) - 4)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if expect_response:
            self._pending.append((self._correlation, api_key, version, fut))
        self._transport.write(out)
        self.tx += 1
        self.tx_bytes += len(out)
        if not expect_response:
            return None
        limit = self.request_timeout if timeout is None else timeout
        timer = asyncio.get_running_loop().call_later(limit, self._timed_out, fut, limit)
        try:
            return await fut
        finally:
            timer.cancel()

    def in_flight(self) -> int:
        """Requests sent and not answered yet."""
        return len(self._pending)

    def _timed_out(self, fut: asyncio.Future[Any], limit: float) -> None:
        """No response in time: the connection's order is now unknown, so it is closed (as Kafka clients do)."""
        if not fut.done():
            fut.set_exception(KafkaError(ErrorCode.REQUEST_TIMED_OUT, f"no response from {self.host}:{self.port} in {limit}s"))
            self.close()

    def _on_response(self, frame: bytes) -> None:
        """Completes the oldest request's future with `frame`, which must answer it (Kafka answers in order)."""
        if not self._pending:
            raise CorruptMessage("response without a request")
        correlation, api_key, version, fut = self._pending.popleft()
        self.rx += 1
        self.rx_bytes += len(frame) + 4
        got, pos = decode_response_header(frame, api_key, version)
        if got != correlation:
            raise CorruptMessage(f"correlation id {got} does not match {correlation}")
        response, _ = RESPONSE_TYPES[api_key].decode(frame, version, pos)
        if not fut.done():
            fut.set_result(response)

    def _lost(self, reason: object) -> None:
        self._fail(KafkaError(ErrorCode.NETWORK_EXCEPTION, f"connection to {self.host}:{self.port} lost: {reason}"))

    def _fail(self, error: KafkaError) -> None:
        self.closed = True
        if self._reauth_timer is not None:
            self._reauth_timer.cancel()
            self._reauth_timer = None
        while self._pending:
            fut = self._pending.popleft()[3]
            if not fut.done():
                fut.set_exception(error)
                fut.exception()  # marked retrieved: a caller that gave up (timeout, cancel) is not an error
        if self._transport is not None:
            if self.security.ssl_context is not None:
                self._transport.abort()  # no close_notify exchange: it would outlive the client's loop
            else:
                self._transport.close()

    def close(self) -> None:
        self._fail(KafkaError(ErrorCode.NETWORK_EXCEPTION, "connection closed"))


# The first response is ApiVersions' (a few hundred bytes): a larger size prefix means the peer is not a broker
FIRST_RESPONSE_MAX = 1 << 20


def not_kafka(head: bytes, host: str, port: int) -> KafkaError | None:
    """The error for a peer whose first bytes cannot start ApiVersions' response (an HTTP server, say)."""
    size = SIZE.unpack_from(head)[0]
    if 0 <= size <= FIRST_RESPONSE_MAX:
        return None
    looks = " (looks like HTTP)" if head.startswith(b"HTTP") else ""
    return KafkaError(
        ErrorCode.NETWORK_EXCEPTION,
        f"{host}:{port} received an invalid response size {size}{looks}: is this a Kafka broker?",
    )


def _ssl_reason(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{exc.reason}: {exc.verify_message}"
    return str(exc.reason or exc)


class _ResponseReader(asyncio.BufferedProtocol):
    """Reads a connection's bytes straight into its FrameReader and hands each whole response on."""

    def __init__(self, connection: BrokerConnection) -> None:
        self._connection = connection
        self._frames = FrameReader(MAX_RESPONSE_SIZE, frame_type=bytes)
        self._first_read: memoryview | None = None  # where the first bytes land, until they are checked
        self._checked = False

    def get_buffer(self, sizehint: int) -> memoryview:
        buf = self._frames.get_buffer(sizehint)
        if not self._checked:
            self._first_read = buf
        return buf

    def buffer_updated(self, nbytes: int) -> None:
        connection = self._connection
        if not self._checked and self._first_read is not None:
            head, self._first_read, self._checked = bytes(self._first_read[: min(nbytes, 4)]), None, True
            if len(head) == SIZE.size and (error := not_kafka(head, connection.host, connection.port)):
                connection._fail(error)
                return
        try:
            for frame in self._frames.buffer_updated(nbytes):
                if connection.closed:
                    return
                connection._on_response(frame)
        except CorruptMessage as exc:
            connection._lost(exc)

    def eof_received(self) -> bool:
        self._connection._lost("closed by the broker")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection._lost(exc or "closed")
