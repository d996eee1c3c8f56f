"""suppress()'s buffer logs every change, so a task restored from the changelog holds what the old one held
(times, old and new values, record timestamps) and evicts it in the same order."""

from __future__ import annotations

from pathlib import Path

from strom.streams.kstream.internals.change import Change
from strom.streams.kstream.internals.suppress import TimeOrderedBufferBuilder
from strom.streams.processor.api import Record
from strom.streams.serdes import Serdes, WindowedSerdes
from strom.streams.windowed import TimeWindow, Windowed
from tests.unit.streams.state_context import ChangelogContext


def test_buffer_restores_from_its_changelog(tmp_path: Path) -> None:
    keys = WindowedSerdes.time_windowed_serde_from(Serdes.String(), 10)
    buffer = TimeOrderedBufferBuilder("buf").build()
    context = ChangelogContext(tmp_path / "a")
    buffer.init(context, buffer)
    buffer.set_serdes(keys, Serdes.Long())
    a, b, c = (Windowed(k, TimeWindow(0, 10)) for k in "abc")
    buffer.put(10, Record(b, Change(1, None), 3))
    buffer.put(10, Record(a, Change(1, None), 4))
    buffer.put(10, Record(a, Change(2, 1), 6))  # keeps the old value of the first buffered update
    buffer.put(20, Record(c, Change(5, None), 7))
    first = buffer.evict_while(10)
    assert [(str(k), ch, r.timestamp) for k, ch, r in first] == [("[a@0/10]", Change(2, None), 6), ("[b@0/10]", Change(1, None), 3)]
    buffer.put(30, Record(b, Change(None, 1), 9))

    restored = TimeOrderedBufferBuilder("buf").build()
    target = ChangelogContext(tmp_path / "b")
    restored.init(target, restored)
    context.restore_into("buf", target)
    restored.set_serdes(keys, Serdes.Long())
    assert restored.num_records() == 2
    out = restored.evict_while(100)
    assert [(str(k), ch.new_value, ch.old_value, r.timestamp) for k, ch, r in out] == [("[c@0/10]", 5, None, 7), ("[b@0/10]", None, 1, 9)]
    assert TimeOrderedBufferBuilder("buf").logging_enabled() and not TimeOrderedBufferBuilder("buf", logging=False).logging_enabled()
