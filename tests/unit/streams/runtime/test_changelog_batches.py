"""Consumed changelog records turned into RestoreBatches (split per partition, cut at the restore's end) and
applied by the bytes stores: the result equals applying the records one by one, in order (tombstones delete,
the last write of a key wins), whatever the batch boundaries, with reads and writes of processing in between."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strom.client.types import Message, PyMessage
from strom.protocol.errors import KafkaError, LocalError
from strom.streams.runtime.changelog_batches import restore_records, split_runs
from strom.streams.state.internals import in_memory_key_value_store
from strom.streams.state.restore_batch import RestoreBatch
from strom.streams.state.stores import Stores
from tests.unit.streams.state_context import ChangelogContext

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

keys = st.one_of(st.binary(max_size=2), st.binary(max_size=1).map(lambda k: k + b"L" * 520))  # some too long for LMDB
changelog = st.lists(st.tuples(keys, st.none() | st.binary(max_size=3)), max_size=60)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("restore"), changelog),
        st.tuples(st.just("put"), st.tuples(keys, st.binary(max_size=3))),
        st.tuples(st.just("delete"), keys),
        st.tuples(st.just("scan"), st.none()),
        st.tuples(st.just("flush"), st.none()),
    ),
    max_size=12,
)


def _stored(value: bytes, timestamp: int, timestamped: bool) -> bytes:
    return struct.pack(">q", timestamp) + value if timestamped else value


@pytest.mark.parametrize("timestamped", [False, True])
@pytest.mark.parametrize("kind", ["memory", "lmdb"])
@SETTINGS
@given(steps=steps)
def test_restore_batches_apply_the_changelog_in_order(kind: str, timestamped: bool, steps: list[tuple[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        supplier = Stores.persistent_key_value_store("s") if kind == "lmdb" else Stores.in_memory_key_value_store("s")
        store = supplier.get()
        store.timestamped = timestamped
        store.init(ChangelogContext(Path(tmp)), store)
        model: dict[bytes, bytes] = {}
        ts = 0
        for op, arg in steps:
            if op == "restore":
                batch = RestoreBatch([k for k, _ in arg], [v for _, v in arg], list(range(ts, ts + len(arg))))
                store.restore_batch(batch)
                for key, value in arg:
                    if value is None:
                        model.pop(key, None)
                    else:
                        model[key] = _stored(value, ts, timestamped)
                    ts += 1
            elif op == "put":
                store.put(*arg)
                model[arg[0]] = arg[1]
            elif op == "delete":
                assert store.delete(arg) == model.pop(arg, None)
            elif op == "scan":
                assert [tuple(kv) for kv in store.all()] == sorted(model.items())
            else:
                store.flush()
        assert [tuple(kv) for kv in store.all()] == sorted(model.items())
        assert [tuple(kv) for kv in store.reverse_range(b"", b"\x80")] == sorted(
            ((k, v) for k, v in model.items() if k <= b"\x80"), reverse=True
        )
        assert store.approximate_num_entries() == len(model)
        for key, value in model.items():
            assert store.get(key) == value
        store.close()


def test_a_restore_batch_reads_as_tuples() -> None:
    batch = RestoreBatch([b"a", b"b", b"c"], [b"1", None, b"3"], [7, 8, 9])
    assert list(batch) == [(b"a", b"1", 7), (b"b", None, 8), (b"c", b"3", 9)]
    assert len(batch) == 3 and batch[1] == (b"b", None, 8) and batch[-1] == (b"c", b"3", 9)
    assert batch[1:] == [(b"b", None, 8), (b"c", b"3", 9)]


@pytest.mark.parametrize("message", [Message, PyMessage], ids=["compiled", "python"])
def test_consumed_records_split_per_partition_and_cut_at_the_end(message: Any) -> None:
    def rec(topic: str, partition: int, offset: int, key: bytes | None = b"k", value: bytes | None = b"v") -> Any:
        return message(topic, partition, offset, key, value, timestamp=(1, 1000 + offset))

    consumed = [
        rec("a", 0, 5),
        rec("a", 0, 6, value=None),
        rec("a", 1, 0),
        message("a", 1, 1, error=KafkaError(LocalError.PARTITION_EOF)),  # an event, not a record
        rec("b", 1, 3, key=None),  # keyless: not a changelog record
        rec("b", 1, 4),
        rec("a", 0, 7),
        rec("a", 0, 8),
    ]
    runs = split_runs(consumed)
    assert [(tp, [m.offset() for m in run]) for tp, run in runs] == [
        (("a", 0), [5, 6]),
        (("a", 1), [0]),
        (("b", 1), [3, 4]),
        (("a", 0), [7, 8]),
    ]
    got = restore_records(runs[0][1], None)
    assert got is not None and list(got[0]) == [(b"k", b"v", 1005), (b"k", None, 1006)] and got[1] == 6
    got = restore_records(runs[2][1], None)
    assert got is not None and list(got[0]) == [(b"k", b"v", 1004)] and got[1] == 4
    got = restore_records(runs[3][1], 8)  # the restore aims at offset 8: the record there waits for the task
    assert got is not None and list(got[0]) == [(b"k", b"v", 1007)] and got[1] == 7
    assert restore_records(runs[3][1], 7) is None
    assert split_runs([]) == [] and split_runs([consumed[3]]) == []
    assert [tp for tp, _ in split_runs([rec("a", 2, 0), rec("a", 2, 1)])] == [("a", 2)]


def test_an_in_memory_standby_restoring_the_same_keys_keeps_its_pending_keys_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(in_memory_key_value_store, "_PENDING_SLACK", 10)
    store = Stores.in_memory_key_value_store("s").get()
    keys = [b"k%02d" % i for i in range(50)]
    for round_ in range(100):
        store.restore_batch(RestoreBatch(keys, [b"%d" % round_] * 50, [0] * 50))
        assert len(store._pending) <= 2 * 50 + 10 + 50  # type: ignore[attr-defined]
    assert [tuple(kv) for kv in store.all()] == [(k, b"99") for k in keys]
