"""The compiled decoder (`_fast_decode`) against the generated Python one, the reference.

Both must build the same objects from the same bytes (same classes, same values, record sets as memoryview
slices of the input, same defaults for fields a version lacks, unknown tagged fields kept), and refuse the
same bytes with CorruptMessage and nothing else. Skipped where the extension is not built.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom import _native
from strom.protocol import compiler
from strom.protocol.errors import CorruptMessage
from strom.protocol.messages import REQUEST_TYPES, RESPONSE_TYPES
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, TopicProduceData

from .test_fuzz import mutate, random_message

pytestmark = pytest.mark.skipif(not compiler.native_decoding(), reason="the _fast_decode extension is not built or is disabled")

CASES = [
    (cls, v) for table in (REQUEST_TYPES, RESPONSE_TYPES) for cls in table.values() for v in range(cls.MIN_VERSION, cls.MAX_VERSION + 1)
]


def plain(value: object) -> object:
    """A comparable picture of a decoded value: classes by name, memoryviews as (bytes, readonly, exporter id)."""
    if isinstance(value, compiler.Struct):
        fields = tuple((f.name, plain(getattr(value, f.name))) for f in dataclasses.fields(value))  # type: ignore[arg-type]
        return (type(value).__name__, fields, dict(value.unknown_tagged_fields))  # type: ignore[attr-defined]
    if isinstance(value, memoryview):
        return ("memoryview", value.tobytes(), value.readonly, id(value.obj), value.format, value.c_contiguous)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return (type(value).__name__, value)


def both(cls: type, version: int, raw: bytes | bytearray | memoryview, pos: int = 0) -> tuple[object, object]:
    """Outcome of each decoder: ("ok", plain value, end) or ("corrupt",)."""
    outcomes = []
    for decoder in (compiler._native_decoder(cls, version), compiler.python_decoder(cls, version)):
        try:
            obj, end = cls.decode.__func__(_with(cls, version, decoder), raw, version, pos)  # type: ignore[attr-defined]
            outcomes.append(("ok", plain(obj), end))
        except CorruptMessage:
            outcomes.append(("corrupt",))
    return outcomes[0], outcomes[1]


def _with(cls: type, version: int, decoder: object) -> type:
    """A stand-in for cls whose decode() uses the given decoder (Struct.decode's error mapping included)."""
    return type("Probe", (), {"_decoders": {version: decoder}, "__name__": cls.__name__})


@pytest.mark.parametrize("cls,version", CASES, ids=[f"{c.__name__}-v{v}" for c, v in CASES])
def test_same_objects_as_the_python_decoder(cls, version):
    rng = random.Random(f"{cls.__name__}{version}")
    for _ in range(6):
        raw = random_message(cls, version, rng).encode(version)
        native, python = both(cls, version, raw)
        assert native == python and native[0] == "ok" and native[2] == len(raw)
    native, python = both(cls, version, cls().encode(version))
    assert native == python


def test_mutated_inputs_give_the_same_outcome():
    """20k mutated frames of every API and version: both decoders decode them identically or both refuse them."""
    rng = random.Random(20261127)
    seeds = [(cls, v, random_message(cls, v, rng).encode(v)) for cls, v in CASES]
    decoded = corrupt = 0
    for i in range(20_000):
        cls, version, seed = seeds[i % len(seeds)]
        raw = mutate(rng, seed)
        native, python = both(cls, version, raw)
        assert native == python, f"{cls.__name__} v{version}: {raw.hex()}"
        if native[0] == "ok":
            decoded += 1
        else:
            corrupt += 1
    assert decoded > 1000 and corrupt > 1000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64), st.sampled_from(CASES))
def test_random_bytes_give_the_same_outcome(raw, case):
    cls, version = case
    native, python = both(cls, version, raw)
    assert native == python


def _produce_request() -> ProduceRequest:
    batch = bytes(range(256)) * 4
    topics = [
        TopicProduceData(name=f"t{t}", partition_data=[PartitionProduceData(index=p, records=batch) for p in range(5)]) for t in range(3)
    ]
    return ProduceRequest(transactional_id=None, acks=-1, timeout_ms=1000, topic_data=topics)


