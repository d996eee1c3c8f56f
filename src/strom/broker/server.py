"""The broker's network layer: listeners, connections, framing, dispatch -- the only layer with sockets.

Each connection is a BufferedProtocol (uvloop): bytes land in one growing buffer, whole frames are cut
out, decoded and dispatched. Many requests may be in flight per connection; responses are written
strictly in request order, as Kafka clients require. A frame that is too large or a header that cannot
be decoded closes that one connection with one log line; nothing a client sends can stop the broker.

Responses are written by the connection itself, not through the transport: bytes with os.writev and
log file regions (FileSlice) with os.sendfile, so fetched records go from the page cache to the socket
without passing through Python. The transport reads and closes; its write buffer stays empty, so our
direct writes keep the stream's order. When the socket is full, the rest waits in `_out` and a writer
callback on a dup of the socket's fd (uvloop keeps the original for its transport) resumes it.
Without os.sendfile (Windows' Proactor loop has no socket fds to write to; STROM_PORTABLE=1) every
response goes through the transport, file regions read in chunks, as TLS responses always do.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import ssl
from asyncio import sslproto
from collections import deque
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from strom.broker.authenticator import SaslServerAuthenticator
from strom.broker.handlers import HANDLERS, Route
from strom.broker.handlers.fetch import replica_id
from strom.broker.metrics.request_metrics import RequestTiming
from strom.broker.metrics.request_metrics import now as clock_now
from strom.broker.request_context import RequestContext
from strom.broker.throttling import with_quotas
from strom.cluster.purgatory import REMOTE_TIME
from strom.portability import CAPS, uses_uvloop
from strom.protocol.compiler import EncodedPart, Message
from strom.protocol.errors import CorruptMessage, ErrorCode
from strom.protocol.framing import SIZE, FrameReader, FrameTooLarge
from strom.protocol.headers import RequestHeader, decode_request_header, encode_response_header
from strom.protocol.messages import api_name
from strom.protocol.schema.api_versions import API_KEY as API_VERSIONS
from strom.protocol.schema.api_versions import ApiVersionsResponse
from strom.protocol.schema.fetch import FetchRequest
from strom.protocol.schema.produce import ProduceRequest
from strom.security.principal import ANONYMOUS
from strom.security.ssl_principal import NoMatchingRule, principal_from_certificate
from strom.storage.segment import FileSlice

if TYPE_CHECKING:
    from strom.broker.broker import Broker
    from strom.broker.config import Listener
    from strom.broker.listener_tls import ListenerTls

log = logging.getLogger("kafka.network.Processor")
auth_log = logging.getLogger("org.apache.kafka.common.network.Selector")  # Kafka's "Failed authentication" lines

TLS_HANDSHAKE_TIMEOUT_S = 10.0
"""A peer that has not finished its TLS handshake by then is disconnected (it holds no loop time meanwhile)."""
TLS_CHUNK = 256 * 1024
"""Bytes of a log file region read and handed to the TLS transport at a time."""
_TLS_RECORD_PREFIX = 0x1603  # a TLS handshake record (0x16) of version 3.x, read as a frame size's top half

# File regions below this size are read into the response bytes: one pread costs less than an extra
# sendfile plus a separate write for the bytes after it.
SENDFILE_MIN_BYTES = 16 * 1024
MAX_IOV = 512  # buffers per writev call (IOV_MAX is 1024 on Linux)
# requests one connection may have in its handlers or its answer queue before the broker stops reading it (as
# a muted Kafka channel): a client that pipelines without reading its answers holds this much and no more.
# A connection starts at one (Kafka's muted channel) and doubles its allowance each time it has read every
# answer; one that leaves answers in a full socket is back at one. So a client that never reads costs one
# request's work, as in Kafka, not a hundred (200 such clients pipelining fetches kept the broker busy for
# seconds), while a pipelining producer that reads reaches the full allowance within a few answers.
MAX_IN_FLIGHT_PER_CONNECTION = 100
_BYTES: Final = (bytes, bytearray, memoryview)  # a tuple: isinstance on it is faster than on a union

__all__ = ["KafkaConnection", "RequestContext"]

OutItem: TypeAlias = bytes | bytearray | memoryview | FileSlice
"""One piece of a response waiting to be written: bytes for writev, or a log file region for sendfile."""
Chunks: TypeAlias = list[OutItem] | None
"""A response ready to go, in pieces; None for a request that gets no answer."""
Pending: TypeAlias = tuple[asyncio.Future[Chunks], RequestTiming | None]
"""A response in the connection's answer order, with the request's timing (None for SASL and KIP-511 answers)."""


class KafkaConnection(asyncio.BufferedProtocol):
    def __init__(self, broker: Broker, listener: Listener) -> None:
        self.broker = broker
        self.listener = listener
        self.principal = ANONYMOUS  # who the peer is once authenticated (TLS certificate or SASL)
        self._reader = FrameReader(int(broker.config["socket.request.max.bytes"]))
        self._transport: asyncio.Transport | None = None
        self._pending: deque[Pending] = deque()
        self._unsent: list[RequestTiming] = []  # responses handed to _out, not yet all written
        self.peer = "?"
        self.client_host = "?"  # the peer's address without its port, as handlers see it
        self.local_host = "127.0.0.1"
        self.local_port = 0
        self.closed = False
        self._fd = -1  # the socket's fd, written directly
        self._writer_fd = -1  # a dup of it, registered for writability while the socket is full
        self._out: deque[OutItem] = deque()  # bytes-like and FileSlice items not yet sent, in order
        self._waiting_writable = False
        self._transport_paused = False  # TLS: the transport asked us to stop writing until resume_writing
        # TLS listeners: the context and DN rules at accept time (a keystore reload affects new connections)
        self._tls: ListenerTls | None = broker.listener_tls.get(listener.name) if listener.security_protocol.uses_tls else None
        self._handshake: asyncio.Future[None] | None = None
        self._raw_transport: asyncio.BaseTransport | None = None
        self.authenticator: SaslServerAuthenticator | None = None  # on SASL listeners: the gate before any API
        self._unmute: asyncio.TimerHandle | None = None  # set while muted for a quota's throttle time
        # back-pressure: reading stops while answers wait for a full socket, or too many requests are in flight
        self._held = False
        self._in_flight_allowed = 1

    # ---- asyncio protocol ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._tls is not None:
            if self._handshake is None:  # the TCP connection of a TLS listener: the handshake starts
                self._accept_tls(transport)
            else:  # the TLS layer's transport, handshake done
                self._tls_established(transport)
            return
        self._transport = transport  # type: ignore[assignment]
        self._note_addresses(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and CAPS.sendfile:  # else (Windows, STROM_PORTABLE=1) through the transport
            self._fd = sock.fileno()
        self._set_socket_options(sock)
        self.broker.connections.add(self)
        self._start_sasl()

    def _note_addresses(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.client_host = self.peer.rsplit(":", 1)[0]
        local = transport.get_extra_info("sockname")
        if local:
            self.local_host, self.local_port = local[0], local[1]

    def _set_socket_options(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            send_buffer = int(self.broker.config["socket.send.buffer.bytes"])
            receive_buffer = int(self.broker.config["socket.receive.buffer.bytes"])
            if send_buffer > 0:  # -1: the OS default (autotuned)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
            if receive_buffer > 0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        except OSError:
            pass

    # ---- TLS ---------------------------------------------------------------------------------------------

    def _accept_tls(self, raw: asyncio.BaseTransport) -> None:
        """Puts the TLS layer between the TCP transport and this connection, before the loop reads a byte
        (what start_tls does, but synchronously: a ClientHello must never reach the Kafka framer). The
        layer calls connection_made again with its transport once the handshake is done."""
        assert self._tls is not None
        self._note_addresses(raw)
        self._set_socket_options(raw.get_extra_info("socket"))
        self._raw_transport = raw
        self.broker.connections.add(self)
        loop = asyncio.get_running_loop()
        self._handshake = loop.create_future()
        self._handshake.add_done_callback(self._on_handshake_done)
        layer = _ssl_protocol_class(loop)(
            loop, self, self._tls.context, self._handshake, server_side=True, ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT_S
        )
        raw.set_protocol(layer)
        layer.connection_made(raw)

    def _on_handshake_done(self, handshake: asyncio.Future[None]) -> None:
        """A failed or too slow handshake closes the connection with one line, as Kafka's Selector logs it."""
        if handshake.cancelled() or handshake.exception() is None:
            return
        reason = _handshake_failure(handshake.exception())
        auth_log.info("Failed authentication with /%s (SSL handshake failed: %s)", self.client_host, reason)
        if self._raw_transport is not None:
            self._raw_transport.close()
        self.connection_lost(None)

    def _tls_established(self, transport: asyncio.BaseTransport) -> None:
        """The principal from the client certificate's DN (ANONYMOUS without one); a DN the mapping rules
        refuse closes the connection."""
        assert self._tls is not None
        self._transport = transport  # type: ignore[assignment]
        ssl_object = transport.get_extra_info("ssl_object")
        try:
            self.principal = principal_from_certificate(ssl_object.getpeercert(binary_form=True), self._tls.principal_mapper)
        except (NoMatchingRule, ValueError) as exc:
            auth_log.info("Failed authentication with /%s (%s)", self.client_host, exc)
            self.close()
            return
        self._start_sasl()  # SASL_SSL: SASL runs inside the TLS session

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.broker.connections.discard(self)
        for fut, _ in self._pending:
            fut.cancel()
        self._pending.clear()
        self._out.clear()
        self._release_writer_fd()
        if self.authenticator is not None:
            self.authenticator.connection_lost()
        if self._unmute is not None:
            self._unmute.cancel()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._reader.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        try:
            for frame in self._reader.buffer_updated(nbytes):
                self._on_frame(frame)
                # muted by a quota, or held by back-pressure: the rest waits in the reader
                if self.closed or self._unmute is not None or self._held:
                    return
        except FrameTooLarge as exc:
            if exc.size >> 16 == _TLS_RECORD_PREFIX:
                log.warning(
                    "Closing connection from %s: its first bytes look like a TLS handshake on %s listener %s "
                    "(a client configured for SSL on a port without TLS?)",
                    self.peer,
                    self.listener.security_protocol.name,
                    self.listener.name,
                )
            else:
                authenticating = self.authenticator is not None and not self.authenticator.authenticated
                log.warning(
                    "Closing connection from %s: frame of %d bytes exceeds %s=%d",
                    self.peer,
                    exc.size,
                    "sasl.server.max.receive.size" if authenticating else "socket.request.max.bytes",
                    exc.max_frame_size,
                )
            self.close()

    # ---- dispatch ---------------------------------------------------------------------------------------

    def _on_frame(self, frame: bytearray) -> None:
        if self.authenticator is not None and self.authenticator.on_frame(frame):  # the SASL gate
            return
        self.serve(frame)

    def serve(self, frame: bytearray) -> None:
        """Decodes a request and starts its handler."""
        received = clock_now()
        try:
            header, pos = decode_request_header(frame)
        except CorruptMessage as exc:
            log.warning("Closing connection from %s: undecodable request header (%s)", self.peer, exc)
            self.close()
            return
        route = self._route_for(header)
        if route is None:
            return
        try:
            request, _ = route.request_type.decode(frame, header.api_version, pos)
        except CorruptMessage as exc:
            log.warning(
                "Closing connection from %s: cannot decode %s v%d (%s)",
                self.peer,
                api_name(header.api_key),
                header.api_version,
                exc,
            )
            self.close()
            return
        self._dispatch(route, header, request, len(frame), received)

    def _route_for(self, header: RequestHeader) -> Route[Message, Message] | None:
        """The route of a request this broker serves at its version; else None, with the connection closed
        (or, for an ApiVersions request of a newer version, its KIP-511 answer queued)."""
        route = HANDLERS.get(header.api_key)
        if route is None:
            log.warning("Closing connection from %s: unknown API key %d", self.peer, header.api_key)
            self.close()
            return None
        lo, hi = self.broker.api_version_range(header.api_key)
        if lo <= header.api_version <= hi:
            return route
        if header.api_key == API_VERSIONS:
            self._respond_unsupported_api_versions(header)
            return None
        log.warning(
            "Closing connection from %s: unsupported version %d of %s",
            self.peer,
            header.api_version,
            api_name(header.api_key),
        )
        self.close()
        return None

    def _dispatch(self, route: Route[Message, Message], header: RequestHeader, request: Message, size: int, received: float) -> None:
        """Starts the handler; its response takes this request's place in the connection's answer order
        (an acks=0 produce has no place: it gets no answer)."""
        ctx = RequestContext(
            self.broker,
            header,
            self.client_host,
            self.local_host,
            self.local_port,
            self,
            self.principal,
            self.listener.name,
            self.listener.security_protocol,
        )
        no_response = isinstance(request, ProduceRequest) and request.acks == 0
        fut: asyncio.Future[Chunks] = asyncio.get_running_loop().create_future()
        follower = isinstance(request, FetchRequest) and replica_id(request, header.api_version) >= 0
        timing = RequestTiming(self.broker.request_metrics.of(header.api_key, follower), header.api_version, received)
        if not no_response:
            self._pending.append((fut, timing))
            if len(self._pending) >= self._in_flight_allowed:
                self._hold()
        call = route.handler(ctx, request)
        if self.broker.quotas.active:
            call = with_quotas(call, self.broker.quotas, self, header, request, size, self.principal)
        asyncio.ensure_future(self._run(call, header, fut, no_response, timing))

    async def _run(
        self, call: Awaitable[Message | None], header: RequestHeader, fut: asyncio.Future[Chunks], no_response: bool, timing: RequestTiming
    ) -> None:
        timing.started = clock_now()
        REMOTE_TIME.set(timing)  # this task's own context: purgatory waits add to its RemoteTimeMs
        try:
            response = await call
            timing.done = timing.queued = clock_now()
        except Exception:
            log.exception(
                "Error processing %s v%d from %s; closing connection",
                api_name(header.api_key),
                header.api_version,
                self.peer,
            )
            self.close()
            return
        if no_response:
            timing.sent(timing.done)
            return
        if self.closed:
            return
        out = bytearray(4)
        encode_response_header(out, header.correlation_id, header.api_key, header.api_version)
        parts: list[EncodedPart] = response.encode_parts(header.api_version) if response is not None else [b""]
        first = parts[0]
        if len(parts) == 1 and isinstance(first, _BYTES):
            out += first
            SIZE.pack_into(out, 0, len(out) - 4)
            fut.set_result([out])
        else:
            fut.set_result(_assemble(out, parts))
        self._flush_ready()

    def mute_for(self, throttle_ms: int) -> None:
        """KIP-219: read nothing more from this client for throttle_ms (a quota's throttle time); a later,
        longer throttle extends it. Requests already received wait too, as behind Kafka's muted channel."""
        if self._transport is None or self.closed:
            return
        loop = asyncio.get_running_loop()
        until = loop.time() + throttle_ms / 1000
        if self._unmute is not None:
            if self._unmute.when() >= until:
                return
            self._unmute.cancel()
        else:
            self._transport.pause_reading()
        self._unmute = loop.call_at(until, self._resume_after_throttle)

    def _resume_after_throttle(self) -> None:
        self._unmute = None
        if self._transport is not None and not self.closed and not self._held:
            self._transport.resume_reading()
            self.buffer_updated(0)  # the requests that arrived before or during the throttle, one at a time

    def _hold(self) -> None:
        """Back-pressure: read no more requests until the answers queued so far drain (Kafka mutes a
        channel until its response is sent; here up to MAX_IN_FLIGHT_PER_CONNECTION are pipelined)."""
        if not self._held and self._transport is not None and not self.closed:
            self._held = True
            if self._unmute is None:
                self._transport.pause_reading()

    def _maybe_release(self) -> None:
        """Reads again once the socket took every queued answer and few enough requests are in flight."""
        if self._held and not self.closed and not self._out and not self._transport_paused and len(self._pending) < self._in_flight_allowed:
            self._held = False
            self._in_flight_allowed = min(self._in_flight_allowed * 2, MAX_IN_FLIGHT_PER_CONNECTION)
            if self._unmute is None and self._transport is not None:
                self._transport.resume_reading()
                self.buffer_updated(0)  # the requests already received, while reading was held

    def _respond_unsupported_api_versions(self, header: RequestHeader) -> None:
        """KIP-511: an ApiVersions request of a version we do not know gets a v0 answer with the error."""
        body = ApiVersionsResponse(error_code=ErrorCode.UNSUPPORTED_VERSION, api_keys=self.broker.api_version_list())
        out = bytearray(4)
        encode_response_header(out, header.correlation_id, API_VERSIONS, 0)
        out += body.encode(0)
        SIZE.pack_into(out, 0, len(out) - 4)
        fut: asyncio.Future[Chunks] = asyncio.get_running_loop().create_future()
        fut.set_result([out])
        self._pending.append((fut, None))
        self._flush_ready()

    def _flush_ready(self) -> None:
        pending = self._pending
        while pending and pending[0][0].done():
            fut, timing = pending.popleft()
            if fut.cancelled() or self.closed:
                continue
            chunks = fut.result()
            if chunks:
                self._out.extend(chunks)
            if timing is not None:
                timing.queued = clock_now()
                self._unsent.append(timing)
        if self._out and not self._waiting_writable and not self.closed:
            self._send_out()
        if not self._out and self._unsent:
            self._responses_sent()
        if self._held:
            self._maybe_release()

    def _responses_sent(self) -> None:
        """Every queued response is written: their requests' times are complete."""
        at = clock_now()
        for timing in self._unsent:
            timing.sent(at)
        self._unsent.clear()

    def _send_out(self) -> None:
        """Sends queued items until done or the socket is full (then waits for writability)."""
        if self._fd < 0:  # no raw socket to write to (TLS): the transport buffers, file regions are read
            self._send_through_transport()
            return
        out = self._out
        try:
            while out:
                head = out[0]
                if not (self._send_region(head) if isinstance(head, FileSlice) else self._send_buffers()):
                    break
        except BlockingIOError:
            pass
        except (OSError, ValueError) as exc:
            if not isinstance(exc, ConnectionError) and getattr(exc, "errno", None) not in (errno.EPIPE, errno.ECONNRESET):
                log.warning("Closing connection to %s: write failed (%s)", self.peer, exc)
            self.close()
            return
        if out:
            self._wait_writable()

    def _send_through_transport(self) -> None:
        """TLS: the transport encrypts what it is given. File regions are read in TLS_CHUNK pieces, and the
        queue waits while the transport says its buffer is full (pause_writing), so a large fetch response
        never sits in memory whole."""
        assert self._transport is not None
        out = self._out
        while out and not self._transport_paused:
            item = out.popleft()
            if isinstance(item, FileSlice):
                if item.size > TLS_CHUNK:
                    out.appendleft(FileSlice(item.file, item.position + TLS_CHUNK, item.size - TLS_CHUNK))
                    item = FileSlice(item.file, item.position, TLS_CHUNK)
                try:
                    data = item.read()
                except (OSError, ValueError) as exc:  # the segment was deleted or closed under the response
                    log.warning("Closing connection to %s: cannot read a queued fetch response (%s)", self.peer, exc)
                    self.close()
                    return
                if len(data) != item.size:
                    log.warning("Closing connection to %s: log segment truncated under a queued fetch response", self.peer)
                    self.close()
                    return
                self._transport.write(data)
            else:
                self._transport.write(item)

    def pause_writing(self) -> None:
        """The TLS transport's buffer is full (a PLAINTEXT transport's never fills: we write to its fd)."""
        self._transport_paused = True
        self._hold()

    def resume_writing(self) -> None:
        self._transport_paused = False
        if self._out and not self.closed:
            self._send_through_transport()
            if not self._out and self._unsent:
                self._responses_sent()
        self._maybe_release()

    def _send_region(self, head: FileSlice) -> bool:
        """sendfile of the file region at the head of the queue; False when the socket took only part of it."""
        if head.file.closed:  # the segment was deleted while this response waited
            raise ConnectionAbortedError("log segment closed under a queued fetch response")
        sent = os.sendfile(self._fd, head.file.fileno(), head.position, head.size)
        if sent == 0:  # the file shrank under the response (truncation): cannot finish it
            raise ConnectionAbortedError("log segment truncated under a queued fetch response")
        if sent < head.size:
            self._out[0] = FileSlice(head.file, head.position + sent, head.size - sent)
            return False
        self._out.popleft()
        return True

    def _send_buffers(self) -> bool:
        """One writev of the buffers at the head of the queue, up to the next file region; False when the
        socket took only part of them (the rest of the first one not taken stays at the head)."""
        out = self._out
        buffers: list[bytes | bytearray | memoryview] = []
        for item in out:
            if isinstance(item, FileSlice) or len(buffers) == MAX_IOV:
                break
            buffers.append(item)
        sent = os.writev(self._fd, buffers)
        for buf in buffers:
            if sent < len(buf):
                out[0] = memoryview(buf)[sent:]
                return False
            sent -= len(buf)
            out.popleft()
        return True

    def _wait_writable(self) -> None:
        if self._writer_fd < 0:
            self._writer_fd = os.dup(self._fd)
        asyncio.get_running_loop().add_writer(self._writer_fd, self._on_writable)
        self._waiting_writable = True
        self._in_flight_allowed = 1
        self._hold()  # the client is not reading: neither do we, until it has taken what is queued

    def _on_writable(self) -> None:
        asyncio.get_running_loop().remove_writer(self._writer_fd)
        self._waiting_writable = False
        if not self.closed:
            self._send_out()
            if not self._out and self._unsent:
                self._responses_sent()
            self._maybe_release()

    def _release_writer_fd(self) -> None:
        if self._writer_fd >= 0:
            if self._waiting_writable:
                asyncio.get_running_loop().remove_writer(self._writer_fd)
                self._waiting_writable = False
            os.close(self._writer_fd)
            self._writer_fd = -1

    # ---- SASL (authenticator.py drives these) ----------------------------------------------------------

    def _start_sasl(self) -> None:
        sasl = self.broker.sasl_listeners.get(self.listener.name)
        if sasl is not None:
            self.authenticator = SaslServerAuthenticator(self, sasl, self.broker.scram_credentials)

    def respond(self, header: RequestHeader, response: Message) -> None:
        out = bytearray(4)
        encode_response_header(out, header.correlation_id, header.api_key, header.api_version)
        out += response.encode(header.api_version)
        self._queue_frame(out)

    def send_raw(self, payload: bytes) -> None:
        self._queue_frame(bytearray(4) + payload)

    def _queue_frame(self, out: bytearray) -> None:
        SIZE.pack_into(out, 0, len(out) - 4)
        fut: asyncio.Future[Chunks] = asyncio.get_running_loop().create_future()
        fut.set_result([out])
        self._pending.append((fut, None))
        self._flush_ready()

    def set_max_receive_size(self, size: int | None) -> None:
        self._reader.max_frame_size = size if size is not None else int(self.broker.config["socket.request.max.bytes"])

    def close_later(self, delay_s: float) -> None:
        """Closes once the queued answers had `delay_s` to leave (Kafka's failed-authentication delay)."""
        asyncio.get_running_loop().call_later(delay_s, self.close)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._out.clear()
            self._release_writer_fd()
            if self._transport is not None:
                self._transport.close()
            elif self._raw_transport is not None:  # closed during its TLS handshake
                self._raw_transport.close()


