"""Python clients side by side against one broker: producer and consumer msgs/s and CPU time per record for
100 B and 1 KiB records, Strom's client (sync facade, and the asyncio core) vs confluent-kafka (librdkafka, C)
vs kafka-python vs aiokafka.

    .venv/bin/python bench/client_bench.py [--records N] [--rounds 3] [--only strom,confluent-kafka]
                                           [--broker strom|kafka] [--bootstrap host:port]

Each producer writes N records to its own one-partition topic (acks=all, linger 5 ms, no compression) with
confluent-kafka's documented loop (produce, poll(0), retry after poll on BufferError), then each consumer
reads that topic from the beginning. "produce+dr" is the same with a delivery callback per record. Every
case runs once per round, the clients alternating order; the CPU time is the whole process's (all
threads), measured over the same span as msgs/s, and moves much less than msgs/s with the load others put
on the machine. The summary prints medians, Strom's facade against confluent-kafka.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

import strom
from strom import _native as strom_native
from strom.aio import AIOConsumer, AIOProducer
from strom.testing.broker import BrokerProcess


def new_topic(bootstrap: str) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    time.sleep(0.5)
    return name


# -- producers: each returns (elapsed seconds, process CPU seconds) for n records ------------------------


STROM_PRODUCER: dict[str, Any] = {"linger.ms": 5}
Measured = tuple[float, float]


class Span:
    """Wall-clock and process CPU time (every thread: librdkafka's and Strom's loop thread too) of a block."""

    def __enter__(self) -> Span:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    @property
    def measured(self) -> Measured:
        return self.wall, self.cpu


def delivery_callback(counter: list[int], errors: list[Any]) -> Callable[[Any, Any], None]:
    def on_delivery(err: Any, msg: Any) -> None:
        if err is None:
            counter[0] += 1
        else:
            errors.append(err)

    return on_delivery


def produce_loop(p: Any, topic: str, n: int, payload: bytes, callbacks: bool) -> None:
    """confluent-kafka's documented loop, the same for both clients: produce(), poll(0) to serve delivery
    reports; on BufferError (queue.buffering.max.messages reached) poll until there is room, then retry."""
    delivered = [0]
    errors: list[Any] = []
    cb = delivery_callback(delivered, errors) if callbacks else None
    produce, poll = p.produce, p.poll
    for _ in range(n):
        while True:
            try:
                produce(topic, payload, on_delivery=cb)
                break
            except BufferError:
                poll(0.1)
        poll(0)
    left = p.flush(120)
    if left or (callbacks and delivered[0] != n):
        first = f"; first error: {errors[0]}" if errors else ""
        raise RuntimeError(f"{left} record(s) not delivered, {delivered[0]} delivered of {n}, {len(errors)} failed{first}")


def p_strom(bootstrap: str, topic: str, n: int, payload: bytes, callbacks: bool = False) -> Measured:
    p = strom.Producer({"bootstrap.servers": bootstrap, **STROM_PRODUCER})
    p.list_topics(topic)  # metadata first, as confluent's warm-up below
    with Span() as span:
        produce_loop(p, topic, n, payload, callbacks)
    p.close()
    return span.measured


def p_strom_aio(bootstrap: str, topic: str, n: int, payload: bytes, callbacks: bool = False) -> Measured:
    async def run() -> Measured:
        p = AIOProducer({"bootstrap.servers": bootstrap, **STROM_PRODUCER})
        await p.start()
        await p.wait_for_topic(topic)
        with Span() as span:
            for _ in range(n):
                p.append(topic, payload, None, None, None, None, None)
                if p.buffered_bytes > 16_000_000:
                    await asyncio.sleep(0)
            await p.flush()
        await p.close()
        return span.measured

    return asyncio.run(run())


def p_confluent(bootstrap: str, topic: str, n: int, payload: bytes, callbacks: bool = False) -> Measured:
    p = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "enable.idempotence": True})
    p.list_topics(topic)
    with Span() as span:
        produce_loop(p, topic, n, payload, callbacks)
    return span.measured


def p_kafka_python(bootstrap: str, topic: str, n: int, payload: bytes, callbacks: bool = False) -> Measured:
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    with Span() as span:
        for _ in range(n):
            p.send(topic, payload)
        p.flush()
    p.close()
    return span.measured


def p_aiokafka(bootstrap: str, topic: str, n: int, payload: bytes, callbacks: bool = False) -> Measured:
    from aiokafka import AIOKafkaProducer

    async def run() -> Measured:
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
        await p.start()
        with Span() as span:
            for _ in range(n):
                await p.send(topic, payload)
            await p.flush()
        await p.stop()
        return span.measured

    return asyncio.run(run())


# -- consumers: read n records of `topic` from the beginning --------------------------------------------


def c_strom(bootstrap: str, topic: str, n: int) -> Measured:
    c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest"})
    c.assign([strom.TopicPartition(topic, 0, strom.OFFSET_BEGINNING)])
    with Span() as span:
        got = 0
        while got < n:
            got += len([m for m in c.consume(1000, 5) if m.error() is None])
    c.close()
    return span.measured


def c_strom_aio(bootstrap: str, topic: str, n: int) -> Measured:
    async def run() -> Measured:
        c = AIOConsumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "max.poll.records": 5000})
        await c.assign([strom.TopicPartition(topic, 0, strom.OFFSET_BEGINNING)])
        with Span() as span:
            got = 0
            while got < n:
                got += len(await c.getmany(5))
        await c.close()
        return span.measured

    return asyncio.run(run())


def c_confluent(bootstrap: str, topic: str, n: int) -> Measured:
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "enable.auto.commit": False})
    c.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    with Span() as span:
        got = 0
        while got < n:
            got += len([m for m in c.consume(1000, 5) if m.error() is None])
    c.close()
    return span.measured


def c_kafka_python(bootstrap: str, topic: str, n: int) -> Measured:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=5000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    with Span() as span:
        got = 0
        while got < n:
            got += sum(len(v) for v in c.poll(5000).values())
    c.close()
    return span.measured


def c_aiokafka(bootstrap: str, topic: str, n: int) -> Measured:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def run() -> Measured:
        c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await c.start()
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        await c.seek_to_beginning(tp)
        with Span() as span:
            got = 0
            while got < n:
                got += sum(len(v) for v in (await c.getmany(timeout_ms=5000, max_records=5000)).values())
        await c.stop()
        return span.measured

    return asyncio.run(run())


PRODUCERS: dict[str, Callable[..., Measured]] = {
    "strom": p_strom,
    "strom.aio": p_strom_aio,
    "confluent-kafka": p_confluent,
    "kafka-python": p_kafka_python,
    "aiokafka": p_aiokafka,
}
CONSUMERS: dict[str, Callable[..., Measured]] = {
    "strom": c_strom,
    "strom.aio": c_strom_aio,
    "confluent-kafka": c_confluent,
    "kafka-python": c_kafka_python,
    "aiokafka": c_aiokafka,
}
CALLBACKS = {"strom", "confluent-kafka"}  # the clients with confluent's produce(on_delivery=...) API

# (case, client, size) -> [(msgs/s, CPU us per record), ...] one per round
Results = dict[tuple[str, str, int], list[tuple[float, float]]]


def record(results: Results, case: str, name: str, size: int, records: int, measured: Measured) -> None:
    wall, cpu = measured
    rate, us = records / wall, 1e6 * cpu / records
    results.setdefault((case, name, size), []).append((rate, us))
    print(f"{case:10} {name:16} {size:5d} B  {rate:10,.0f} msg/s  cpu {us:6.2f} us/msg", flush=True)


def run(bootstrap: str, records: int, sizes: list[int], clients: list[str], rounds: int) -> Results:
    """Every client, case and size once per round; the clients' order alternates from round to round, so
    load from elsewhere on the machine falls on both sides of each comparison."""
    results: Results = {}
    for r in range(rounds):
        order = clients if r % 2 == 0 else clients[::-1]
        print(f"-- round {r + 1}/{rounds}: {', '.join(order)}", flush=True)
        for size in sizes:
            payload = b"x" * size
            for name in order:
                topic = new_topic(bootstrap)
                record(results, "produce", name, size, records, PRODUCERS[name](bootstrap, topic, records, payload))
                record(results, "consume", name, size, records, CONSUMERS[name](bootstrap, topic, records))
                if name in CALLBACKS:
                    topic = new_topic(bootstrap)
                    record(results, "produce+dr", name, size, records, PRODUCERS[name](bootstrap, topic, records, payload, True))
    return results


def summary(results: Results, sizes: list[int], rounds: int) -> str:
    """Medians over the rounds, Strom's facade against confluent-kafka side by side, as a Markdown table.
    The msgs/s ratio is Strom/confluent (> 1: Strom faster); the CPU ratio is confluent/Strom (> 1: Strom
    spends less CPU per record)."""
    lines = [
        "| case | size | Strom msgs/s | confluent-kafka msgs/s | ratio | Strom CPU µs/record | confluent CPU µs/record | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in ("produce", "produce+dr", "consume"):
        for size in sizes:
            ours, theirs = results.get((case, "strom", size)), results.get((case, "confluent-kafka", size))
            if not ours or not theirs:
                continue
            rate, us = statistics.median(r for r, _ in ours), statistics.median(u for _, u in ours)
            rate_ck, us_ck = statistics.median(r for r, _ in theirs), statistics.median(u for _, u in theirs)
            lines.append(
                f"| {case} | {size} B | {rate:,.0f} | {rate_ck:,.0f} | {rate / rate_ck:.2f}x | {us:.2f} | {us_ck:.2f} | {us_ck / us:.2f}x |"
            )
    return "\n".join(lines)


def describe_machine() -> str:
    load = os.getloadavg()
    compiled = ", ".join(strom_native.loaded()) or "none (pure Python: STROM_NO_EXTENSIONS or not built)"
    return f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; Strom's compiled modules: {compiled}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--sizes", default="100,1024")
    ap.add_argument("--rounds", type=int, default=3, help="repeat every case; the summary shows medians")
    ap.add_argument("--broker", choices=["strom", "kafka"], default="strom")
    ap.add_argument("--bootstrap", help="use a running broker instead of starting one")
    ap.add_argument("--only", default="strom,confluent-kafka", help=f"comma-separated clients of {','.join(PRODUCERS)}")
    ap.add_argument("--batch-size", type=int, help="batch.size for Strom's producer (the facade's default is librdkafka's 1000000)")
    a = ap.parse_args(argv)
    if a.batch_size:
        STROM_PRODUCER["batch.size"] = a.batch_size
    sizes = [int(s) for s in a.sizes.split(",")]
    clients = [c for c in a.only.split(",") if c]
    unknown = [c for c in clients if c not in PRODUCERS]
    if unknown:
        ap.error(f"unknown client(s): {', '.join(unknown)}")
    print(describe_machine(), flush=True)
    if a.bootstrap:
        results = run(a.bootstrap, a.records, sizes, clients, a.rounds)
    elif a.broker == "kafka":
        from strom.testing.apache_kafka import ApacheKafka

        kafka = ApacheKafka().start()
        try:
            results = run(kafka.bootstrap, a.records, sizes, clients, a.rounds)
        finally:
            kafka.close()
    else:
        with BrokerProcess() as broker:
            results = run(broker.bootstrap, a.records, sizes, clients, a.rounds)
    print(f"\nmedians of {a.rounds} round(s), {a.records:,} records per case; {describe_machine()}")
    print(summary(results, sizes, a.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
