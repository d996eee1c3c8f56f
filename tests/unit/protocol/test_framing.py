"""Sans-IO framing: frames survive any chunking, responses are matched to requests in order, and bad sizes or
out-of-order correlation ids are errors rather than waits."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.protocol.errors import CorruptMessage
from strom.protocol.framing import SIZE, ClientConnection, FrameReader, FrameTooLarge, frame
from strom.protocol.headers import encode_response_header
from strom.protocol.schema.api_versions import ApiVersion, ApiVersionsRequest, ApiVersionsResponse
from strom.protocol.schema.metadata import MetadataRequest, MetadataResponse
from strom.protocol.schema.produce import ProduceRequest


def read_into(reader: FrameReader, data: bytes, reads: list[int]) -> list[bytearray]:
    """Delivers `data` as a BufferedProtocol transport does: get_buffer, then at most that view's length,
    in reads of the given sizes (then whatever fits)."""
    frames: list[bytearray] = []
    pos = 0
    sizes = iter(reads)
    while pos < len(data):
        view = reader.get_buffer(-1)
        n = min(len(view), len(data) - pos, next(sizes, len(data)))
        view[:n] = data[pos : pos + n]
        frames += reader.buffer_updated(n)
        pos += n
    return frames


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.binary(max_size=300).map(bytes) | st.integers(60_000, 200_000).map(bytes), max_size=8),
    st.lists(st.integers(1, 150_000) | st.integers(1, 9), max_size=40),
)
def test_reads_of_any_size_yield_exactly_the_frames(payloads, reads):
    reader = FrameReader()
    got = read_into(reader, b"".join(frame(p) for p in payloads), reads)
    assert got == payloads and all(type(f) is bytearray for f in got)
    assert reader.buffered == 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=8), st.data())
def test_frames_survive_any_chunking(payloads, data):
    stream = b"".join(frame(p) for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    reader = FrameReader()
    got = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got += reader.feed(stream[start:cut])
        start = cut
    assert got == payloads and reader.buffered == 0


def test_a_frame_split_across_reads_comes_out_once_complete():
    reader = FrameReader()
    wire = frame(b"abcdef")
    for i in range(len(wire) - 1):
        assert reader.feed(wire[i : i + 1]) == []
        assert reader.buffered == i + 1
    assert reader.feed(wire[-1:]) == [b"abcdef"]


@pytest.mark.parametrize("size", [-1, 1025, 2**31 - 1])
def test_bad_frame_sizes_are_errors(size):
    with pytest.raises(FrameTooLarge) as info:
        FrameReader(max_frame_size=1024).feed(SIZE.pack(size))
    assert (info.value.size, info.value.max_frame_size) == (size, 1024)
    assert isinstance(info.value, CorruptMessage)


def test_frames_before_a_bad_size_come_out_first():
    reader = FrameReader(max_frame_size=1024)
    view = reader.get_buffer(-1)
    wire = frame(b"ok") + frame(b"x" * 1025)
    view[: len(wire)] = wire
    frames = reader.buffer_updated(len(wire))
    assert next(frames) == b"ok"
    with pytest.raises(FrameTooLarge):
        next(frames)


def test_frames_are_cut_as_the_caller_iterates():
    """A caller that stops (the connection closed) leaves the rest of the buffer uncut."""
    reader = FrameReader()
    wire = frame(b"a") + frame(b"bb") + frame(b"ccc")
    reader.get_buffer(-1)[: len(wire)] = wire
    frames = reader.buffer_updated(len(wire))
    assert next(frames) == b"a"
    assert reader.buffered == len(frame(b"bb") + frame(b"ccc"))


def test_a_partial_frame_moves_to_the_front_of_the_same_buffer():
    reader = FrameReader()
    read_into(reader, frame(b"z" * 200_000), [])  # the buffer grows once, to hold a large frame
    first, second = b"a" * 150_000, b"b" * 100_000
    data = frame(first) + frame(second)
    held = reader.get_buffer(-1)  # the transport may keep its view: the buffer must not be resized
    assert read_into(reader, data[:200_000], []) == [first]
    buffer = reader._buf
    assert read_into(reader, data[200_000:], []) == [second]
    assert reader._buf is buffer and len(held) > 0  # room came from dropping the consumed front


def test_the_next_read_has_room_for_the_rest_of_a_large_frame():
    reader = FrameReader()
    reader.feed(SIZE.pack(500_000) + b"x" * 10)
    assert len(reader.get_buffer(-1)) >= 500_000 - 10


def test_a_buffer_grown_past_1_mib_is_given_back_once_empty():
    """A frame of 1 MiB with its prefix is cut from the buffer; its last byte's read grows the buffer past 1 MiB
    (every read is offered 64 KiB), and the buffer goes back to 64 KiB once the frame is out."""
    reader = FrameReader()
    wire = frame(b"x" * ((1 << 20) - 4))
    assert reader.feed(wire[:-1]) == []
    view = reader.get_buffer(-1)
    assert len(reader._buf) > 1 << 20
    view[:1] = wire[-1:]
    assert list(reader.buffer_updated(1)) == [wire[4:]]
    assert len(reader._buf) == 64 * 1024


def test_a_frame_that_would_grow_the_buffer_past_1_mib_gets_a_bytearray_of_its_own():
    reader = FrameReader()
    wire = frame(b"y" * ((1 << 20) - 3))
    [got] = reader.feed(wire)
    assert got == wire[4:] and len(reader._buf) == 64 * 1024


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.binary(max_size=300).map(bytes) | st.integers((1 << 20) + 1, (1 << 20) + 70_000).map(bytes), max_size=4),
    st.lists(st.integers(1, 600_000) | st.integers(1, 9), max_size=40),
)
def test_frames_over_1_mib_come_out_whole_in_their_own_bytearray(payloads, reads):
    reader = FrameReader()
    got = read_into(reader, b"".join(frame(p) for p in payloads), reads)
    assert got == payloads and all(type(f) is bytearray for f in got)
    assert reader.buffered == 0 and len(reader._buf) <= 2 * 64 * 1024  # no buffer was grown for them


def test_a_frame_over_1_mib_is_read_into_the_bytearray_it_is_handed_over_in():
    reader = FrameReader()
    payload = bytes(range(256)) * 5000
    wire = frame(b"small") + frame(payload)
    assert read_into(reader, wire[:1000], []) == [b"small"]
    assert reader.buffered == 1000 - len(frame(b"small"))
    view = reader.get_buffer(-1)
    assert len(view) == len(payload) - (reader.buffered - 4)  # exactly the rest of the frame: nothing after it
    view[:] = wire[1000:]
    [got] = reader.buffer_updated(len(view))
    assert got == payload and reader.buffered == 0
    assert got is view.obj  # the bytearray the reads went into, not a copy


def _response(correlation_id, message, api_key, version):
    out = bytearray()
    encode_response_header(out, correlation_id, api_key, version)
    message.encode_into(out, version)
    return frame(out)


def test_client_connection_matches_responses_in_order():
    conn = ClientConnection("test-client")
    id1, raw1 = conn.send(ApiVersionsRequest(client_software_name="t", client_software_version="1"), 3)
    id2, _ = conn.send(MetadataRequest(topics=None), 12)
    _, _ = conn.send(ProduceRequest(acks=0, timeout_ms=1), 9, expect_response=False)
    assert raw1[:4] == (len(raw1) - 4).to_bytes(4, "big") and conn.in_flight == 2
    wire = _response(id1, ApiVersionsResponse(api_keys=[ApiVersion(api_key=3, min_version=0, max_version=12)]), 18, 3)
    wire += _response(id2, MetadataResponse(cluster_id="c"), 3, 12)
    got = []
    for i in range(0, len(wire), 7):  # arbitrary chunks
        got += conn.receive(wire[i : i + 7])
    assert [(r.correlation_id, type(r.message).__name__) for r in got] == [(id1, "ApiVersionsResponse"), (id2, "MetadataResponse")]
    assert got[1].message.cluster_id == "c" and conn.in_flight == 0


def test_out_of_order_or_unexpected_responses_are_errors():
    conn = ClientConnection()
    conn.send(MetadataRequest(), 1)
    with pytest.raises(CorruptMessage, match="correlation id"):
        conn.receive(_response(99, MetadataResponse(), 3, 1))
    with pytest.raises(CorruptMessage, match="no request outstanding"):
        ClientConnection().receive(_response(0, MetadataResponse(), 3, 1))


def test_unknown_version_is_refused_before_sending():
    with pytest.raises(ValueError):
        ClientConnection().send(MetadataRequest(), 99)


def test_frames_can_come_out_as_bytes():
    """A client's decoded fields are views of the frame: read-only (hashable) when the frame is bytes."""
    reader = FrameReader(1024, frame_type=bytes)
    frames = reader.feed(frame(b"abc") + frame(b"de"))
    assert frames == [b"abc", b"de"] and all(type(f) is bytes for f in frames)


def test_frames_over_1_mib_can_come_out_as_bytes():
    reader = FrameReader(4 << 20, frame_type=bytes)
    payload = b"x" * (2 << 20)
    frames = reader.feed(frame(b"abc") + frame(payload) + frame(b"de"))
    assert frames == [b"abc", payload, b"de"] and all(type(f) is bytes for f in frames)