def _ssl_protocol_class(loop: asyncio.AbstractEventLoop) -> Any:
    """The loop's own TLS layer: uvloop's (Cython) on uvloop, asyncio's otherwise."""
    if uses_uvloop(loop):
        import uvloop

        return getattr(uvloop.loop, "SSLProtocol")  # noqa: B009 - untyped
    return sslproto.SSLProtocol


def _handshake_failure(exc: BaseException | None) -> str:
    """Why a handshake failed, in a few words (and what plaintext on a TLS port looks like)."""
    if isinstance(exc, ssl.SSLError) and exc.reason in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "UNKNOWN_PROTOCOL"):
        return f"{exc.reason}: not a TLS ClientHello, plaintext on an SSL listener?"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{exc.reason}: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"no handshake within {TLS_HANDSHAKE_TIMEOUT_S:g} s"
    return str(exc) or type(exc).__name__


def _assemble(head: bytearray, parts: list[EncodedPart]) -> list[OutItem]:
    """Frames a response of bytes and file regions: small regions are read into the bytes around them,
    large ones stay FileSlices for sendfile. The size prefix in `head` covers everything."""
    chunks: list[OutItem] = [head]
    total = len(head) - 4
    current = head
    for part in parts:
        if isinstance(part, _BYTES):
            current += part
            total += len(part)
            continue
        assert isinstance(part, FileSlice), f"a response carries a file region storage did not make: {part!r}"
        if part.size >= SENDFILE_MIN_BYTES:
            chunks.append(part)
            current = bytearray()
            chunks.append(current)
            total += part.size
            continue
        data = part.read()
        current += data
        total += len(data)
    SIZE.pack_into(head, 0, total)
    return [c for c in chunks if not isinstance(c, bytearray) or c]