@pytest.mark.parametrize("version", range(ProduceRequest.MIN_VERSION, ProduceRequest.MAX_VERSION + 1))
def test_produce_records_are_writable_slices_of_a_bytearray(version):
    """The broker rewrites base offsets in place: records decoded from a bytearray must be writable views of it."""
    frame = bytearray(b"head") + _produce_request().encode(version)
    request, end = ProduceRequest.decode(frame, version, 4)
    assert end == len(frame)
    records = request.topic_data[2].partition_data[4].records
    assert isinstance(records, memoryview) and records.obj is frame and not records.readonly
    records[0] = 0xAB
    again = compiler.python_decoder(ProduceRequest, version)(frame, 4)[0]
    assert again.topic_data[2].partition_data[4].records[0] == 0xAB and frame.count(0xAB) == 1 + 15 * 4
    assert request == compiler.python_decoder(ProduceRequest, version)(frame, 4)[0]


def test_decoding_from_a_memoryview_and_an_offset():
    raw = b"xyz" + _produce_request().encode(9)
    for buf in (raw, bytearray(raw), memoryview(raw), memoryview(bytearray(raw))):
        native, python = both(ProduceRequest, 9, buf, 3)
        assert native == python and native[0] == "ok"


def test_positions_outside_the_buffer():
    raw = _produce_request().encode(9)
    with pytest.raises(CorruptMessage):
        ProduceRequest.decode(raw, 9, len(raw) + 1)
    with pytest.raises(CorruptMessage):
        ProduceRequest.decode(raw, 9, len(raw))
    native, python = both(ProduceRequest, 9, raw, -len(raw))  # Python indexing from the end, as before
    assert native == python


def test_view_slices_behave_as_memoryview_slices():
    from strom.protocol import _fast_decode  # type: ignore[attr-defined]

    data = bytearray(range(200))
    base = memoryview(data)
    fast = _fast_decode.view_slice(base, 10, 50)
    ref = base[10:50]
    for attr in ("nbytes", "readonly", "format", "itemsize", "ndim", "shape", "strides", "c_contiguous", "f_contiguous", "contiguous"):
        assert getattr(fast, attr) == getattr(ref, attr), attr
    assert fast.obj is data and fast == ref and fast.tobytes() == bytes(range(10, 50))
    assert fast[5:7].tobytes() == bytes([15, 16]) and fast.cast("B").tolist() == ref.tolist()
    assert _fast_decode.view_slice(base, 0, 0).tobytes() == b"" and _fast_decode.view_slice(base, 200, 200).nbytes == 0
    with pytest.raises(BufferError):  # the exporter stays pinned while the slice lives, as with a real slice
        data.extend(b"x")
    fast.release()
    ref.release()
    base.release()
    data.extend(b"x")
    readonly = memoryview(b"abcdef")
    assert hash(_fast_decode.view_slice(readonly, 1, 3)) == hash(b"bc")
    assert bytes(_fast_decode.view_slice(memoryview(b"abcdef")[::2], 1, 2)) == b"c"  # strided: generic path


@pytest.mark.skipif(
    os.environ.get("STROM_REQUIRE_EXTENSIONS") != "1",
    reason="STROM_REQUIRE_EXTENSIONS is not set (scripts/test.sh sets it with a C compiler)",
)
def test_the_extension_is_built_and_used_where_required():
    assert "strom.protocol._fast_decode" in _native.loaded()


def test_the_extension_can_be_switched_off():
    probe = "from strom.protocol import compiler; print(compiler.native_decoding())"
    off = subprocess.run(
        [sys.executable, "-c", probe], env={**os.environ, "STROM_NO_EXTENSIONS": "1"}, capture_output=True, text=True, check=True
    )
    assert off.stdout.strip() == "False"


