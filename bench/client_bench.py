"""Python clients side by side against one broker: producer and consumer msgs/s for 100 B and 1 KiB records,
Strom's client (sync facade and asyncio core) vs confluent-kafka (librdkafka, C) vs kafka-python vs aiokafka.

    .venv/bin/python bench/client_bench.py [--records N] [--broker strom|kafka] [--bootstrap host:port]

Each producer writes N records to its own one-partition topic (acks=all, linger 5 ms, no compression),
then each consumer reads one such topic from the beginning. One run, same machine, numbers only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


# -- producers: each returns elapsed seconds for n records --------------------------------------------


STROM_PRODUCER: dict[str, Any] = {"linger.ms": 5}


def p_strom(bootstrap: str, topic: str, n: int, payload: bytes) -> float:
    p = strom.Producer({"bootstrap.servers": bootstrap, **STROM_PRODUCER})
    start = time.perf_counter()
    for _ in range(n):
        try:
            p.produce(topic, payload)
        except BufferError:
            p.poll(0.01)
            p.produce(topic, payload)
    p.flush()
    elapsed = time.perf_counter() - start
    p.close()
    return elapsed


def p_strom_aio(bootstrap: str, topic: str, n: int, payload: bytes) -> float:
    async def run() -> float:
        p = AIOProducer({"bootstrap.servers": bootstrap, **STROM_PRODUCER})
        await p.start()
        await p.wait_for_topic(topic)
        start = time.perf_counter()
        for _ in range(n):
            p.append(topic, payload, None, None, None, None, None)
            if p.buffered_bytes > 16_000_000:
                await asyncio.sleep(0)
        await p.flush()
        elapsed = time.perf_counter() - start
        await p.close()
        return elapsed

    return asyncio.run(run())


def p_confluent(bootstrap: str, topic: str, n: int, payload: bytes) -> float:
    p = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "enable.idempotence": True})
    start = time.perf_counter()
    for _ in range(n):
        try:
            p.produce(topic, payload)
        except BufferError:
            p.poll(0.01)
            p.produce(topic, payload)
        p.poll(0)
    p.flush()
    return time.perf_counter() - start


def p_kafka_python(bootstrap: str, topic: str, n: int, payload: bytes) -> float:
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    start = time.perf_counter()
    for _ in range(n):
        p.send(topic, payload)
    p.flush()
    elapsed = time.perf_counter() - start
    p.close()
    return elapsed


def p_aiokafka(bootstrap: str, topic: str, n: int, payload: bytes) -> float:
    from aiokafka import AIOKafkaProducer

    async def run() -> float:
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
        await p.start()
        start = time.perf_counter()
        futs = []
        for _ in range(n):
            futs.append(await p.send(topic, payload))
        await p.flush()
        elapsed = time.perf_counter() - start
        await p.stop()
        return elapsed

    return asyncio.run(run())


# -- consumers: read n records of `topic` from the beginning --------------------------------------------


def c_strom(bootstrap: str, topic: str, n: int) -> float:
    c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest"})
    c.assign([strom.TopicPartition(topic, 0, strom.OFFSET_BEGINNING)])
    start = time.perf_counter()
    got = 0
    while got < n:
        got += len(c.consume(1000, 5))
    elapsed = time.perf_counter() - start
    c.close()
    return elapsed


def c_strom_aio(bootstrap: str, topic: str, n: int) -> float:
    async def run() -> float:
        c = AIOConsumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "max.poll.records": 5000})
        await c.assign([strom.TopicPartition(topic, 0, strom.OFFSET_BEGINNING)])
        start = time.perf_counter()
        got = 0
        while got < n:
            got += len(await c.getmany(5))
        elapsed = time.perf_counter() - start
        await c.close()
        return elapsed

    return asyncio.run(run())


def c_confluent(bootstrap: str, topic: str, n: int) -> float:
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "enable.auto.commit": False})
    c.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    start = time.perf_counter()
    got = 0
    while got < n:
        got += len([m for m in c.consume(1000, 5) if m.error() is None])
    elapsed = time.perf_counter() - start
    c.close()
    return elapsed


def c_kafka_python(bootstrap: str, topic: str, n: int) -> float:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=5000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    start = time.perf_counter()
    got = 0
    while got < n:
        got += sum(len(v) for v in c.poll(5000).values())
    elapsed = time.perf_counter() - start
    c.close()
    return elapsed


def c_aiokafka(bootstrap: str, topic: str, n: int) -> float:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def run() -> float:
        c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await c.start()
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        await c.seek_to_beginning(tp)
        start = time.perf_counter()
        got = 0
        while got < n:
            got += sum(len(v) for v in (await c.getmany(timeout_ms=5000, max_records=5000)).values())
        elapsed = time.perf_counter() - start
        await c.stop()
        return elapsed

    return asyncio.run(run())


PRODUCERS: dict[str, Callable[..., float]] = {
    "strom": p_strom,
    "strom.aio": p_strom_aio,
    "confluent-kafka": p_confluent,
    "kafka-python": p_kafka_python,
    "aiokafka": p_aiokafka,
}
CONSUMERS: dict[str, Callable[..., float]] = {
    "strom": c_strom,
    "strom.aio": c_strom_aio,
    "confluent-kafka": c_confluent,
    "kafka-python": c_kafka_python,
    "aiokafka": c_aiokafka,
}


def run(bootstrap: str, records: int, sizes: list[int], only: list[str] | None) -> list[tuple[str, str, int, float]]:
    rows: list[tuple[str, str, int, float]] = []
    for size in sizes:
        payload = b"x" * size
        for name, produce in PRODUCERS.items():
            if only and name not in only:
                continue
            topic = new_topic(bootstrap)
            cpu = time.process_time()
            elapsed = produce(bootstrap, topic, records, payload)
            cpu = time.process_time() - cpu
            rows.append(("produce", name, size, records / elapsed))
            print(f"produce  {name:16} {size:5d} B  {records / elapsed:10,.0f} msg/s  {cpu_per_message(cpu, records)}", flush=True)
            consume = CONSUMERS[name]
            cpu = time.process_time()
            elapsed = consume(bootstrap, topic, records)
            cpu = time.process_time() - cpu
            rows.append(("consume", name, size, records / elapsed))
            print(f"consume  {name:16} {size:5d} B  {records / elapsed:10,.0f} msg/s  {cpu_per_message(cpu, records)}", flush=True)
    return rows


def cpu_per_message(seconds: float, records: int) -> str:
    """The client's own CPU time (all its threads, librdkafka's too) per message: unlike msgs/s, it hardly
    moves with the load other processes put on the machine."""
    return f"cpu {1e6 * seconds / records:6.2f} us/msg"


def describe_machine() -> str:
    load = os.getloadavg()
    compiled = ", ".join(strom_native.loaded()) or "none (pure Python: STROM_NO_EXTENSIONS or not built)"
    return f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; Strom's compiled modules: {compiled}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--sizes", default="100,1024")
    ap.add_argument("--broker", choices=["strom", "kafka"], default="strom")
    ap.add_argument("--bootstrap", help="use a running broker instead of starting one")
    ap.add_argument("--only", help="comma-separated client names")
    ap.add_argument("--batch-size", type=int, help="batch.size for Strom's producer (Java's default 16384; librdkafka's is 1000000)")
    a = ap.parse_args(argv)
    if a.batch_size:
        STROM_PRODUCER["batch.size"] = a.batch_size
    sizes = [int(s) for s in a.sizes.split(",")]
    print(describe_machine(), flush=True)
    only = a.only.split(",") if a.only else None
    if a.bootstrap:
        run(a.bootstrap, a.records, sizes, only)
        return 0
    if a.broker == "kafka":
        from strom.testing.apache_kafka import ApacheKafka

        kafka = ApacheKafka().start()
        try:
            run(kafka.bootstrap, a.records, sizes, only)
        finally:
            kafka.close()
        return 0
    with BrokerProcess() as broker:
        run(broker.bootstrap, a.records, sizes, only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
