"""Sans-IO framing: frames survive any chunking, responses are matched to requests in order, and bad sizes or
out-of-order correlation ids are errors rather than waits."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom.protocol.errors import CorruptMessage
from strom.protocol.framing import ClientConnection, FrameReader, frame
from strom.protocol.headers import encode_response_header
from strom.protocol.schema.api_versions import ApiVersion, ApiVersionsRequest, ApiVersionsResponse
from strom.protocol.schema.metadata import MetadataRequest, MetadataResponse
from strom.protocol.schema.produce import ProduceRequest


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


@pytest.mark.parametrize("size", [-1, 1025])
def test_bad_frame_sizes_are_errors(size):
    with pytest.raises(CorruptMessage):
        FrameReader(max_frame_size=1024).feed(size.to_bytes(4, "big", signed=True))


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
