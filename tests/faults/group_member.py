"""One consumer group member as its own process, so a test can kill it with kill -9 mid-rebalance.

It consumes, records each record it is given, then commits what it consumed synchronously (at least once: a
commit never covers a record not yet recorded) and records each commit the coordinator acknowledged; on each
assignment it records the committed offsets it resumes from (OffsetFetch). Events go to a JSON-lines file,
one write(2) each, in the History's format and clock (the monotonic clock is the machine's, so `--started`,
the parent's History start, puts them on the parent's timeline). A kill -9 loses at most the line being
written: never a commit's line before its records'.

    python -m tests.faults.group_member --client confluent|strom --bootstrap H:P --group G --topic T \
        --name c3 --started 12345.6 --out events.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from typing import Any


def main() -> None:
    args = argparse.ArgumentParser()
    for flag in ("--client", "--bootstrap", "--group", "--topic", "--name", "--out"):
        args.add_argument(flag, required=True)
    args.add_argument("--started", type=float, required=True)
    opts = args.parse_args()
    fd = os.open(opts.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def record(kind: str, **fields: Any) -> None:
        line = {"kind": kind, "time": round(time.monotonic() - opts.started, 6), "process": opts.name, **fields}
        os.write(fd, (json.dumps(line) + "\n").encode())

    library: Any
    if opts.client == "strom":
        import strom as library
    else:
        import confluent_kafka as library
    consumer = library.Consumer(
        {
            "bootstrap.servers": opts.bootstrap,
            "group.id": opts.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 2000,  # a member learns of a rebalance late: the rebalance lasts long enough to kill in
            "max.poll.interval.ms": 30000,
            "topic.metadata.refresh.interval.ms": 1000,
        }
    )

    def assigned(c: Any, partitions: list[Any]) -> None:
        invoked = round(time.monotonic() - opts.started, 6)
        try:
            answered = c.committed(list(partitions), timeout=30)
        except Exception:  # noqa: BLE001 - an OffsetFetch that failed observed nothing
            return
        for tp in answered:
            if tp.error is None:
                line = {"group": opts.group, "topic": tp.topic, "partition": tp.partition, "offset": max(tp.offset, -1)}
                os.write(fd, (json.dumps({"kind": "committed", "time": invoked, "process": opts.name, **line}) + "\n").encode())

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    consumer.subscribe([opts.topic], on_assign=assigned)
    while not stopping:
        batch: dict[tuple[str, int], int] = {}
        for msg in consumer.consume(200, 0.3):
            if msg.error() is None:
                record("consume", topic=msg.topic(), partition=msg.partition(), offset=msg.offset(), value=msg.value().decode())
                batch[(msg.topic(), msg.partition())] = msg.offset() + 1
        if not batch:
            continue
        try:
            done = consumer.commit(offsets=[library.TopicPartition(t, p, o) for (t, p), o in batch.items()], asynchronous=False)
        except library.KafkaException:
            continue  # not acknowledged (a rebalance under way, the coordinator moving): these records come again
        for tp in done or []:
            if tp.error is None and tp.offset >= 0:
                record("commit", group=opts.group, topic=tp.topic, partition=tp.partition, offset=tp.offset)
    consumer.close()


if __name__ == "__main__":
    main()
