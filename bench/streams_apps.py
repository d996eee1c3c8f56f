"""The word count of Kafka Streams' WordCountDemo written for each Python system the streams bench compares:
lines from streams-plaintext-input, lower-cased and split on spaces, re-keyed by word (a repartition topic), counted
in a store, every new count sent to the output topic (no record cache, as WordCountDemo sets it to 0).

    python bench/streams_apps.py strom|quix|faust BOOTSTRAP APP_ID OUTPUT_TOPIC STATE_DIR

The windowed plan (a count per key and tumbling 1 s window, every update sent) is `strom-window` / `quix-window`
(input: streams-window-input); the restore plan `strom-restore` (a count into the persistent store
"restore-store", whose changelog the bench fills before the start) prints "RUNNING <epoch ms>" once restored.

Quix Streams and Faust need their own virtualenv (Quix Streams pins confluent-kafka < 2.13): the bench runs this
file with --peer-python for them.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from typing import Any

INPUT = "streams-plaintext-input"


def run_strom(bootstrap: str, app_id: str, output: str, state_dir: str) -> None:
    from strom.streams.kafka_streams import KafkaStreams
    from strom.streams.processor.api import Processor, ProcessorContext, Record
    from strom.streams.serdes import Serdes
    from strom.streams.state.stores import Stores
    from strom.streams.topology import Topology

    class Split(Processor[Any, str, str, str]):
        def init(self, context: ProcessorContext) -> None:
            self.context = context

        def process(self, record: Record[Any, str]) -> None:
            for word in record.value.lower().split(" "):
                self.context.forward(Record(word, word, record.timestamp, record.headers))

    class Count(Processor[str, str, str, int]):
        def init(self, context: ProcessorContext) -> None:
            self.context = context
            self.store = context.get_state_store("counts")

        def process(self, record: Record[str, str]) -> None:
            n = (self.store.get(record.key) or 0) + 1
            self.store.put(record.key, n)
            self.context.forward(Record(record.key, n, record.timestamp, record.headers))

    s = Serdes.String()
    t = Topology()
    t.add_source("lines", INPUT, key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("split", Split, "lines")
    t.add_sink("to-repartition", "counts-repartition", "split", key_serializer=s.serializer(), value_serializer=s.serializer())
    t.internal_topology_builder.add_internal_topic("counts-repartition")
    t.add_source("words", "counts-repartition", key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("count", Count, "words")
    t.add_state_store(Stores.key_value_store_builder(Stores.persistent_key_value_store("counts"), s, Serdes.Long()), "count")
    t.add_sink("out", output, "count", key_serializer=s.serializer(), value_serializer=Serdes.Long().serializer())
    streams = KafkaStreams(
        t, {"application.id": app_id, "bootstrap.servers": bootstrap, "state.dir": state_dir, "statestore.cache.max.bytes": 0}
    )
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    streams.start()
    stop.wait()
    streams.close(30)


def run_quix(bootstrap: str, app_id: str, output: str, state_dir: str) -> None:
    from quixstreams import Application, State  # type: ignore[import-not-found]

    app = Application(broker_address=bootstrap, consumer_group=app_id, auto_offset_reset="earliest", state_dir=state_dir)
    lines = app.topic(INPUT, value_deserializer="str")
    out = app.topic(output, key_serializer="str", value_serializer="int")
    sdf = app.dataframe(lines)
    sdf = sdf.apply(lambda line: line.lower().split(" "), expand=True)
    sdf = sdf.group_by(lambda word: word, name="word")

    def count(word: str, state: State) -> int:
        n: int = state.get("count", 0) + 1
        state.set("count", n)
        return n

    sdf = sdf.apply(count, stateful=True)
    sdf.to_topic(out)
    app.run()


def run_faust(bootstrap: str, app_id: str, output: str, state_dir: str) -> None:
    import faust  # type: ignore[import-not-found]

    app = faust.App(app_id, broker=f"kafka://{bootstrap}", store="memory://", datadir=state_dir, web_enabled=False, topic_partitions=4)
    lines = app.topic(INPUT, value_type=bytes, value_serializer="raw")
    words = app.topic(f"{app_id}-words", key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    out = app.topic(output, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    counts = app.Table("counts", default=int)

    @app.agent(lines)
    async def split(stream: Any) -> None:
        async for event in stream.events():
            for word in event.value.decode().lower().split(" "):
                await words.send(key=word.encode(), value=word.encode(), timestamp=event.message.timestamp)

    @app.agent(words)
    async def count(stream: Any) -> None:
        async for event in stream.events():
            word = event.key.decode()
            counts[word] += 1
            n = counts[word]
            await out.send(key=event.key, value=n.to_bytes(8, "big"), timestamp=event.message.timestamp)

    sys.argv = [sys.argv[0], "worker", "-l", "warn"]
    app.main()


WINDOW_INPUT = "streams-window-input"
RESTORE_INPUT = "streams-restore-input"


def _run_strom_streams(topology: Any, app_id: str, bootstrap: str, state_dir: str) -> None:
    from strom.streams.kafka_streams import KafkaStreams, State

    streams = KafkaStreams(
        topology, {"application.id": app_id, "bootstrap.servers": bootstrap, "state.dir": state_dir, "statestore.cache.max.bytes": 0}
    )

    def on_state(new: Any, old: Any) -> None:
        if new == State.RUNNING:
            print(f"RUNNING {int(time.time() * 1000)}", flush=True)

    streams.set_state_listener(on_state)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    streams.start()
    stop.wait()
    streams.close(30)


def run_strom_window(bootstrap: str, app_id: str, output: str, state_dir: str) -> None:
    from strom.streams.kstream.builder import StreamsBuilder
    from strom.streams.kstream.options import Consumed, Produced
    from strom.streams.kstream.windows import TimeWindows
    from strom.streams.serdes import Serdes

    s = Serdes.String()
    b = StreamsBuilder()
    (
        b.stream(WINDOW_INPUT, Consumed.with_(s, s))
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(1000))
        .count()
        .to_stream()
        .map(lambda wk, n: (f"{wk.key}@{wk.window.start_ms}", n))
        .to(output, Produced.with_(s, Serdes.Long()))
    )
    _run_strom_streams(b.build(), app_id, bootstrap, state_dir)


class _RestoreTimes(logging.Handler):
    """Prints RESTORE_START / RESTORE_END <epoch ms> for each changelog partition, from the changelog reader's log."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("Restoring changelog"):
            print(f"RESTORE_START {int(record.created * 1000)}", flush=True)
        elif text.startswith("Finished restoring changelog"):
            print(f"RESTORE_END {int(record.created * 1000)}", flush=True)


