"""Bad input at the sans-IO layer: mutated requests (from real clients' captures and a request of every API key
and version) fed through the broker's own framing and decoding. Every input decodes or fails with
CorruptMessage -- the one error the connection turns into a closed connection with one log line; nothing else
escapes, nothing takes long, memory stays flat."""

from __future__ import annotations

import resource
import struct
import time
from collections import Counter

import pytest

from strom.protocol.errors import CorruptMessage
from strom.protocol.framing import FrameReader
from strom.protocol.headers import decode_request_header
from strom.protocol.messages import REQUEST_TYPES, SUPPORTED_VERSIONS
from strom.protocol.schema.produce import ProduceRequest
from strom.testing.request_fuzzer import mutated_requests, schema_requests

from .record_captures import load_captures


def decode_like_the_broker(frame: bytes) -> str:
    """What the connection does with bytes from the socket, up to the handler: frame, header, body."""
    for f in FrameReader(100 << 20).feed(struct.pack(">i", len(frame)) + frame):
        header, pos = decode_request_header(f)
        cls = REQUEST_TYPES.get(header.api_key)
        if cls is None:
            return "unknown api key"
        lo, hi = SUPPORTED_VERSIONS[header.api_key]
        if not lo <= header.api_version <= hi:
            return "unsupported version"
        cls.decode(f, header.api_version, pos)
    return "decoded"


def test_the_seeds_cover_every_api_key_and_version_and_real_clients():
    captures = load_captures()
    assert len(captures) >= 100 and len({f[:4] for f in captures}) >= 40  # (api key, version) pairs clients sent
    assert {struct.unpack_from(">hh", f) for f in schema_requests()} == {
        (k, v) for k, (lo, hi) in SUPPORTED_VERSIONS.items() for v in range(lo, hi + 1)
    }


def test_a_request_of_a_version_its_schema_does_not_have_is_corrupt():
    """It used to compile a decoder for any version it was asked (a negative one is a SyntaxError; each other
    one stayed in memory): only the schema's versions decode."""
    for version in (-512, -1, ProduceRequest.MAX_VERSION + 1, 0x7FFF):
        with pytest.raises(CorruptMessage):
            ProduceRequest.decode(b"\x00" * 64, version)


@pytest.mark.parametrize("count", [20_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_mutated_requests_decode_or_are_corrupt_never_anything_else(count):
    seeds = load_captures() + schema_requests()
    outcomes: Counter[str] = Counter()
    escaped: list[tuple[int, str]] = []
    slowest = 0.0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for number, frame in mutated_requests(seeds, count, seed=19):
        started = time.perf_counter()
        try:
            outcomes[decode_like_the_broker(frame)] += 1
        except CorruptMessage:
            outcomes["corrupt"] += 1
        except Exception as exc:  # noqa: BLE001 - what the test is looking for
            escaped.append((number, repr(exc)))
        slowest = max(slowest, time.perf_counter() - started)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    print(f"{count} mutated requests: {dict(outcomes)}, slowest {slowest * 1000:.1f} ms, max RSS grew {grown_mib:.1f} MiB")
    assert escaped == []
    assert outcomes["decoded"] > count // 10 and outcomes["corrupt"] > count // 2  # the mutations reach the decoders
    assert slowest < 2.0 and grown_mib < 100
