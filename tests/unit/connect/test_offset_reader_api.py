"""The worker's OffsetStorageReader is the one strom.connect.api declares (pairs in order, as the JDBC source
task reads them), and offset keys are the bytes Kafka's JsonConverter writes for the same partition."""

from __future__ import annotations

from strom.connect import api
from strom.connect.runtime.offset_store import MemoryOffsetBackingStore, OffsetStorageReader, OffsetStorageWriter, offset_key


def test_offsets_are_partition_offset_pairs_in_order() -> None:
    store = MemoryOffsetBackingStore()
    writer = OffsetStorageWriter(store, "jdbc")
    writer.offset({"table": "a"}, {"incrementing": 5})
    assert writer.begin_flush()
    writer.do_flush()
    reader = OffsetStorageReader(store, "jdbc")
    assert isinstance(reader, api.OffsetStorageReader)
    pairs = reader.offsets([{"table": "b"}, {"table": "a"}])
    assert pairs == [({"table": "b"}, None), ({"table": "a"}, {"incrementing": 5})]
    assert {frozenset(p.items()): o for p, o in pairs if o is not None} == {frozenset({("table", "a")}): {"incrementing": 5}}
    assert reader.offset({"table": "a"}) == {"incrementing": 5} and reader.offset({"table": "zz"}) is None


def test_offset_keys_are_jacksons_bytes() -> None:
    # Kafka 3.9's JsonConverter (schemas.enable=false) writes these bytes for the same key
    assert offset_key("c", {"file": "/tmp/\U0001f600.txt", "ratio": 1e20, "n": 1}) == (
        b'["c",{"file":"/tmp/\\uD83D\\uDE00.txt","ratio":1.0E20,"n":1}]'
    )
