"""The connection's receive buffer cuts whole frames out of bytes that arrive in any chunking, reusing its
buffer (partial frames move to the front) or growing it for a frame larger than the buffer."""

import struct
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.broker.config import Listener
from strom.broker.server import KafkaConnection


class RecordingConnection(KafkaConnection):
    def __init__(self) -> None:
        broker = SimpleNamespace(config={"socket.request.max.bytes": 10 << 20})
        super().__init__(broker, Listener("PLAINTEXT", "", 0))  # type: ignore[arg-type]
        self.frames: list[bytes] = []

    def _on_frame(self, frame: bytearray) -> None:
        self.frames.append(bytes(frame))


def feed(conn: KafkaConnection, data: bytes, chunk_sizes: list[int]) -> None:
    """Delivers `data` as a transport does: get_buffer, then write at most that view's length."""
    pos = 0
    sizes = iter(chunk_sizes)
    while pos < len(data):
        view = conn.get_buffer(-1)
        n = min(len(view), len(data) - pos, next(sizes, len(data)))
        view[:n] = data[pos : pos + n]
        conn.buffer_updated(n)
        pos += n


def framed(bodies: list[bytes]) -> bytes:
    return b"".join(struct.pack(">i", len(b)) + b for b in bodies)


@settings(max_examples=200, deadline=None)
@given(
    bodies=st.lists(st.binary(min_size=0, max_size=200_000).map(lambda b: b or b"\x00"), min_size=1, max_size=8),
    chunks=st.lists(st.integers(min_value=1, max_value=150_000), max_size=40),
)
def test_frames_come_out_whole_in_order_for_any_chunking(bodies: list[bytes], chunks: list[int]) -> None:
    conn = RecordingConnection()
    feed(conn, framed(bodies), chunks)
    assert conn.frames == bodies


def test_partial_frame_moves_to_the_front_of_the_same_buffer() -> None:
    conn = RecordingConnection()
    feed(conn, framed([b"z" * 200_000]), [200_004])  # the buffer grows once, to hold a large frame
    buffer = conn._reader._buf
    first, second = b"a" * 150_000, b"b" * 100_000
    data = framed([first, second])
    feed(conn, data[:200_000], [200_000])  # the first frame and half of the second
    feed(conn, data[200_000:], [len(data)])
    assert conn.frames[1:] == [first, second]
    assert conn._reader._buf is buffer  # room came from dropping the consumed front, not from a new buffer


def test_frame_larger_than_the_buffer_grows_it() -> None:
    conn = RecordingConnection()
    big = bytes(range(256)) * 1000  # 256 000 bytes, four times the initial buffer
    feed(conn, framed([big, b"x"]), [70_000] * 10)
    assert conn.frames == [big, b"x"]


def test_a_frame_over_socket_request_max_bytes_closes_the_connection_after_the_frames_before_it(caplog: pytest.LogCaptureFixture) -> None:
    conn = RecordingConnection()
    conn._reader.max_frame_size = 1024
    feed(conn, framed([b"ok"]) + struct.pack(">i", 1025) + b"more", [])
    assert conn.frames == [b"ok"] and conn.closed
    assert "frame of 1025 bytes exceeds socket.request.max.bytes=1024" in caplog.text
