"""Fuzzing every decoder: random and mutated inputs raise CorruptMessage or decode, nothing else, and never hang.

A broker reads whatever a socket hands it, so an IndexError, a MemoryError from a huge length prefix or a loop
driven by a hostile count would take down a connection handler (or the broker). Seeds are valid encodings of
random messages of every API and version, request headers, record batches in every codec and raw compressed
blocks; mutations flip bits, plant boundary values (0, -1, 0x7fffffff, 0x80...), truncate, insert and
duplicate spans. CI runs a 20k slice (about a second); 5 x 100k inputs with other seeds are marked slow.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable

import pytest

from strom import _native
from strom.client.record_codec import batch_payload, py_decode_into
from strom.protocol import compiler, compression
from strom.protocol.errors import CorruptMessage
from strom.protocol.headers import RequestHeader, decode_request_header, encode_request_header
from strom.protocol.messages import REQUEST_TYPES, RESPONSE_TYPES
from strom.protocol.records import (
    BatchBuilder,
    batches_to_legacy,
    crc_ok,
    iter_all_records,
    iter_batch_headers,
    legacy_to_batch,
    split_batches_strict,
)

SLOW_CALL_SECONDS = 1.0  # far above any honest decode of a few hundred bytes: a longer call is a runaway loop

_INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff\xff",
    b"\x7f\xff",
    b"\x80\x00",
    b"\xff\xff\xff\xff",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\xff\xff\xff\xff\x0f",
    b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
]


def _random_value(rng: random.Random, type_name: str) -> object:
    if type_name in ("int8", "int16", "int32", "int64"):
        bits = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}[type_name]
        return rng.choice([0, -1, 1, rng.randrange(-(2 ** (bits - 1)), 2 ** (bits - 1))])
    if type_name == "uint16":
        return rng.randrange(2**16)
    if type_name == "float64":
        return rng.random()
    if type_name == "bool":
        return rng.random() < 0.5
    if type_name == "string":
        return "".join(rng.choice("abcé-_.") for _ in range(rng.randrange(6)))
    if type_name in ("bytes", "records"):
        return rng.randbytes(rng.randrange(8))
    if type_name == "uuid":
        return uuid.UUID(int=rng.getrandbits(128))
    raise AssertionError(type_name)


def random_message(cls: type, version: int, rng: random.Random, depth: int = 0) -> object:
    """A message with every field of the version filled at random (arrays of 0-2 elements)."""
    regular, tagged = compiler._fields_in(cls, version)
    children = compiler.children_of(cls)
    kwargs: dict[str, object] = {}
    for f in regular + tagged:
        elem = compiler._element_type(f.type)
        child = children.get(f.name)
        if elem is not None:
            n = rng.randrange(3) if depth < 3 else 0
            kwargs[f.name] = [random_message(child, version, rng, depth + 1) if child else _random_value(rng, elem) for _ in range(n)]
        elif child is not None:
            kwargs[f.name] = random_message(child, version, rng, depth + 1)
        else:
            kwargs[f.name] = _random_value(rng, f.type)
    return cls(**kwargs)


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:  # bit flips
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(buf))
                buf[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # plant a boundary value (lengths, counts, varints)
            value = rng.choice(_INTERESTING)
            buf[pos : pos + len(value)] = value
        elif op == 2:  # truncate
            del buf[pos:]
        elif op == 3:  # insert random bytes
            buf[pos:pos] = rng.randbytes(rng.randrange(1, 9))
        elif op == 4 and buf:  # duplicate a span
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start : start + rng.randrange(1, 32)]
        else:  # pure garbage
            buf = bytearray(rng.randbytes(rng.randrange(64)))
    return bytes(buf)


def _message_targets(rng: random.Random) -> list[tuple[str, Callable[[bytes], object], list[bytes]]]:
    targets = []
    for table in (REQUEST_TYPES, RESPONSE_TYPES):
        for cls in table.values():
            for version in range(cls.MIN_VERSION, cls.MAX_VERSION + 1):
                seeds = [cls().encode(version)] + [random_message(cls, version, rng).encode(version) for _ in range(2)]

                def decode(raw: bytes, cls: type = cls, version: int = version) -> object:
                    return cls.decode(raw, version)

                targets.append((f"{cls.__name__} v{version}", decode, seeds))
    return targets


def _header_seeds() -> list[bytes]:
    seeds = []
    for key, cls in REQUEST_TYPES.items():
        out = bytearray()
        encode_request_header(out, RequestHeader(key, cls.MAX_VERSION, 7, "fuzz-client"))
        seeds.append(bytes(out))
    return seeds


def _batch_seeds(rng: random.Random) -> list[bytes]:
    seeds = []
    for codec in compression.CODEC_NAMES:
        builder = BatchBuilder(compression_type=codec, producer_id=5, producer_epoch=0, base_sequence=0)
        for i in range(rng.randint(1, 4)):
            builder.append(rng.randbytes(rng.randrange(20)), key=b"k%d" % i if i % 2 else None, headers=[("h", b"v")])
        seeds.append(builder.build())
    return seeds


def _request_seeds(rng: random.Random) -> list[bytes]:
    seeds = []
    for key, cls in REQUEST_TYPES.items():
        version = rng.randint(cls.MIN_VERSION, cls.MAX_VERSION)
        out = bytearray()
        encode_request_header(out, RequestHeader(key, version, 7, "fuzz-client"))
        random_message(cls, version, rng).encode_into(out, version)
        seeds.append(bytes(out))
    return seeds


def _read_request(raw: bytes) -> None:
    """What the broker does with a frame: header first, then the body by the header's key and version."""
    header, pos = decode_request_header(raw)
    cls = REQUEST_TYPES.get(header.api_key)
    if cls is not None and cls.MIN_VERSION <= header.api_version <= cls.MAX_VERSION:
        cls.decode(raw, header.api_version, pos)


