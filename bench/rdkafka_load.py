"""A librdkafka load generator (confluent-kafka), run the same way against Strom and Apache Kafka.

Every producer and consumer is its own process (one Python process cannot drive librdkafka at full
speed and also count), started together and timed from a common start to the last one done:
- produce(): N producers, fixed record count, size, acks, compression; records/s and MB/s.
- consume(): N consumers with manual assignment (no group rebalance in the timing) reading a topic
  from the beginning; records/s and MB/s.
- end_to_end(): one producer at a fixed rate stamps CLOCK_MONOTONIC (system-wide, so comparable
  between processes) into each record's 8-byte key (the value is constant, so the generator builds no
  1 KiB string per record); one consumer takes receive - send for every record: p50/p99/p99.9 in ms.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import struct
import time
from dataclasses import dataclass
from typing import Any

_STAMP = struct.Struct(">q")


@dataclass
class Throughput:
    records: int
    bytes: int
    seconds: float

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / (1 << 20) if self.seconds > 0 else 0.0


@dataclass
class Latency:
    rate: int  # records/s asked for
    achieved: float  # records/s the producer managed
    p50_ms: float
    p99_ms: float
    p999_ms: float
    samples: int


def _ctx() -> Any:
    return mp.get_context("spawn")  # librdkafka threads do not survive fork


# ---- produce -----------------------------------------------------------------------------------------


def _produce_worker(conf: dict[str, Any], topic: str, count: int, size: int, partitions: int, ready: Any, start: Any, out: Any) -> None:
    from confluent_kafka import Producer

    producer = Producer(conf)
    value = os.urandom(size)  # incompressible, as the Java perf tool's random payload
    errors = [0]

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is not None:
            errors[0] += 1

    producer.list_topics(topic, timeout=30)  # connected, leaders known
    ready.put(os.getpid())
    start.wait()
    t0 = time.monotonic()
    produce = producer.produce
    for i in range(count):
        while True:
            try:
                produce(topic, value, partition=i % partitions, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.001)
    left = producer.flush(120)
    out.put((time.monotonic() - t0, count - left - errors[0], t0))


def produce(
    bootstrap: str,
    topic: str,
    records: int,
    size: int,
    acks: str = "1",
    compression: str = "none",
    partitions: int = 1,
    producers: int = 1,
    linger_ms: int = 5,
) -> Throughput:
    conf = {
        "bootstrap.servers": bootstrap,
        "acks": acks,
        "compression.type": compression,
        "linger.ms": linger_ms,
        "batch.size": 1 << 20,
        "queue.buffering.max.kbytes": 256 * 1024,
        "enable.idempotence": False,
    }
    ctx = _ctx()
    ready = ctx.Queue()
    start = ctx.Event()
    out = ctx.Queue()
    per = records // producers
    procs = [ctx.Process(target=_produce_worker, args=(conf, topic, per, size, partitions, ready, start, out)) for _ in range(producers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    t0 = time.monotonic()
    start.set()
    results = [out.get(timeout=600) for _ in procs]
    elapsed = max(r[2] + r[0] for r in results) - t0
    for p in procs:
        p.join(30)
    delivered = sum(r[1] for r in results)
    return Throughput(delivered, delivered * size, elapsed)


# ---- consume -----------------------------------------------------------------------------------------


def _consume_worker(
    bootstrap: str, topic: str, partitions: list[int], expected: int, wait_ms: int, ready: Any, start: Any, out: Any
) -> None:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-{os.getpid()}",
            "enable.auto.commit": False,
            "fetch.max.bytes": 50 << 20,
            "max.partition.fetch.bytes": 1 << 20,
            "queued.max.messages.kbytes": 256 * 1024,
            "fetch.wait.max.ms": wait_ms,
        }
    )
    consumer.list_topics(topic, timeout=30)  # connected; fetching starts with assign, after the start
    ready.put(os.getpid())
    start.wait()
    t0 = time.monotonic()
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    got = 0
    nbytes = 0
    idle_since = time.monotonic()
    while got < expected:
        msgs = consumer.consume(min(10000, expected - got), 0.5)  # returns as soon as that many are there
        if not msgs:
            if time.monotonic() - idle_since > 15:
                break
            continue
        idle_since = time.monotonic()
        for m in msgs:
            if m.error() is None:
                got += 1
                nbytes += len(m.value() or b"")
    elapsed = time.monotonic() - t0
    consumer.close()
    out.put((elapsed, got, nbytes, t0))


def consume(bootstrap: str, topic: str, partitions: int, expected: int, consumers: int = 1, wait_ms: int = 500) -> Throughput:
    """`expected` records in total; consumer i reads partitions i, i+consumers, ..."""
    ctx = _ctx()
    ready = ctx.Queue()
    start = ctx.Event()
    out = ctx.Queue()
    shares = [list(range(i, partitions, consumers)) for i in range(consumers)]
    per_partition = expected / partitions
    procs = [
        ctx.Process(target=_consume_worker, args=(bootstrap, topic, share, round(per_partition * len(share)), wait_ms, ready, start, out))
        for share in shares
        if share
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    t0 = time.monotonic()
    start.set()
    results = [out.get(timeout=600) for _ in procs]
    elapsed = max(r[3] + r[0] for r in results) - t0
    for p in procs:
        p.join(30)
    return Throughput(sum(r[1] for r in results), sum(r[2] for r in results), elapsed)


# ---- end-to-end latency ------------------------------------------------------------------------------


def _latency_consumer(bootstrap: str, topic: str, expected: int, ready: Any, out: Any) -> None:
    from confluent_kafka import OFFSET_END, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-lat-{os.getpid()}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 100,
            "fetch.min.bytes": 1,
        }
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_END)])
    consumer.consume(1, 1.0)  # connected and positioned before the producer starts
    ready.set()
    latencies: list[int] = []
    deadline = time.monotonic() + 600
    idle_since = time.monotonic()
    while len(latencies) < expected and time.monotonic() < deadline:
        first = consumer.poll(0.2)  # returns on the first record; consume(n, t) would wait for n or t
        now = time.monotonic_ns()
        msgs = [first, *consumer.consume(1000, 0)] if first is not None else []
        if not msgs:
            if time.monotonic() - idle_since > 10:
                break
            continue
        idle_since = time.monotonic()
        for m in msgs:
            key = m.key()
            if m.error() is None and key is not None and len(key) == 8:
                latencies.append(now - _STAMP.unpack(key)[0])
    consumer.close()
    out.put(latencies)


def _paced_producer(bootstrap: str, topic: str, rate: int, seconds: float, size: int, out: Any) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 1, "enable.idempotence": False})
    padding = os.urandom(max(size - 8, 0))  # the value; the 8-byte key carries the stamp
    total = int(rate * seconds)
    tick = 0.001  # send the records due every millisecond
    t0 = time.monotonic()
    sent = 0
    while sent < total:
        due = min(total, int((time.monotonic() - t0) * rate) + 1)
        while sent < due:
            try:
                producer.produce(topic, padding, _STAMP.pack(time.monotonic_ns()), partition=0)
                sent += 1
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
        next_at = t0 + (sent / rate)
        delay = next_at - time.monotonic()
        time.sleep(delay if delay > tick else tick / 4)
    producer.flush(60)
    out.put((sent, time.monotonic() - t0))


def end_to_end(bootstrap: str, topic: str, rate: int, seconds: float, size: int) -> Latency:
    ctx = _ctx()
    ready = ctx.Event()
    lat_out = ctx.Queue()
    prod_out = ctx.Queue()
    expected = int(rate * seconds)
    consumer = ctx.Process(target=_latency_consumer, args=(bootstrap, topic, expected, ready, lat_out))
    consumer.start()
    ready.wait(60)
    producer = ctx.Process(target=_paced_producer, args=(bootstrap, topic, rate, seconds, size, prod_out))
    producer.start()
    sent, elapsed = prod_out.get(timeout=600)
    latencies = sorted(lat_out.get(timeout=600))
    producer.join(30)
    consumer.join(30)

    def pct(q: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1e6

    return Latency(rate, sent / elapsed if elapsed else 0.0, pct(0.50), pct(0.99), pct(0.999), len(latencies))
