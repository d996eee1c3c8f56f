"""ProcessorContextImpl.forward: the record context a child sees is the forwarded record's (built on first use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strom.streams.processor.api import Processor, ProcessorContext, Record, TaskId
from strom.streams.processor.nodes import ProcessorNode
from strom.streams.runtime.processor_context_impl import ProcessorContextImpl
from strom.streams.state.api import ProcessorRecordContext


class _Seen(Processor[Any, Any, Any, Any]):
    def __init__(self, seen: list[Any], forward_with: int | None = None) -> None:
        self.seen = seen
        self.forward_with = forward_with

    def init(self, context: ProcessorContext) -> None:
        self.context = context

    def process(self, record: Record[Any, Any]) -> None:
        ctx: Any = self.context
        self.seen.append(ctx.record_context())
        if self.forward_with is not None:
            self.context.forward(record.with_timestamp(self.forward_with))
            self.seen.append(ctx.record_context())  # back to this node's record after the child ran


def _context() -> ProcessorContextImpl:
    return ProcessorContextImpl(TaskId(0, 0), "app", {}, Path("."), None, None, None, None, lambda s, c: None, lambda n: None, lambda: 0)  # type: ignore[arg-type]


def test_children_see_the_forwarded_records_context() -> None:
    seen: list[ProcessorRecordContext | None] = []
    ctx = _context()
    source, middle, leaf = ProcessorNode("source"), ProcessorNode("middle", _Seen(seen, forward_with=7)), ProcessorNode("leaf", _Seen(seen))
    source.add_child(middle)
    middle.add_child(leaf)
    for node in (middle, leaf):
        ctx.set_current_node(node)
        node.init(ctx)
    record = Record("k", "v", 5, [("h", b"1")])
    base = ProcessorRecordContext(5, 42, 3, "in", record.headers)
    ctx.begin_record(source, base)
    forwarded = Record("k", "v2", 6, [("h", b"2")])
    ctx.forward(forwarded)
    assert ctx.record_context() is base  # restored after the children ran
    ctx.end_record()
    assert ctx.record_context() is None
    at_middle, at_leaf, back_at_middle = seen
    assert at_middle == ProcessorRecordContext(6, 42, 3, "in", [("h", b"2")])
    assert at_middle is not None and at_middle.headers is forwarded.headers  # the record's headers, as Java shares them
    assert at_leaf == ProcessorRecordContext(7, 42, 3, "in", [("h", b"2")])
    assert back_at_middle == at_middle


def test_forwarding_the_same_timestamp_and_headers_reuses_the_context() -> None:
    seen: list[ProcessorRecordContext | None] = []
    ctx = _context()
    source, leaf = ProcessorNode("source"), ProcessorNode("leaf", _Seen(seen))
    source.add_child(leaf)
    ctx.set_current_node(leaf)
    leaf.init(ctx)
    record = Record("k", "v", 5)
    base = ProcessorRecordContext(5, 1, 0, "in", record.headers)
    ctx.begin_record(source, base)
    ctx.forward(record)
    assert seen == [base] and seen[0] is base