def _read_records(raw: bytes) -> None:
    for pos, header in split_batches_strict(raw):
        crc_ok(raw, pos, header)
    for _ in iter_all_records(raw):
        pass


_fast_codec = _native.load("strom.client._fast_codec")
_CLIENT_DECODERS = [py_decode_into] + ([_fast_codec.decode_into] if _fast_codec is not None else [])


def _client_decode(raw: bytes) -> None:
    """The consumer's record decoders (pure Python and, when built, compiled): the same messages or the
    same CorruptMessage, whatever the bytes (a forged length or varint must not read outside the buffer)."""
    for pos, header in iter_batch_headers(raw):
        payload = batch_payload(raw, pos, header.size, header.compression)
        outcomes = []
        for decode in _CLIENT_DECODERS:
            out: list[object] = []
            try:
                decode(out, payload, header.records_count, header.base_offset, header.base_timestamp, None, 0, "t", 0, -1, None, None)
                outcomes.append([(m.offset(), m.timestamp(), m.key(), m.value(), m.headers()) for m in out])  # type: ignore[attr-defined]
            except CorruptMessage as exc:
                outcomes.append(f"corrupt: {exc}")
        assert all(o == outcomes[0] for o in outcomes), outcomes
        if isinstance(outcomes[0], str):
            raise CorruptMessage(outcomes[0])


def _targets(rng: random.Random) -> list[tuple[str, Callable[[bytes], object], list[bytes]]]:
    targets = _message_targets(rng)
    targets.append(("request header", decode_request_header, _header_seeds()))
    targets.append(("request frame", _read_request, _request_seeds(rng)))
    batches = _batch_seeds(rng)
    targets.append(("record batches", _read_records, batches))
    targets.append(("client record decoders", _client_decode, batches))
    legacy = [batches_to_legacy(batch, magic) for batch in batches for magic in (0, 1)]
    targets.append(("legacy message set", legacy_to_batch, legacy))
    for codec, name in compression.CODEC_NAMES.items():
        payload = rng.randbytes(200) + b"abc" * 100

        def decompress(raw: bytes, codec: int = codec) -> object:
            return compression.decompress(codec, raw)

        targets.append((f"{name} block", decompress, [compression.compress(codec, payload)]))
    return targets


def run_fuzz(total: int, seed: int) -> dict[str, int]:
    """Feeds `total` mutated inputs round-robin to every decoder; returns outcome counts."""
    rng = random.Random(seed)
    targets = _targets(rng)
    outcomes = {"decoded": 0, "corrupt": 0}
    for i in range(total):
        name, decode, seeds = targets[i % len(targets)]
        raw = mutate(rng, rng.choice(seeds))
        started = time.perf_counter()
        try:
            decode(raw)
            outcomes["decoded"] += 1
        except CorruptMessage:
            outcomes["corrupt"] += 1
        except Exception as exc:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"{name}: {type(exc).__name__}: {exc} on input {raw.hex()}") from exc
        elapsed = time.perf_counter() - started
        assert elapsed < SLOW_CALL_SECONDS, f"{name} took {elapsed:.2f}s on input {raw.hex()}"
    return outcomes


def test_seeds_decode():
    """The seeds themselves are valid: otherwise the fuzz would only ever exercise the first error path."""
    rng = random.Random(1)
    for name, decode, seeds in _targets(rng):
        for raw in seeds:
            try:
                decode(raw)
            except CorruptMessage as exc:
                raise AssertionError(f"seed of {name} does not decode: {exc}") from exc


def test_fuzz_slice():
    outcomes = run_fuzz(20_000, seed=20261127)
    assert outcomes["decoded"] > 100 and outcomes["corrupt"] > 1000, outcomes


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_fuzz_100k(seed):
    outcomes = run_fuzz(100_000, seed=seed)
    assert outcomes["decoded"] + outcomes["corrupt"] == 100_000
