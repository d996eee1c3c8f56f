"""Punctuation with Kafka Streams' semantics: stream-time schedules aligned to 0 (first firing on the first
record), missed times skipped, wall-clock ones from now + interval, cancel. punctuation_golden.txt is what Kafka
Streams 3.9's TopologyTestDriver outputs for the same scenario (tests/integration/streams_java/PunctuationGolden.java,
checked against Java by a slow test)."""

from __future__ import annotations

from pathlib import Path

from strom.streams.processor.api import Cancellable, ContextualProcessor, ProcessorContext, PunctuationType, Record
from strom.streams.processor.punctuation import PunctuationQueue, PunctuationSchedule, new_schedule
from strom.streams.serdes import Serdes
from strom.streams.topology import Topology
from strom.streams.topology_test_driver import TopologyTestDriver

GOLDEN = Path(__file__).with_name("punctuation_golden.txt")


class Ticker(ContextualProcessor[str, str, str, str]):
    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.stream: Cancellable = context.schedule(
            1000, PunctuationType.STREAM_TIME, lambda ts: context.forward(Record("stream", str(context.current_stream_time_ms()), ts))
        )
        context.schedule(
            500, PunctuationType.WALL_CLOCK_TIME, lambda ts: context.forward(Record("wall", str(context.current_system_time_ms()), ts))
        )

    def process(self, record: Record[str, str]) -> None:
        self.context().forward(record)
        if record.value == "cancel":
            self.stream.cancel()
        if record.value == "schedule":
            self.context().schedule(300, PunctuationType.STREAM_TIME, lambda ts: self.context().forward(Record("late", str(ts), ts)))


def scenario() -> list[str]:
    s = Serdes.String()
    t = Topology()
    t.add_source("in", "in", key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("ticker", Ticker, "in")
    t.add_sink("out", "out", "ticker", key_serializer=s.serializer(), value_serializer=s.serializer())
    with TopologyTestDriver(t, {"application.id": "punctuation"}, initial_wall_clock_time_ms=10_000) as driver:
        source = driver.create_input_topic("in", s.serializer(), s.serializer())
        out = driver.create_output_topic("out", s.deserializer(), s.deserializer())
        steps = [(1500, 0), (1700, 0), (3200, 0), (3300, 0), (9000, 700), (8000, 0), (12001, 2000), (12002, 0), (12999, 0), (13000, 0)]
        for ts, advance in steps:
            source.pipe_input("k", "v", timestamp=ts)
            if advance:
                driver.advance_wall_clock_time(advance)
        source.pipe_input("k", "schedule", timestamp=13100)
        source.pipe_input("k", "v", timestamp=13500)
        source.pipe_input("k", "cancel", timestamp=14600)
        source.pipe_input("k", "v", timestamp=16000)
        driver.advance_wall_clock_time(499)
        driver.advance_wall_clock_time(1)
        return [f"{r.key} {r.value} {r.timestamp}" for r in out.read_records_to_list()]


def test_same_punctuations_as_java() -> None:
    assert scenario() == GOLDEN.read_text().splitlines()


def test_queue_skips_missed_times_and_keeps_javas_tie_order() -> None:
    fired: list[tuple[str, int]] = []
    queue = PunctuationQueue()
    for name in "abcde":
        queue.schedule(new_schedule(name, PunctuationType.STREAM_TIME, 100, lambda ts: None, 0))

    def run(node: str, ts: int, kind: PunctuationType, punctuator: object) -> None:
        fired.append((node, ts))

    assert queue.may_punctuate(250, PunctuationType.STREAM_TIME, run)
    # java.util.PriorityQueue hands equal timestamps out in its heap order, not insertion order (checked with Java)
    assert [n for n, _ in fired] == ["a", "e", "b", "d", "c"]
    assert {ts for _, ts in fired} == {250}
    fired.clear()
    assert not queue.may_punctuate(299, PunctuationType.STREAM_TIME, run)
    assert queue.may_punctuate(300, PunctuationType.STREAM_TIME, run)
    assert [n for n, _ in fired] == ["d", "c", "e", "a", "b"]


def test_schedule_advance() -> None:
    s = PunctuationSchedule(None, 0, 1000, lambda ts: None)
    s.advance(1500)
    assert s.timestamp == 2000
    s.advance(2000)
    assert s.timestamp == 3000
    s.advance(9999)
    assert s.timestamp == 10000
    wall = new_schedule(None, PunctuationType.WALL_CLOCK_TIME, 500, lambda ts: None, 10_000)
    assert wall.timestamp == 10_500
