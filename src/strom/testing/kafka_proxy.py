"""A recording, fault-injecting TCP proxy in front of one Kafka-protocol broker (Strom or Apache Kafka).

Tests use it to see what a client really sends and receives (every request and response, decoded), and
to make the network misbehave at a chosen request: rewrite it (or the broker's answer), or cut the connection after the broker
got it but before the client hears back ("a broker that dies mid-request"). Metadata and FindCoordinator
responses are rewritten to name the proxy, so the client keeps talking through it. One broker only.
Runs its own event loop on a daemon thread; `close()` stops it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strom.protocol.compiler import Message
from strom.protocol.headers import decode_request_header, decode_response_header, encode_response_header
from strom.protocol.messages import REQUEST_TYPES, RESPONSE_TYPES
from strom.protocol.schema.find_coordinator import FindCoordinatorResponse
from strom.protocol.schema.metadata import MetadataResponse

_SIZE = struct.Struct(">i")

DROP = "drop"  # what a request hook returns to cut the connection once the broker has the request


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request or response that went through, decoded (None when the proxy cannot decode it)."""

    connection: int
    api_key: int
    version: int
    correlation_id: int
    message: Message | None


RequestHook = Callable[[Exchange], Message | str | None]  # returns None (forward as is), a new request object, or DROP
ResponseHook = Callable[[Exchange], Message | None]  # returns None (forward as is) or a new response object


class KafkaProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.requests: list[Exchange] = []
        self.request_frames: list[bytes] = []  # each request as it went to the broker (size prefix excluded): fuzzing corpora
        self.responses: list[Exchange] = []
        self.on_request: RequestHook | None = None
        self.on_response: ResponseHook | None = None
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections = 0
        self._thread = threading.Thread(target=self._loop.run_forever, name="kafka-proxy", daemon=True)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> KafkaProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def requests_of(self, api_key: int) -> list[Any]:
        """The decoded requests of one API (Any: the caller knows the class its key decodes to)."""
        return [e.message for e in list(self.requests) if e.api_key == api_key]

    def responses_of(self, api_key: int) -> list[Any]:
        """The decoded responses of one API (Any: the caller knows the class its key decodes to)."""
        return [e.message for e in list(self.responses) if e.api_key == api_key]

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        conn_id = self._connections
        try:
            broker_reader, broker_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        self._writers |= {client_writer, broker_writer}
        in_flight: dict[int, tuple[int, int]] = {}
        cut, cut_pending = asyncio.Event(), asyncio.Event()
        tasks = [
            asyncio.ensure_future(self._requests(conn_id, client_reader, broker_writer, in_flight, cut, cut_pending)),
            asyncio.ensure_future(self._responses(conn_id, broker_reader, client_writer, in_flight, cut_pending)),
            asyncio.ensure_future(cut.wait()),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for task in done:
            if not task.cancelled():
                task.exception()  # a side hung up: the usual end of a connection
        for writer in (client_writer, broker_writer):
            writer.close()
            self._writers.discard(writer)

    async def _requests(
        self,
        conn_id: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        in_flight: dict[int, tuple[int, int]],
        cut: asyncio.Event,
        cut_pending: asyncio.Event,
    ) -> None:
        while True:
            frame = await _read_frame(reader)
            header, pos = decode_request_header(frame)
            in_flight[header.correlation_id] = (header.api_key, header.api_version)
            message = _decode(REQUEST_TYPES, header.api_key, header.api_version, frame, pos)
            exchange = Exchange(conn_id, header.api_key, header.api_version, header.correlation_id, message)
            action = self.on_request(exchange) if self.on_request is not None else None
            if isinstance(action, Message):  # a rewritten request
                frame = bytes(frame[:pos]) + _encode(action, header.api_version)
                exchange = dataclasses.replace(exchange, message=action)
            self.requests.append(exchange)
            self.request_frames.append(bytes(frame))
            writer.write(_SIZE.pack(len(frame)) + frame)
            await writer.drain()
            if action is DROP:
                cut_pending.set()  # from now on nothing reaches the client
                await asyncio.sleep(0.2)  # the broker reads and acts on it; its answer never reaches the client
                cut.set()
                return

    async def _responses(
        self,
        conn_id: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        in_flight: dict[int, tuple[int, int]],
        cut_pending: asyncio.Event,
    ) -> None:
        while True:
            frame = await _read_frame(reader)
            correlation_id = _SIZE.unpack_from(frame)[0]
            api_key, version = in_flight.pop(correlation_id, (-1, -1))
            message = None
            if api_key in RESPONSE_TYPES:
                _, pos = decode_response_header(frame, api_key, version)
                message = _decode(RESPONSE_TYPES, api_key, version, frame, pos)
                rewritten = self._rewrite_response(Exchange(conn_id, api_key, version, correlation_id, message))
                if rewritten is not None:
                    message = rewritten
                    out = bytearray()
                    encode_response_header(out, correlation_id, api_key, version)
                    frame = bytes(out) + _encode(message, version)
            if cut_pending.is_set():
                continue  # the broker answered, but the connection "died" first
            self.responses.append(Exchange(conn_id, api_key, version, correlation_id, message))
            writer.write(_SIZE.pack(len(frame)) + frame)
            await writer.drain()

    def _rewrite_response(self, exchange: Exchange) -> Message | None:
        """The test's rewrite of a response (on_response), then Metadata/FindCoordinator pointed at the proxy."""
        message = exchange.message
        changed = self.on_response(exchange) if self.on_response is not None and message is not None else None
        if changed is not None:
            message = changed
        if isinstance(message, MetadataResponse | FindCoordinatorResponse):
            return self._point_at_proxy(message)
        return changed

    def _point_at_proxy(self, message: MetadataResponse | FindCoordinatorResponse) -> Message:
        if isinstance(message, MetadataResponse):
            brokers = [dataclasses.replace(b, host="127.0.0.1", port=self.port) for b in message.brokers]
            return dataclasses.replace(message, brokers=brokers)
        coordinators = [dataclasses.replace(c, host="127.0.0.1", port=self.port) for c in message.coordinators or []]
        host = "127.0.0.1" if message.host else message.host
        return dataclasses.replace(message, host=host, port=self.port if message.port else message.port, coordinators=coordinators)

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    size = _SIZE.unpack(await reader.readexactly(4))[0]
    return await reader.readexactly(size)


def _decode(types: dict[int, type[Message]], api_key: int, version: int, frame: bytes, pos: int) -> Message | None:
    cls = types.get(api_key)
    if cls is None:
        return None
    try:
        return cls.decode(frame, version, pos)[0]
    except Exception:  # a version newer than our tables: recorded as undecoded, forwarded as is
        return None


def _encode(message: Message, version: int) -> bytes:
    out = bytearray()
    message.encode_into(out, version)
    return bytes(out)
