"""suppress()'s buffer as Java's InMemoryTimeOrderedKeyValueChangeBuffer: a key updated again keeps its place and
its prior value, evictions carry the latest change and the writing record's context, the keys that changed are
logged at flush, and a task restored from the changelog holds what the old one held and evicts it in the same
order. (The bytes are checked against Kafka Streams' by tests/integration/test_streams_runtime_java_golden.py.)"""

from __future__ import annotations

from pathlib import Path

from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.suppress import TimeOrderedBufferBuilder
from strom.streams.processor.api import Record
from strom.streams.serdes import Serdes, WindowedSerdes
from strom.streams.state.api import ProcessorRecordContext, ValueAndTimestamp
from strom.streams.windowed import TimeWindow, Windowed
from tests.unit.streams.state_context import ChangelogContext


def _ctx(ts: int, offset: int) -> ProcessorRecordContext:
    return ProcessorRecordContext(ts, offset, 0, "input", [("h", b"1")])


def test_buffer_restores_from_its_changelog(tmp_path: Path) -> None:
    keys = WindowedSerdes.time_windowed_serde_from(Serdes.String(), 10)
    buffer = TimeOrderedBufferBuilder("buf").build()
    context = ChangelogContext(tmp_path / "a")
    buffer.init(context, buffer)
    buffer.set_serdes(keys, Serdes.Long())
    a, b, c = (Windowed(k, TimeWindow(0, 10)) for k in "abc")
    buffer.put(10, Record(b, Change(1, None), 3), _ctx(3, 1))
    buffer.put(10, Record(a, Change(1, 7), 4), _ctx(4, 2))
    buffer.put(12, Record(a, Change(2, 1), 6), _ctx(6, 3))  # keeps its place (time 10) and its prior value 7
    buffer.put(20, Record(c, Change(5, None), 7), _ctx(7, 4))
    assert buffer.prior_value_for_buffered(a) == (True, ValueAndTimestamp(7, -1))
    assert buffer.prior_value_for_buffered(b) == (True, None)
    assert buffer.prior_value_for_buffered(Windowed("d", TimeWindow(0, 10))) == (False, None)
    assert context.changelog == []  # logged at flush (the commit)
    buffer.flush()
    assert len(context.changelog) == 3
    first = buffer.evict_while(10)
    assert [(str(k), ch, rc.offset) for k, ch, rc in first] == [("[a@0/10]", Change(2, 1), 3), ("[b@0/10]", Change(1, None), 1)]
    buffer.put(30, Record(b, Change(None, 1), 9), _ctx(9, 5))
    buffer.flush()
    assert [value is None for _, _, value, _ in context.changelog[3:]] == [True, False]  # a evicted, b buffered again

    restored = TimeOrderedBufferBuilder("buf").build()
    target = ChangelogContext(tmp_path / "b")
    restored.init(target, restored)
    context.restore_into("buf", target)
    restored.set_serdes(keys, Serdes.Long())
    assert restored.num_records() == 2 and restored.buffer_size == buffer.buffer_size
    out = restored.evict_while(100)
    # b's first record put it at time 10, and a restore keeps a key's place as a put does (Java's cleanPut)
    assert [(str(k), ch, rc) for k, ch, rc in out] == [("[b@0/10]", Change(None, 1), _ctx(9, 5)), ("[c@0/10]", Change(5, None), _ctx(7, 4))]
    assert TimeOrderedBufferBuilder("buf").logging_enabled() and not TimeOrderedBufferBuilder("buf", logging=False).logging_enabled()
