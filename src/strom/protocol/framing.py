"""Sans-IO Kafka framing (in the spirit of h11): bytes in, whole frames or typed messages out; no sockets.

Every Kafka request and response is a frame, [size int32][payload]. `FrameReader` reassembles frames from
arbitrary chunks; `ClientConnection` adds the client's side of the conversation: it numbers requests with
correlation ids, encodes them with the right header version, and decodes responses in order (Kafka answers
a connection's requests in the order they were sent, so a response whose id is not the oldest outstanding
one is a protocol error, not something to wait for).
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from typing import Any

from strom.protocol.errors import CorruptMessage
from strom.protocol.headers import RequestHeader, decode_response_header, encode_request_header
from strom.protocol.messages import RESPONSE_TYPES

DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024  # Kafka's socket.request.max.bytes default
_SIZE = struct.Struct(">i")


class FrameReader:
    """Feed it bytes as they arrive; it returns every frame they complete (payload without the size prefix)."""

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self.max_frame_size = max_frame_size
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        """Bytes held for a frame not yet complete."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        pos = 0
        buf = self._buf
        while len(buf) - pos >= 4:
            (size,) = _SIZE.unpack_from(buf, pos)
            if size < 0 or size > self.max_frame_size:
                raise CorruptMessage(f"frame size {size} is outside 0..{self.max_frame_size}")
            if len(buf) - pos - 4 < size:
                break
            frames.append(bytes(buf[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        if pos:
            del buf[:pos]
        return frames


def frame(payload: bytes | bytearray | memoryview) -> bytes:
    """A payload with its size prefix."""
    return _SIZE.pack(len(payload)) + bytes(payload)


@dataclass(frozen=True, slots=True)
class Response:
    correlation_id: int
    api_key: int
    api_version: int
    message: Any


class ClientConnection:
    """The client's side of one connection: requests out as bytes, responses in as typed messages."""

    def __init__(self, client_id: str | None = "strom", max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self.client_id = client_id
        self._reader = FrameReader(max_frame_size)
        self._next_correlation_id = 0
        self._in_flight: deque[tuple[int, int, int]] = deque()  # (correlation id, api key, version)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def send(self, request: Any, version: int, expect_response: bool = True) -> tuple[int, bytes]:
        """(correlation id, bytes to write). A Produce with acks=0 expects no response: pass False."""
        if not request.MIN_VERSION <= version <= request.MAX_VERSION:
            raise ValueError(f"{type(request).__name__} has no version {version}")
        correlation_id = self._next_correlation_id
        self._next_correlation_id = (correlation_id + 1) & 0x7FFFFFFF
        out = bytearray(4)
        encode_request_header(out, RequestHeader(request.API_KEY, version, correlation_id, self.client_id))
        request.encode_into(out, version)
        _SIZE.pack_into(out, 0, len(out) - 4)
        if expect_response:
            self._in_flight.append((correlation_id, request.API_KEY, version))
        return correlation_id, bytes(out)

    def receive(self, data: bytes | bytearray | memoryview) -> list[Response]:
        """Responses completed by `data`, decoded, in the order their requests were sent."""
        responses = []
        for payload in self._reader.feed(data):
            if not self._in_flight:
                raise CorruptMessage("a response arrived with no request outstanding")
            expected, api_key, version = self._in_flight[0]
            correlation_id, pos = decode_response_header(payload, api_key, version)
            if correlation_id != expected:
                raise CorruptMessage(f"response correlation id {correlation_id} does not match the oldest request's {expected}")
            self._in_flight.popleft()
            message, end = RESPONSE_TYPES[api_key].decode(payload, version, pos)
            if end != len(payload):
                raise CorruptMessage(f"{len(payload) - end} bytes after the {type(message).__name__} v{version}")
            responses.append(Response(correlation_id, api_key, version, message))
        return responses
