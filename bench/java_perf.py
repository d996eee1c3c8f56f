"""Side-by-side throughput with Apache Kafka's own load generators (kafka-producer-perf-test and
kafka-consumer-perf-test, from Maven Central), Strom vs Apache Kafka 3.9 KRaft, one run, same machine.

    .venv/bin/python bench/java_perf.py [--records N] [--smoke] [--out FILE]

Both brokers run with their defaults (one partition, flushing left to the OS) on this machine's disk.
Broker CPU seconds and peak RSS come from /proc for the broker process of each run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from strom.testing.apache_kafka import KAFKA_VERSION, ApacheKafka, run_kafka_tool
from strom.testing.broker import BrokerProcess

CLK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    system: str
    case: str
    records_per_s: float
    mb_per_s: float
    avg_latency_ms: float | None
    p99_latency_ms: float | None
    cpu_s: float
    rss_mb: float


def proc_cpu_rss(pid: int) -> tuple[float, float]:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK
        rss = 0.0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) / 1024
        return cpu, rss
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0


def producer_case(bootstrap: str, topic: str, records: int, size: int, acks: str) -> dict[str, float]:
    out = run_kafka_tool(
        "kafka-producer-perf-test.sh",
        [
            "--topic",
            topic,
            "--num-records",
            str(records),
            "--record-size",
            str(size),
            "--throughput",
            "-1",
            "--producer-props",
            f"bootstrap.servers={bootstrap}",
            f"acks={acks}",
            "linger.ms=5",
            "batch.size=65536",
        ],
        timeout=600,
    )
    m = re.search(
        r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, "
        r"(\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th",
        out.stdout,
    )
    if not m:
        raise RuntimeError(f"producer perf test failed: {out.stdout[-1500:]} {out.stderr[-1500:]}")
    return {"rps": float(m.group(2)), "mbs": float(m.group(3)), "avg": float(m.group(4)), "p99": float(m.group(8))}


def consumer_case(bootstrap: str, topic: str, records: int) -> dict[str, float]:
    out = run_kafka_tool(
        "kafka-consumer-perf-test.sh",
        ["--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(records), "--timeout", "60000"],
        timeout=600,
    )
    lines = [line for line in out.stdout.splitlines() if line and line[0].isdigit()]
    if not lines:
        raise RuntimeError(f"consumer perf test failed: {out.stdout[-1500:]} {out.stderr[-1500:]}")
    cols = [c.strip() for c in lines[-1].split(",")]
    # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
    return {"mbs": float(cols[3]), "rps": float(cols[5])}


def run_system(name: str, bootstrap: str, pid: int, records: int) -> list[Result]:
    results = []
    for size in (100, 1024):
        n = records if size == 100 else max(records // 4, 1000)
        topic = f"perf-{size}-{uuid.uuid4().hex[:6]}"
        for acks in ("1", "all"):
            t = topic + ("-a1" if acks == "1" else "-all")
            cpu0, _ = proc_cpu_rss(pid)
            r = producer_case(bootstrap, t, n, size, acks)
            cpu1, rss = proc_cpu_rss(pid)
            results.append(Result(name, f"produce {size} B acks={acks}", r["rps"], r["mbs"], r["avg"], r["p99"], cpu1 - cpu0, rss))
            if acks == "1":
                cpu0, _ = proc_cpu_rss(pid)
                c = consumer_case(bootstrap, t, n)
                cpu1, rss = proc_cpu_rss(pid)
                results.append(Result(name, f"consume {size} B", c["rps"], c["mbs"], None, None, cpu1 - cpu0, rss))
    return results


def render(results: list[Result], records: int) -> str:
    by_case: dict[str, dict[str, Result]] = {}
    for r in results:
        by_case.setdefault(r.case, {})[r.system] = r
    lines = [
        "# Performance: Strom vs Apache Kafka",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `bench/java_perf.py` in one run on one machine: {os.cpu_count()} cores, "
        f"{platform.platform()}, Python {platform.python_version()}, Apache Kafka {KAFKA_VERSION} (KRaft, single node, "
        "defaults) from Maven Central, Java 17. Load generators: Kafka's own `kafka-producer-perf-test` "
        f"(linger.ms=5, batch.size=65536, throughput unthrottled) and `kafka-consumer-perf-test`; {records} records of 100 B, "
        f"{max(records // 4, 1000)} of 1 KiB; one partition; both brokers leave flushing to the OS.",
        "",
        "| case | Strom msgs/s | Kafka msgs/s | Strom MB/s | Kafka MB/s | ratio (Strom/Kafka) | Strom p99 ms | Kafka p99 ms "
        "| Strom CPU s | Kafka CPU s | Strom peak RSS MB | Kafka peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case, systems in by_case.items():
        s, k = systems.get("strom"), systems.get("kafka")
        if s is None or k is None:
            continue
        ratio = s.mb_per_s / k.mb_per_s if k.mb_per_s else float("nan")
        p99s = "" if s.p99_latency_ms is None else f"{s.p99_latency_ms:.0f}"
        p99k = "" if k.p99_latency_ms is None else f"{k.p99_latency_ms:.0f}"
        lines.append(
            f"| {case} | {s.records_per_s:,.0f} | {k.records_per_s:,.0f} | {s.mb_per_s:.1f} | {k.mb_per_s:.1f} | {ratio:.2f} | "
            f"{p99s} | {p99k} | {s.cpu_s:.1f} | {k.cpu_s:.1f} | {s.rss_mb:.0f} | {k.rss_mb:.0f} |"
        )
    lines += [
        "",
        "Notes: the load generator (a JVM) shares the 2 cores with the broker under test, as it does for both systems. "
        "p99 is the producer's send-to-ack latency at full load (not at a fixed rate). The Strom broker runs on one "
        "event loop (one core); see the issues for the plan to use both cores.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--smoke", action="store_true", help="a few seconds per system, no file written")
    parser.add_argument("--out", type=Path, help="also write the report to this file (bench/run.sh owns PERFORMANCE.md)")
    args = parser.parse_args()
    records = 5_000 if args.smoke else args.records
    results: list[Result] = []
    with BrokerProcess(overrides={"offsets.topic.num.partitions": "50"}) as strom:
        assert strom.proc is not None
        results += run_system("strom", strom.bootstrap, strom.proc.pid, records)
    kafka = ApacheKafka()
    try:
        kafka.start()
        pid = kafka.pid()
        assert pid is not None
        results += run_system("kafka", kafka.bootstrap, pid, records)
    finally:
        kafka.close()
    text = render(results, records)
    print(text)
    if args.out is not None and not args.smoke:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
