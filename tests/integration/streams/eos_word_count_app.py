"""A word count with exactly_once_v2 run as its own process by the kill -9 tests: Processor API, a persistent
changelogged store, one output record per count update (so the output shows every duplicate or gap).

python -m tests.integration.streams.eos_word_count_app BOOTSTRAP STATE_DIR INPUT OUTPUT [APP_ID]
Runs until SIGTERM; prints RUNNING once the instance first reaches RUNNING.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

from strom.streams.kafka_streams import KafkaStreams, State
from strom.streams.processor.api import Processor, ProcessorContext, Record
from strom.streams.serdes import Serdes
from strom.streams.state.stores import Stores
from strom.streams.topology import Topology


class SplitWords(Processor[Any, str, str, str]):
    def init(self, context: ProcessorContext) -> None:
        self.context = context

    def process(self, record: Record[Any, str]) -> None:
        for word in record.value.split():
            self.context.forward(record.with_key(word).with_value(word))


class CountWords(Processor[str, str, str, int]):
    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store = context.get_state_store("counts")

    def process(self, record: Record[str, str]) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.context.forward(record.with_value(count))


def topology(input_topic: str, output_topic: str) -> Topology:
    s = Serdes.String()
    t = Topology()
    t.add_source("lines", input_topic, key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("split", SplitWords, "lines")
    t.add_sink("to-words", "words-repartition", "split", key_serializer=s.serializer(), value_serializer=s.serializer())
    t.internal_topology_builder.add_internal_topic("words-repartition")
    t.add_source("words", "words-repartition", key_deserializer=s.deserializer(), value_deserializer=s.deserializer())
    t.add_processor("count", CountWords, "words")
    builder = Stores.key_value_store_builder(Stores.persistent_key_value_store("counts"), Serdes.String(), Serdes.Long())
    t.add_state_store(builder.with_caching_disabled(), "count")
    t.add_sink("counts-out", output_topic, "count", key_serializer=s.serializer(), value_serializer=Serdes.Long().serializer())
    return t


def main(argv: list[str]) -> int:
    bootstrap, state_dir, input_topic, output_topic = argv[:4]
    app_id = argv[4] if len(argv) > 4 else "eos-word-count"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(threadName)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("strom.client").setLevel(logging.WARNING)
    config = {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "state.dir": state_dir,
        "processing.guarantee": "exactly_once_v2",
        "num.stream.threads": 1,
        "consumer.session.timeout.ms": 6000,
        "consumer.heartbeat.interval.ms": 500,
        "producer.transaction.timeout.ms": 5000,
    }
    streams = KafkaStreams(topology(input_topic, output_topic), config)
    stop = threading.Event()
    announced = threading.Event()

    def listener(new: State, old: State) -> None:
        if new == State.RUNNING and not announced.is_set():
            announced.set()
            print("RUNNING", flush=True)
        if new in (State.ERROR, State.NOT_RUNNING):
            stop.set()

    streams.set_state_listener(listener)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    streams.start()
    stop.wait()
    streams.close(30)
    return 0 if streams.state() == State.NOT_RUNNING else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