def test_decoded_structs_and_lists_are_left_to_reference_counting():
    """Decoded messages are trees of atoms (ints, strings, record views): the compiled decoder does not register
    its structs and lists with the cyclic GC, which otherwise rescans thousands of them per Metadata response.
    A cycle made later through a decoded list is not a crash: it is only never collected by the cyclic GC."""
    import gc

    request, _ = ProduceRequest.decode(_produce_request().encode(9), 9)
    assert not gc.is_tracked(request) and not gc.is_tracked(request.topic_data) and not gc.is_tracked(request.topic_data[0])
    assert gc.is_tracked(request.topic_data[0].partition_data[0].records)  # memoryviews stay tracked, as CPython needs
    holder: list[object] = [request]
    request.topic_data.append(holder)  # a cycle through an untracked list
    gc.collect()
    assert request.topic_data[-1] is holder
    request.topic_data.pop()
    del holder, request
    gc.collect()


LEAN = sys.version_info < (3, 14)  # the versions whose object layout the engine's deallocator was checked on


@pytest.mark.skipif(not LEAN, reason="the lean deallocator is only installed on Python 3.11-3.13")
def test_struct_classes_get_the_lean_deallocator_and_others_do_not():
    from strom.protocol import _fast_decode  # type: ignore[attr-defined]

    ProduceRequest.decode(_produce_request().encode(9), 9)  # builds the programs, which install it
    assert all(_fast_decode.lean_dealloc(cls) for cls in (ProduceRequest, TopicProduceData, PartitionProduceData))

    class WithFinalizer:
        __slots__ = ("a",)

        def __del__(self) -> None:
            pass

    class WithWeakref:
        __slots__ = ("a", "__weakref__")

    class WithDict:
        pass

    assert not any(_fast_decode.lean_dealloc(cls) for cls in (WithFinalizer, WithWeakref, WithDict, int, memoryview))


def test_freed_structs_release_everything_they_hold():
    """Decoded and constructed structs, freed (and their memory kept for the next decode), drop every reference:
    the request's bytearray can be resized again (no record view left) and a marker's count comes back."""
    frame = bytearray(_produce_request().encode(9))
    for _ in range(3):
        request, _ = ProduceRequest.decode(frame, 9)
        assert request == compiler.python_decoder(ProduceRequest, 9)(bytes(frame), 0)[0]
        del request
    frame.append(0)  # BufferError if a record view were still alive
    marker = object()
    before = sys.getrefcount(marker)
    made = [PartitionProduceData(index=i, records=marker) for i in range(50)]  # type: ignore[arg-type]
    assert sys.getrefcount(marker) == before + 50
    del made
    assert sys.getrefcount(marker) == before


def test_subclasses_of_a_struct_class_are_freed_completely():
    """A subclass (here with a __dict__ and weak references) keeps CPython's deallocator for its own part, which
    hands the rest to the engine's: both parts are released."""
    import weakref

    ProduceRequest.decode(_produce_request().encode(9), 9)

    class Tagged(PartitionProduceData):
        pass

    marker, extra = object(), object()
    before, extra_before = sys.getrefcount(marker), sys.getrefcount(extra)
    obj = Tagged(index=1, records=marker)  # type: ignore[arg-type]
    object.__setattr__(obj, "note", extra)
    ref = weakref.ref(obj)
    del obj
    assert ref() is None and sys.getrefcount(marker) == before and sys.getrefcount(extra) == extra_before
    request, _ = ProduceRequest.decode(_produce_request().encode(9), 9)  # the class itself still decodes
    assert type(request.topic_data[0].partition_data[0]) is PartitionProduceData


def test_kept_memory_is_reused_across_classes():
    """After a large message of other classes is freed, a decode reuses its memory and still builds the same
    objects as the Python decoder."""
    from strom.protocol.schema.metadata import MetadataResponse, MetadataResponsePartition, MetadataResponseTopic

    parts = [MetadataResponsePartition(partition_index=p, leader_id=1, replica_nodes=[1], isr_nodes=[1]) for p in range(2000)]
    metadata = MetadataResponse(topics=[MetadataResponseTopic(name="t", partitions=parts)]).encode(12)
    for version in (9, 3):
        decoded, _ = MetadataResponse.decode(metadata, 12)
        assert len(decoded.topics[0].partitions) == 2000
        del decoded
        raw = _produce_request().encode(version)
        native, python = both(ProduceRequest, version, raw)
        assert native == python and native[0] == "ok"
