"""What a Windows user should expect: the broker on its portable paths (STROM_PORTABLE=1: asyncio's event
loop instead of uvloop, fetch responses copied through the transport instead of sendfile, seek+write appends
instead of pwritev) beside the same broker on Linux's fast paths, on this machine.

Two brokers run side by side, one each way. Per broker: produce MB/s (librdkafka, 1 KiB incompressible
records, acks=1, one partition), consume MB/s (kcat from the beginning; the runs alternate between the brokers,
medians of --runs with their ranges), the broker's CPU seconds per GiB for both (from /proc/<pid>/stat), and the produce round
trip p50/p99 (one 1 KiB record in flight, acks=1).

    python bench/portable_bench.py --mib 128 --runs 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.broker import BrokerProcess

RECORD = 1024
PATHS = {"fast path": "", "portable (STROM_PORTABLE=1)": "1"}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(portable: str) -> BrokerProcess:
    """A broker whose process sees STROM_PORTABLE as given (the capability choice is made at its start)."""
    saved = os.environ.get("STROM_PORTABLE")
    os.environ["STROM_PORTABLE"] = portable
    try:
        return BrokerProcess().start()
    finally:
        if saved is None:
            del os.environ["STROM_PORTABLE"]
        else:
            os.environ["STROM_PORTABLE"] = saved


def produce(bootstrap: str, topic: str, mib: int) -> tuple[float, int]:
    """Seconds to produce `mib` MiB and have it acknowledged, and the record count."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(60)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5, "batch.size": 1 << 20, "enable.idempotence": False})
    count = mib * 1024
    value = os.urandom(RECORD)
    begin = time.perf_counter()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value, partition=0)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10000 == 0:
            producer.poll(0)
    assert producer.flush(300) == 0
    return time.perf_counter() - begin, count


def consume(bootstrap: str, topic: str, count: int) -> float:
    """kcat (librdkafka in C) reads the partition to its end: the client costs little, the rate is the broker's."""
    args = ["kcat", "-C", "-q", "-e", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-c", str(count), "-f", "%s"]
    begin = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True, timeout=600)
    return time.perf_counter() - begin


def round_trips(bootstrap: str, topic: str, n: int) -> tuple[float, float]:
    """p50 / p99 milliseconds of one produce (1 KiB, acks=1) answered before the next is sent."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 0, "enable.idempotence": False})
    value = os.urandom(RECORD)
    producer.produce(topic, value, partition=0)
    producer.flush(30)
    times = []
    for _ in range(n):
        begin = time.perf_counter()
        producer.produce(topic, value, partition=0)
        producer.flush(30)
        times.append((time.perf_counter() - begin) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def mib_s(size_bytes: int, seconds: float) -> float:
    return size_bytes / seconds / (1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=128, help="topic size in MiB (1 KiB records)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--round-trips", type=int, default=2000)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    brokers = {name: start(flag) for name, flag in PATHS.items()}
    try:
        topic = f"portable-bench-{uuid.uuid4().hex[:6]}"
        rows: dict[str, dict[str, float]] = {name: {} for name in brokers}
        count = 0
        for name, broker in brokers.items():
            assert broker.proc is not None
            before = cpu_seconds(broker.proc.pid)
            seconds, count = produce(broker.bootstrap, topic, args.mib)
            size = count * RECORD
            rows[name]["produce"] = mib_s(size, seconds)
            rows[name]["produce_cpu"] = (cpu_seconds(broker.proc.pid) - before) / (size / (1 << 30))
            consume(broker.bootstrap, topic, count)  # warm the page cache and the broker
            print(f"{name}: produce {rows[name]['produce']:.0f} MB/s", file=sys.stderr)
        rates: dict[str, list[float]] = {name: [] for name in brokers}
        cpu: dict[str, list[float]] = {name: [] for name in brokers}
        for _ in range(args.runs):
            for name, broker in brokers.items():
                assert broker.proc is not None
                before = cpu_seconds(broker.proc.pid)
                seconds = consume(broker.bootstrap, topic, count)
                rates[name].append(mib_s(count * RECORD, seconds))
                cpu[name].append((cpu_seconds(broker.proc.pid) - before) / (count * RECORD / (1 << 30)))
                print(f"{name}: consume {rates[name][-1]:.0f} MB/s, {cpu[name][-1]:.2f} CPU s/GiB", file=sys.stderr)
        for name, broker in brokers.items():
            rows[name]["consume"] = statistics.median(rates[name])
            rows[name]["consume_lo"], rows[name]["consume_hi"] = min(rates[name]), max(rates[name])
            rows[name]["consume_cpu"] = statistics.median(cpu[name])
            rows[name]["cpu_lo"], rows[name]["cpu_hi"] = min(cpu[name]), max(cpu[name])
            rows[name]["p50"], rows[name]["p99"] = round_trips(broker.bootstrap, topic, args.round_trips)
    finally:
        for broker in brokers.values():
            broker.close()
    print(
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/portable_bench.py --mib {args.mib} --runs {args.runs}`: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, 1 KiB incompressible records, one partition; "
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.\n"
    )
    print("| broker | produce MB/s | broker CPU s/GiB produced | consume MB/s | broker CPU s/GiB consumed | round trip p50 / p99 ms |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['produce']:.0f} | {r['produce_cpu']:.2f} | {r['consume']:.0f} ({r['consume_lo']:.0f}-{r['consume_hi']:.0f}) "
            f"| {r['consume_cpu']:.2f} ({r['cpu_lo']:.2f}-{r['cpu_hi']:.2f}) | {r['p50']:.2f} / {r['p99']:.2f} |"
        )


if __name__ == "__main__":
    main()
