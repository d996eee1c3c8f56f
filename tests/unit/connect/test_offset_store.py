"""Source offsets as Kafka Connect stores them: keys ["<name>",{partition}], JSON values, file persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strom.connect.api import SourceRecord
from strom.connect.runtime.offset_store import (
    FileOffsetBackingStore,
    MemoryOffsetBackingStore,
    OffsetStorageReader,
    OffsetStorageWriter,
    offset_key,
    parse_offset_key,
)
from strom.connect.runtime.worker_source_task import SubmittedRecords


def test_key_and_value_bytes_are_kafkas() -> None:
    assert offset_key("local-file-source", {"filename": "test.txt"}) == b'["local-file-source",{"filename":"test.txt"}]'
    assert parse_offset_key(b'["c",{"table":"t"}]') == ("c", {"table": "t"})
    assert parse_offset_key(b'{"not":"a key"}') is None
    assert parse_offset_key(b"\xff") is None


def test_file_store_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "connect.offsets"
    store = FileOffsetBackingStore(str(path))
    store.start()
    writer = OffsetStorageWriter(store, "src")
    writer.offset({"filename": "a"}, {"position": 12})
    writer.offset({"filename": "b"}, {"position": 3})
    assert writer.begin_flush()
    writer.do_flush()
    assert not writer.begin_flush()  # nothing new
    again = FileOffsetBackingStore(str(path))
    again.start()
    reader = OffsetStorageReader(again, "src")
    assert reader.offset({"filename": "a"}) == {"position": 12}
    assert reader.offset({"filename": "c"}) is None
    assert OffsetStorageReader(again, "other").offset({"filename": "a"}) is None
    assert sorted(p["filename"] for p, _ in again.connector_offsets("src").values()) == ["a", "b"]
    assert json.loads(path.read_text()) == {'["src",{"filename":"a"}]': '{"position":12}', '["src",{"filename":"b"}]': '{"position":3}'}
    again.set({offset_key("src", {"filename": "a"}): None})  # a null value removes the partition
    assert list(again.connector_offsets("src").values()) == [({"filename": "b"}, {"position": 3})]


def test_cancelled_flush_is_retried_under_newer_offsets() -> None:
    class Failing(MemoryOffsetBackingStore):
        fail = True

        def set(self, values: dict[bytes, bytes | None]) -> None:  # type: ignore[override]
            if self.fail:
                raise OSError("disk full")
            super().set(values)

    store = Failing()
    writer = OffsetStorageWriter(store, "c")
    writer.offset({"p": 1}, {"o": 1})
    writer.offset({"p": 2}, {"o": 5})
    assert writer.begin_flush()
    with pytest.raises(OSError):
        writer.do_flush()
    writer.cancel_flush()
    writer.offset({"p": 1}, {"o": 2})  # newer than the failed snapshot: wins
    store.fail = False
    assert writer.begin_flush()
    writer.do_flush()
    reader = OffsetStorageReader(store, "c")
    assert (reader.offset({"p": 1}), reader.offset({"p": 2})) == ({"o": 2}, {"o": 5})


def test_only_the_acknowledged_prefix_of_each_partition_is_committable() -> None:
    submitted = SubmittedRecords()
    a1, a2, a3 = (submitted.submit(SourceRecord({"p": "a"}, {"n": i}, "t")) for i in (1, 2, 3))
    b1 = submitted.submit(SourceRecord({"p": "b"}, {"n": 1}, "t"))
    submitted.ack(a2)
    submitted.ack(b1)
    assert submitted.committable() == [({"p": "b"}, {"n": 1})]  # a1 is still in flight: nothing of "a"
    submitted.ack(a1)
    assert submitted.committable() == [({"p": "a"}, {"n": 2})]
    submitted.ack(a3)
    assert submitted.committable() == [({"p": "a"}, {"n": 3})]
    assert submitted.committable() == [] and submitted.outstanding == 0
