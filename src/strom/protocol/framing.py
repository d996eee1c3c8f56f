"""Sans-IO Kafka framing (in the spirit of h11): bytes in, whole frames or typed messages out; no sockets.

Every Kafka request and response is a frame, [size int32][payload]. `FrameReader` is the one place frames are
cut: the broker's BufferedProtocol drives it directly (`get_buffer` / `buffer_updated`), stream readers and
tests hand it chunks (`feed`). `ClientConnection` adds the client's side of the conversation: it numbers
requests with correlation ids, encodes them with the right header version, and decodes responses in order
(Kafka answers a connection's requests in the order they were sent, so a response whose id is not the oldest
outstanding one is a protocol error, not something to wait for).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

from strom.protocol import primitives as p
from strom.protocol.compiler import Message
from strom.protocol.errors import CorruptMessage
from strom.protocol.headers import RequestHeader, decode_response_header, encode_request_header
from strom.protocol.messages import RESPONSE_TYPES

DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024  # Kafka's socket.request.max.bytes default
SIZE = p.INT32
"""The size prefix of every frame: a big-endian int32 counting the bytes after it."""
_MIN_READ = 64 * 1024  # room offered to every read, and the size a buffer shrinks back to
_SHRINK_ABOVE = 1 << 20


class FrameTooLarge(CorruptMessage):
    """A size prefix outside 0..max_frame_size (socket.request.max.bytes): the stream cannot be resynchronised,
    so the connection must close."""

    def __init__(self, size: int, max_frame_size: int) -> None:
        super().__init__(f"frame size {size} is outside 0..{max_frame_size}")
        self.size = size
        self.max_frame_size = max_frame_size


FrameT = TypeVar("FrameT", bytearray, bytes)


def _as_is(frame: bytearray) -> bytearray:
    return frame


class FrameReader(Generic[FrameT]):
    """Cuts frames out of one receive buffer that a BufferedProtocol reads into.

    `get_buffer()` offers the free tail of the buffer; `buffer_updated(n)` yields every frame (payload without
    the size prefix, copied once into its own `frame_type` object: a bytearray by default, which decoders slice
    without copying and Produce rewrites batches in place; bytes where decoded fields must be read-only) that
    the n new bytes complete. The buffer is never resized in place (the transport may still hold
    the previous view): the live bytes of a partial frame move to its front when the consumed part leaves
    room, a new buffer is made only for a frame larger than the buffer, and one grown past 1 MiB is given
    back once it is empty. A frame that would grow it past 1 MiB (a large produce batch, a fetch response) is
    read into a bytearray of its own that is handed over as it is: no buffer grows and shrinks for it, no copy
    out."""

    __slots__ = ("max_frame_size", "_frame_type", "_buf", "_start", "_end", "_need", "_large", "_large_filled", "_take_large")

    @overload
    def __init__(self: FrameReader[bytearray], max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None: ...

    @overload
    def __init__(self, max_frame_size: int, frame_type: type[FrameT]) -> None: ...

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE, frame_type: type[FrameT] | None = None) -> None:
        self.max_frame_size = max_frame_size
        self._frame_type: type[FrameT] = bytearray if frame_type is None else frame_type  # type: ignore[assignment]
        self._buf = bytearray(_MIN_READ)
        self._start = 0  # first byte not yet cut into a frame
        self._end = 0  # end of the bytes received
        self._need = 0  # bytes still missing from the frame being received
        self._large: bytearray | None = None  # the payload of a frame over 1 MiB (with its prefix) being received
        self._large_filled = 0
        # a large frame is handed over as the bytearray it was read into; a bytes reader pays one copy
        self._take_large: Callable[[bytearray], FrameT] = _as_is if self._frame_type is bytearray else self._frame_type  # type: ignore[assignment]

    @property
    def buffered(self) -> int:
        """Bytes held for a frame not yet complete."""
        if self._large is not None:
            return 4 + self._large_filled
        return self._end - self._start

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Where the next read goes: at least 64 KiB, or the rest of the frame being received if larger."""
        if self._large is not None:
            return memoryview(self._large)[self._large_filled :]
        need = max(self._need, _MIN_READ)
        if len(self._buf) - self._end < need:
            live = self._end - self._start
            if len(self._buf) - live >= need:
                view = memoryview(self._buf)
                view[:live] = view[self._start : self._end]  # memmove: the regions may overlap
                self._start, self._end = 0, live
            else:
                fresh = bytearray(max(len(self._buf), live + need))
                fresh[:live] = memoryview(self._buf)[self._start : self._end]
                self._buf, self._start, self._end = fresh, 0, live
        return memoryview(self._buf)[self._end :]

    def buffer_updated(self, nbytes: int) -> Iterator[FrameT]:
        """The frames completed by `nbytes` more bytes in the buffer, cut as the caller iterates (so a caller
        that stops, e.g. on closing, leaves the rest uncut). Raises FrameTooLarge on reaching a bad size."""
        if self._large is not None:
            self._large_filled += nbytes
            return self._large_frame()
        self._end += nbytes
        return self._cut()

    def _large_frame(self) -> Iterator[FrameT]:
        if self._large is not None and self._large_filled == len(self._large):
            frame, self._large = self._large, None
            yield self._take_large(frame)

    def _receive_large(self, size: int) -> None:
        """Moves the received part of a frame over 1 MiB (with its prefix) into a bytearray of its own; reads fill the rest."""
        have = self._end - self._start - 4
        self._large = bytearray(size)
        self._large[:have] = memoryview(self._buf)[self._start + 4 : self._end]
        self._large_filled = have
        self._start = self._end = self._need = 0

    def _cut(self) -> Iterator[FrameT]:
        # Locals, not attributes, in the loop (one frame costs ~0.5 us; each attribute access is a few percent
        # of it); the position is stored before each frame is handed out. No read lands while a caller iterates.
        buf, make, unpack, max_size = self._buf, self._frame_type, SIZE.unpack_from, self.max_frame_size
        start, end = self._start, self._end
        self._need = 0
        while end - start >= 4:
            size = unpack(buf, start)[0]
            if size < 0 or size > max_size:
                raise FrameTooLarge(size, max_size)
            if end - start - 4 < size:
                if size + 4 > _SHRINK_ABOVE:  # a buffer grown for it would be given back right after
                    self._receive_large(size)
                else:
                    self._need = size + 4 - (end - start)
                return
            frame = make(memoryview(buf)[start + 4 : start + 4 + size])  # one copy, not two
            start += 4 + size
            self._start = start
            yield frame
        if start == end:
            self._start = self._end = 0
            if len(self._buf) > _SHRINK_ABOVE:
                self._buf = bytearray(_MIN_READ)  # give back a buffer grown for one large frame

    def feed(self, data: bytes | bytearray | memoryview) -> list[FrameT]:
        """Every frame that `data` completes, for callers that receive chunks rather than read into a buffer."""
        frames: list[FrameT] = []
        rest = memoryview(data).cast("B")
        while rest:
            view = self.get_buffer(len(rest))
            n = min(len(view), len(rest))
            view[:n] = rest[:n]
            frames.extend(self.buffer_updated(n))
            rest = rest[n:]
        return frames


def frame(payload: bytes | bytearray | memoryview) -> bytes:
    """A payload with its size prefix."""
    return SIZE.pack(len(payload)) + bytes(payload)


@dataclass(frozen=True, slots=True)
class Response:
    correlation_id: int
    api_key: int
    api_version: int
    message: Message


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

    def send(self, request: Message, version: int, expect_response: bool = True) -> tuple[int, bytes]:
        """(correlation id, bytes to write). A Produce with acks=0 expects no response: pass False."""
        if not request.MIN_VERSION <= version <= request.MAX_VERSION:
            raise ValueError(f"{type(request).__name__} has no version {version}")
        correlation_id = self._next_correlation_id
        self._next_correlation_id = (correlation_id + 1) & 0x7FFFFFFF
        out = bytearray(4)
        encode_request_header(out, RequestHeader(request.API_KEY, version, correlation_id, self.client_id))
        request.encode_into(out, version)
        SIZE.pack_into(out, 0, len(out) - 4)
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
