"""The DSL word count of tests/unit/streams/dsl_output_programs.py (the one MixedWordCount.java runs) as its own
process, for the mixed Java/Strom group test: exactly_once_v2, runs until killed, prints "STATE RUNNING" when
running and "TASKS [a_b, ...]" whenever its active tasks change (as MixedWordCount.java does).

python -m tests.integration.streams.mixed_word_count_app BOOTSTRAP APP_ID STATE_DIR
"""

from __future__ import annotations

import logging
import sys
import time

from strom.streams.kafka_streams import KafkaStreams, State
from strom.streams.kstream.builder import StreamsBuilder
from tests.unit.streams.dsl_output_programs import CONFIG, PROGRAMS


def main(argv: list[str]) -> int:
    bootstrap, app_id, state_dir = argv[:3]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(threadName)s %(name)s %(message)s", stream=sys.stderr)
    b = StreamsBuilder()
    PROGRAMS["wordcount"](b)
    config = {
        **CONFIG,
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "state.dir": state_dir,
        "processing.guarantee": "exactly_once_v2",
        "commit.interval.ms": 200,
        "consumer.session.timeout.ms": 10000,
        "consumer.heartbeat.interval.ms": 1000,
    }
    streams = KafkaStreams(b.build(), config)
    streams.set_state_listener(lambda new, old: print(f"STATE {new.name}", flush=True))
    streams.start()
    last = None
    while streams.state() not in (State.ERROR, State.NOT_RUNNING):
        tasks = sorted(str(t) for th in streams.threads for t in th.task_manager.active)
        if tasks != last:
            print(f"TASKS [{', '.join(tasks)}]", flush=True)
            last = tasks
        time.sleep(0.2)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
