"""The compiled produce() path (client/_fast_codec.pyx: murmur2, append_record, deliver_batch) against its
pure-Python reference (partitioner.murmur2, accumulator.append_record / deliver_batch).

For the same records both must choose the same partitions and batches, build byte-identical batches
(valid CRC32C, decoded back to the same records by the broker's strict decoder), keep the same
accounting, decline the same records, and hand the same delivery reports to the callbacks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strom import _native
from strom.client import accumulator as acc_module
from strom.client import partitioner
from strom.client.accumulator import RecordAccumulator
from strom.client.types import PyMessage
from strom.protocol.errors import ErrorCode, KafkaError
from strom.protocol.records import crc_ok, iter_batch_headers, iter_records

fast = _native.load("strom.client._fast_codec")
needs_fast = pytest.mark.skipif(fast is None, reason="compiled extension not built (no C compiler) or disabled")

APPEND_TWINS = [pytest.param(acc_module.py_append_record, id="python")] + (
    [pytest.param(fast.append_record, id="compiled")] if fast is not None else []
)


class Clock:
    def time(self) -> float:
        return 50.0

    def call_at(self, when: float, callback: Callable[[], object]) -> object:
        return None


def accumulator(batch_size: int) -> RecordAccumulator:
    acc = RecordAccumulator(
        batch_size=batch_size,
        linger=0.005,
        codec=0,
        buffer_memory=1 << 30,
        delivery_timeout=120.0,
        ignore_keys=False,
        wake=lambda: None,
    )
    acc.timer = Clock()
    return acc


TOPICS = {"t": SimpleNamespace(partitions={0: None, 1: None, 2: None}), "empty": SimpleNamespace(partitions={})}

blob = st.one_of(st.none(), st.binary(max_size=300), st.text(max_size=20))
header_list = st.lists(st.tuples(st.text(max_size=8), st.one_of(st.none(), st.binary(max_size=20), st.text(max_size=5))), max_size=3)
records = st.lists(
    st.tuples(
        st.sampled_from(["t", "t", "t", "missing", "empty"]),
        blob,
        st.one_of(blob, st.integers(0, 5)),  # an int key is not bytes: the full path takes it
        st.integers(-1, 3),
        st.integers(0, 1 << 42),  # (None stamps the current time: another test covers it)
        st.one_of(st.none(), header_list, st.builds(dict, header_list)),
        st.booleans(),
    ),
    max_size=60,
)


def as_fields(entry: Any) -> tuple[Any, ...]:
    """A report entry's record fields: the reference keeps a tuple, the compiled twin a Delivery."""
    return entry[1:] if type(entry) is tuple else (entry.key, entry.value, entry.headers, entry.timestamp)


def run(append: Any, recs: list[Any], batch_size: int, max_request_size: int) -> tuple[Any, ...]:
    acc = accumulator(batch_size)
    random.seed(7)  # the sticky partition is random.randrange: both twins draw the same
    accepted = [
        append(acc, TOPICS, topic, value, key, partition, ts, headers, (lambda e, m: None) if cb else None, max_request_size)
        for topic, value, key, partition, ts, headers, cb in recs
    ]
    batches = []
    for tp, queue in sorted(acc.batches.items()):
        for batch in queue:
            entries = [
                None if e is None else (e[1:] if type(e) is tuple else (e.key, e.value, e.headers, e.timestamp)) for e in batch.entries
            ]
            batches.append((tp, batch.closed, batch.nbytes, entries, batch.builder.build()))
    return accepted, batches, acc.pending, acc.buffered_bytes, dict(acc.sticky)


@settings(max_examples=150, deadline=None)
@given(records, st.sampled_from([200, 1000, 1_000_000]), st.sampled_from([400, 1 << 20]))
def test_compiled_append_matches_the_reference(recs: list[Any], batch_size: int, max_request_size: int) -> None:
    want = run(acc_module.py_append_record, recs, batch_size, max_request_size)
    if fast is not None:
        assert run(fast.append_record, recs, batch_size, max_request_size) == want


