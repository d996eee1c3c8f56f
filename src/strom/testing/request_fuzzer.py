"""Mutated Kafka requests, for fuzzing the broker: seeded, so a failing input is reproduced from its number.

The seeds are real requests (frames captured from clients, plus one request of every API key and version
encoded from its schema); each mutation keeps the request header's API key and version most of the time, so
the decoder of that API -- not just the header check -- gets the damaged bytes: bit flips, bytes set to
boundary values, lengths and counts set to -1 / 0 / huge, truncation, inserted or repeated bytes, and
splices of two requests.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator, Sequence

from strom.protocol.headers import RequestHeader, encode_request_header
from strom.protocol.messages import REQUEST_TYPES, SUPPORTED_VERSIONS

_BOUNDARY_BYTES = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)
_BOUNDARY_INT32 = (-(2**31), -2, -1, 0, 1, 0x7FFF, 0xFFFF, 2**24, 2**31 - 1)
_HEADER = 8  # api key, api version, correlation id: kept by most mutations


def schema_requests() -> list[bytes]:
    """One request of every API key and version the broker serves, its fields at their defaults."""
    frames = []
    for key, (lo, hi) in sorted(SUPPORTED_VERSIONS.items()):
        for version in range(lo, hi + 1):
            out = bytearray()
            encode_request_header(out, RequestHeader(key, version, 1, "strom-fuzz"))
            out += REQUEST_TYPES[key]().encode(version)
            frames.append(bytes(out))
    return frames


def mutate(frame: bytes, rnd: random.Random, others: Sequence[bytes]) -> bytes:
    """One to four mutations of a request frame (without its size prefix)."""
    data = bytearray(frame)
    for _ in range(rnd.choice((1, 1, 1, 2, 2, 3, 4))):
        lo = _HEADER if len(data) > _HEADER and rnd.random() < 0.9 else 0
        if len(data) <= lo:
            data += bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 9)))
            continue
        at = rnd.randrange(lo, len(data))
        kind = rnd.randrange(8)
        if kind == 0:
            data[at] ^= 1 << rnd.randrange(8)
        elif kind == 1:
            data[at] = rnd.choice(_BOUNDARY_BYTES)
        elif kind == 2 and at + 4 <= len(data):  # a length or count field set to an edge value
            struct.pack_into(">i", data, at, rnd.choice(_BOUNDARY_INT32))
        elif kind == 3 and at + 2 <= len(data):
            struct.pack_into(">h", data, at, rnd.choice((-2, -1, 0, 0x7FFF)))
        elif kind == 4:
            del data[at:]
        elif kind == 5:
            data[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 17)))
        elif kind == 6:
            end = min(len(data), at + rnd.randrange(1, 64))
            data[at:at] = data[at:end] * rnd.randrange(1, 4)
        else:
            other = rnd.choice(others)
            cut = rnd.randrange(min(len(other), _HEADER), len(other) + 1) if len(other) > _HEADER else 0
            data = data[:at] + other[cut:]
    return bytes(data)


def mutated_requests(seeds: Sequence[bytes], count: int, seed: int = 0) -> Iterator[tuple[int, bytes]]:
    """(number, mutated frame) for `count` mutations, round-robin over the seed requests; the same seed and
    count give the same inputs."""
    for i in range(count):
        rnd = random.Random(seed * 1_000_003 + i)
        yield i, mutate(seeds[i % len(seeds)], rnd, seeds)