def run_strom_restore(bootstrap: str, app_id: str, output: str, state_dir: str) -> None:
    reader = logging.getLogger("org.apache.kafka.streams.processor.internals.StoreChangelogReader")
    reader.setLevel(logging.INFO)
    reader.addHandler(_RestoreTimes())
    from strom.streams.kstream.builder import StreamsBuilder
    from strom.streams.kstream.options import Consumed, Materialized
    from strom.streams.serdes import Serdes

    s = Serdes.String()
    b = StreamsBuilder()
    b.stream(RESTORE_INPUT, Consumed.with_(s, s)).group_by_key().count(materialized=Materialized.as_("restore-store"))
    _run_strom_streams(b.build(), app_id, bootstrap, state_dir)


def run_quix_window(bootstrap: str, app_id: str, output: str, state_dir: str) -> None:
    from quixstreams import Application

    app = Application(broker_address=bootstrap, consumer_group=app_id, auto_offset_reset="earliest", state_dir=state_dir)
    events = app.topic(WINDOW_INPUT, key_deserializer="str", value_deserializer="str")
    out = app.topic(output, key_serializer="str", value_serializer="int")
    sdf = app.dataframe(events)
    sdf = sdf.tumbling_window(1000).count().current()
    sdf = sdf.apply(lambda window: window["value"])
    sdf.to_topic(out)
    app.run()


if __name__ == "__main__":
    kind, bootstrap, app_id, output, state_dir = sys.argv[1:6]
    apps = {
        "strom": run_strom,
        "quix": run_quix,
        "faust": run_faust,
        "strom-window": run_strom_window,
        "quix-window": run_quix_window,
        "strom-restore": run_strom_restore,
    }
    apps[kind](bootstrap, app_id, output, state_dir)