@pytest.mark.parametrize("append", APPEND_TWINS)
def test_batches_are_valid_and_decode_to_the_records_given(append: Any) -> None:
    acc = accumulator(2000)
    given_records = [(b"k%d" % i if i % 3 else None, b"v" * (i * 7), 1_700_000_000_000 + i) for i in range(200)]
    for key, value, ts in given_records:
        assert append(acc, TOPICS, "t", value, key, 1, ts, [("h", b"x")] if key is None else None, None, 1 << 20)
    decoded = []
    for batch in acc.batches[("t", 1)]:
        built = batch.builder.build()
        ((pos, header),) = list(iter_batch_headers(built))
        assert crc_ok(built, pos, header)
        decoded += [(r.key, r.value, r.timestamp, r.headers) for r in iter_records(built, pos)]
    assert decoded == [(k, v, ts, [("h", b"x")] if k is None else []) for k, v, ts in given_records]
    assert len(acc.batches[("t", 1)]) > 1  # batch.size closed batches along the way


@pytest.mark.parametrize("append", APPEND_TWINS)
def test_declined_records_leave_no_trace(append: Any) -> None:
    acc = accumulator(16384)
    declined = [
        ("missing", b"v", None, -1),  # no metadata yet
        ("empty", b"v", None, -1),
        ("t", b"v", None, 3),  # partition out of range
        ("t", 5, None, -1),  # not bytes
        ("t", b"v", bytearray(b"k"), -1),
        ("t", b"v" * 500, None, -1),  # larger than max.request.size
    ]
    for topic, value, key, partition in declined:
        assert not append(acc, TOPICS, topic, value, key, partition, None, None, None, 400)
    assert acc.batches == {} and acc.pending == 0 and acc.buffered_bytes == 0


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_compiled_murmur2_matches_the_reference(data: bytes) -> None:
    if fast is not None:
        assert fast.murmur2(data) == partitioner.py_murmur2(data)


def test_murmur2_matches_kafka() -> None:
    """Values from Kafka's UtilsTest.testMurmur2 (and the keyed partition Java's producer picks)."""
    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    }
    for data, want in cases.items():
        assert partitioner.murmur2(data) == want == partitioner.py_murmur2(data)


@pytest.mark.parametrize("error", [None, KafkaError(ErrorCode.REQUEST_TIMED_OUT, "expired")])
@pytest.mark.parametrize("append_time", [-1, 1_700_000_000_123])
def test_compiled_delivery_reports_match_the_reference(error: KafkaError | None, append_time: int) -> None:
    twins = [acc_module.py_deliver_batch] + ([fast.deliver_batch] if fast is not None else [])
    results = []
    for deliver in twins:
        seen: list[Any] = []

        def cb(err: Any, msg: Any, seen: list[Any] = seen) -> None:
            seen.append(
                (err, msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), msg.headers(), msg.timestamp(), msg.error())
            )

        done: list[Any] = []

        def completion(err: Any, md: Any, done: list[Any] = done) -> None:
            done.append((err, md))

        entries = [
            (cb, b"k", b"v", None, None),
            None,
            (cb, None, "text", {"a": "b"}, 1234),
            completion,  # a completion callable from the full path
        ]
        assert deliver(entries, ("t", 2), error, 40, append_time, PyMessage) == 4
        assert entries == [None] * 4
        results.append((seen, [(e, None if md is None else (md.topic, md.partition, md.offset, md.timestamp)) for e, md in done]))
    assert all(r == results[0] for r in results)
    seen, done = results[0]
    if error is None:
        assert [s[3] for s in seen] == [40, 42] and done == [(None, ("t", 2, 43, append_time))]
        assert seen[1][6] == [("a", b"b")]
        assert seen[1][7] == ((2, append_time) if append_time >= 0 else (1, 1234))
    else:
        assert [s[3] for s in seen] == [None, None] and all(s[0] is error and s[8] is error for s in seen)
        assert done == [(error, ("t", 2, -1, -1))]


@needs_fast
def test_a_callback_that_raises_leaves_the_rest_of_the_batch_to_serve() -> None:
    calls: list[int] = []

    def cb(err: Any, msg: Any) -> None:
        calls.append(msg.offset())
        if msg.offset() == 11:
            raise ValueError("application bug")

    entries: list[Any] = [(cb, None, b"v", None, None) for _ in range(4)]
    with pytest.raises(ValueError):
        fast.deliver_batch(entries, ("t", 0), None, 10, -1, PyMessage)
    assert calls == [10, 11] and entries[:2] == [None, None]
    fast.deliver_batch(entries, ("t", 0), None, 10, -1, PyMessage)
    assert calls == [10, 11, 12, 13]
