"""The compiled record codec (client/_fast_codec.pyx) against its pure-Python reference (record_codec.py).

The batch writers must build the same bytes. The decoders must give the same messages (every field, every
codec, headers, null keys and values, control records, log-append time, deserializers) and, for corrupt or
truncated input, the same CorruptMessage text; hostile varints (10 bytes, bits beyond 64, negative lengths)
included. Without the extension only the reference runs; scripts/test.sh (CI) requires the extension
wherever a C compiler is.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom import _native
from strom.client import record_codec, types
from strom.client.record_codec import BatchWriter, PyBatchWriter, batch_payload, py_decode_into
from strom.protocol.compression import CODEC_IDS
from strom.protocol.errors import CorruptMessage
from strom.protocol.records import BatchBuilder, iter_batch_headers

fast = _native.load("strom.client._fast_codec")
needs_fast = pytest.mark.skipif(fast is None, reason="compiled extension not built (no C compiler) or disabled")


def test_extension_is_built_where_required() -> None:
    """scripts/test.sh (CI) sets STROM_REQUIRE_EXTENSIONS=1 when a C compiler is there."""
    if os.environ.get("STROM_REQUIRE_EXTENSIONS") != "1" or _native.DISABLED:
        pytest.skip("STROM_REQUIRE_EXTENSIONS is not set (pip install -e . builds the extension)")
    assert fast is not None, "pip install -e . should have compiled strom.client._fast_codec"
    assert record_codec.decode_into is fast.decode_into
    assert record_codec.BatchWriter is fast.BatchWriter
    assert types.Message is fast.Message
    assert "strom.client._fast_codec" in _native.loaded()


def fields(m: Any) -> tuple[Any, ...]:
    return (m.topic(), m.partition(), m.offset(), m.key(), m.value(), m._headers, m.timestamp(), m.error(), m.leader_epoch())


def run(decode: Any, payload: bytes, count: int, base_offset: int = 0, base_ts: int = 0, **kw: Any) -> tuple[str, Any]:
    out: list[Any] = ["sentinel"]  # decode_into appends: what is already in the list stays
    args = dict(log_append_ts=None, position=0, topic="t", partition=3, leader_epoch=7, key_fn=None, value_fn=None)
    args.update(kw)
    try:
        decode(out, payload, count, base_offset, base_ts, *args.values())
    except CorruptMessage as exc:
        return ("corrupt", str(exc))
    assert out[0] == "sentinel"
    return ("ok", [fields(m) for m in out[1:]])


def same(payload: bytes, count: int, base_offset: int = 0, base_ts: int = 0, **kw: Any) -> tuple[str, Any]:
    want = run(py_decode_into, payload, count, base_offset, base_ts, **kw)
    if fast is not None:
        got = run(fast.decode_into, payload, count, base_offset, base_ts, **kw)
        assert got == want
    return want


# ---- well-formed batches -------------------------------------------------------------------------------

record = st.tuples(
    st.one_of(st.none(), st.binary(max_size=300)),
    st.one_of(st.none(), st.binary(max_size=40)),
    st.integers(0, 2**41),
    st.lists(st.tuples(st.text(max_size=6), st.one_of(st.none(), st.binary(max_size=20))), max_size=3),
)
int64 = st.integers(-(2**63), 2**63 - 1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(record, min_size=1, max_size=30),
    st.sampled_from(sorted(CODEC_IDS)),
    st.booleans(),
    st.integers(0, 40),
    st.one_of(st.integers(0, 2**40), int64),
    st.one_of(st.none(), int64),
    st.booleans(),
)
def test_same_messages_for_valid_batches(records, codec, reference_builder, position, base_offset, log_append, deserialize) -> None:  # type: ignore[no-untyped-def]
    builder = (
        BatchBuilder(compression_type=CODEC_IDS[codec], base_offset=base_offset) if reference_builder else BatchWriter(CODEC_IDS[codec])
    )
    for value, key, ts, headers in records:
        builder.append(value, key, ts, headers)
    built = builder.build()
    (pos, h), *_ = iter_batch_headers(built)
    payload = batch_payload(built, pos, h.size, h.compression)
    kw: dict[str, Any] = {"position": h.base_offset + position, "log_append_ts": log_append}
    if deserialize:
        kw.update(key_fn=lambda k: None if k is None else k.hex(), value_fn=lambda v: None if v is None else len(v))
    outcome, messages = same(payload, h.records_count, h.base_offset, h.base_timestamp, **kw)
    assert outcome == "ok"
    assert len(messages) == max(0, len(records) - position)


@needs_fast
@settings(max_examples=150, deadline=None)
@given(
    st.lists(record, min_size=1, max_size=40),
    st.sampled_from(sorted(CODEC_IDS)),
    st.tuples(int64, st.integers(-(2**15), 2**15 - 1), st.integers(-(2**31), 2**31 - 1)),
    st.sampled_from([bytes, bytearray, memoryview]),
)
def test_compiled_writer_builds_the_same_bytes(records, codec, producer, kind) -> None:  # type: ignore[no-untyped-def]
    ours, ref = fast.BatchWriter(CODEC_IDS[codec]), PyBatchWriter(CODEC_IDS[codec])
    for w in (ours, ref):
        for value, key, ts, headers in records:
            w.append(None if value is None else kind(value), key, ts, headers)
        w.producer_id, w.producer_epoch, w.base_sequence = producer
    assert (len(ours), ours.estimated_size, ours.body) == (len(ref), ref.estimated_size, bytes(ref.body))
    assert ours.build() == ref.build()


@needs_fast
def test_compiled_writer_stamps_the_current_time_and_refuses_an_empty_batch() -> None:
    import time

    w = fast.BatchWriter()
    with pytest.raises(ValueError, match="at least one record"):
        w.build()
    before = int(time.time() * 1000)
    w.append(b"v", None, None, None)
    after = int(time.time() * 1000)
    (_, h), *_ = iter_batch_headers(w.build())
    assert before <= h.base_timestamp == h.max_timestamp <= after + 1


def test_control_record_and_empty_values() -> None:
    b = BatchBuilder(producer_id=9, producer_epoch=0, is_transactional=True, is_control=True)
    b.append(b"\x00\x00\x00\x00\x00\x00", key=b"\x00\x00\x00\x01")  # a COMMIT marker
    b.append(b"", key=b"")
    built = b.build()
    outcome, messages = same(built[61:], 2)
    assert outcome == "ok" and [m[3] for m in messages] == [b"\x00\x00\x00\x01", b""]


def test_deserializer_errors_propagate_unchanged() -> None:
    w = BatchWriter()
    w.append(b"v", None, 1, None)
    payload = w.build()[61:]

    def boom(_: Any) -> Any:
        raise IndexError("from the deserializer")

    for decode in [py_decode_into] + ([fast.decode_into] if fast else []):
        with pytest.raises(IndexError, match="from the deserializer"):
            decode([], payload, 1, 0, 0, None, 0, "t", 0, -1, None, boom)


def test_a_deserializer_that_empties_the_output_list_cannot_make_a_read_out_of_bounds() -> None:
    w = BatchWriter()
    for i in range(5):
        w.append(b"v%d" % i, None, 1, None)
    payload = w.build()[61:]
    for decode in [py_decode_into] + ([fast.decode_into] if fast else []):
        out: list[Any] = []
        decode(out, payload, 5, 0, 0, None, 0, "t", 0, -1, None, lambda v, out=out: out.clear() or v)
        assert out == []


# ---- hand-made records: hostile varints and lengths -----------------------------------------------------


def raw_varint(raw: int) -> bytes:
    out = bytearray()
    while raw > 0x7F:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)
    return bytes(out)


def zz(v: int) -> bytes:
    """Zig-zag varint of any Python int (beyond 64 bits too: what a forged record can carry)."""
    return raw_varint(2 * v if v >= 0 else -2 * v - 1)


small = st.integers(-3, 40)
extreme = st.sampled_from([2**31, -(2**31), 2**62, -(2**62), 2**63 - 1, -(2**63), 2**63, 2**64, -(2**64), 2**69 - 1, -(2**69)])
number = st.one_of(small, extreme, st.integers(-(2**70), 2**70))
blob = st.binary(max_size=12)


@st.composite
def forged_record(draw: st.DrawFn) -> bytes:
    """A record whose fields are each, now and then, a hostile number instead of the right one."""

    def maybe(right: int) -> int:
        return draw(number) if draw(st.integers(0, 12)) == 0 else right

    key, value = draw(blob), draw(blob)
    body = bytearray(b"\x00" + zz(draw(number)) + zz(draw(number)))
    body += zz(maybe(len(key))) + key + zz(maybe(len(value))) + value
    headers = draw(st.lists(st.tuples(blob, st.one_of(st.none(), blob)), max_size=3))
    if headers or draw(st.booleans()):
        body += zz(maybe(len(headers)))
        for hk, hv in headers:
            body += zz(maybe(len(hk))) + hk
            body += zz(-1) if hv is None else zz(maybe(len(hv))) + hv
    else:
        body += b"\x00"
    return zz(maybe(len(body))) + bytes(body)


@settings(max_examples=400, deadline=None)
@given(st.lists(forged_record(), max_size=4), st.data(), int64, int64)
def test_same_outcome_for_forged_records(records, data, base_offset, base_ts) -> None:  # type: ignore[no-untyped-def]
    count = data.draw(st.one_of(st.just(len(records)), st.integers(-1, 6)))
    position = data.draw(st.one_of(st.just(-(2**70)), st.just(-(2**70)), st.integers(-(2**70), 2**70), int64))
    tail = data.draw(st.binary(max_size=4))
    same(b"".join(records) + tail, count, base_offset, base_ts, position=position)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(-1, 10))
def test_same_outcome_for_random_bytes(payload: bytes, count: int) -> None:
    same(payload, count)


@settings(max_examples=300, deadline=None)
@given(st.lists(record, min_size=1, max_size=8), st.data())
def test_same_outcome_for_truncated_and_mutated_batches(records, data) -> None:  # type: ignore[no-untyped-def]
    w = BatchWriter()
    for value, key, ts, headers in records:
        w.append(value, key, ts, headers)
    payload = bytearray(w.build()[61:])
    if data.draw(st.booleans()):
        del payload[data.draw(st.integers(0, len(payload))) :]
    for _ in range(data.draw(st.integers(0, 3))):
        i = data.draw(st.integers(0, len(payload)))
        payload[i:i] = data.draw(st.sampled_from([b"\xff" * 10 + b"\x01", b"\xff" * 11, b"\x80", b"\x7f", b"\x01", b"\x00"]))
    same(bytes(payload), len(records))


@needs_fast
def test_overlong_varint_is_corrupt_in_both() -> None:
    assert same(b"\x80" * 11, 1) == ("corrupt", "varint longer than 10 bytes")
    assert same(b"\x80" * 5, 1) == ("corrupt", "record batch is truncated")
    assert same(zz(2**64) + b"\x00" * 20, 1) == ("corrupt", "record length runs past the batch")


@needs_fast
def test_compiled_message_behaves_like_the_reference() -> None:
    for cls in (types.PyMessage, fast.Message):
        m = cls("t", 1, 5, b"k", b"value", [("h", None)], (1, 99), None, 3)
        assert (m.topic(), m.partition(), m.offset(), m.key(), m.value()) == ("t", 1, 5, b"k", b"value")
        assert (m.headers(), m.timestamp(), m.error(), m.leader_epoch(), len(m)) == ([("h", None)], (1, 99), None, 3, 5)
        m.set_key("K")
        m.set_value(None)
        assert (m.key(), m.value(), len(m)) == ("K", None, 0)
        assert repr(m) == "Message(t-1@5, key='K', value=None)"
        bare = cls(None, error="e")
        assert (bare.partition(), bare.headers(), bare.timestamp(), str(bare.error())) == (None, None, (0, -1), "e")
