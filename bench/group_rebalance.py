"""Group rebalance time, Strom vs Apache Kafka 3.9 side by side, with Apache Kafka's Java consumer on both.

    .venv/bin/python bench/group_rebalance.py [--members 4] [--partitions 12] [--runs 3] [--out docs/PERFORMANCE.md]

A group grows from 1 to N members (bench/RebalanceBench.java); for each new member we time its subscribe()
until the group is balanced again, for three protocols: classic eager (RangeAssignor), classic
cooperative-sticky (KIP-429) and the KIP-848 consumer protocol (server-side uniform assignor). Both brokers
get the same settings: group.initial.rebalance.delay.ms=0 and a 500 ms heartbeat interval for every
protocol (heartbeat.interval.ms for classic members, group.consumer.heartbeat.interval.ms for KIP-848).
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

from strom.testing.apache_kafka import KAFKA_VERSION, ApacheKafka, java_command, run_kafka_tool
from strom.testing.broker import BrokerProcess

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "bench" / "RebalanceBench.java"
MODES = ("eager", "cooperative", "consumer")
LABELS = {"eager": "classic eager (range)", "cooperative": "classic cooperative-sticky", "consumer": "consumer (KIP-848, uniform)"}
HEARTBEAT_MS = "500"
SECTION = "## Group rebalance"


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    proc = run_kafka_tool("kafka-topics.sh", ["--bootstrap-server", bootstrap, "--create", "--topic", topic,
                                              "--partitions", str(partitions), "--replication-factor", "1"])  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"could not create {topic}: {proc.stderr[-500:]}")


def run_once(bootstrap: str, topic: str, partitions: int, members: int, mode: str) -> list[int]:
    cmd = java_command(str(HARNESS), [bootstrap, topic, str(partitions), str(members), mode])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    steps = [int(m.group(2)) for m in re.finditer(r"^step (\d+) (\d+)$", proc.stdout, re.M)]
    if proc.returncode != 0 or len(steps) != members:
        raise SystemExit(f"{mode} on {bootstrap} failed: {proc.stdout[-800:]}{proc.stderr[-1500:]}")
    return steps


def measure(system: str, bootstrap: str, args: argparse.Namespace) -> dict[str, list[list[int]]]:
    topic = f"rebalance-{system.lower().replace(' ', '-')}"
    create_topic(bootstrap, topic, args.partitions)
    out: dict[str, list[list[int]]] = {}
    for mode in MODES:
        out[mode] = [run_once(bootstrap, topic, args.partitions, args.members, mode) for _ in range(args.runs)]
        print(system, mode, out[mode], file=sys.stderr)
    return out


def table(results: dict[str, dict[str, list[list[int]]]], members: int) -> list[str]:
    steps = ["first member (cold client)"] + [f"{n - 1}→{n}" for n in range(2, members + 1)]
    head = "| protocol | broker | " + " | ".join(steps) + f" | sum of 1→{members} joins |"
    rows = [head, "|" + "---|" * (members + 3)]
    for mode in MODES:
        for system, by_mode in results.items():
            runs = by_mode[mode]
            medians = [statistics.median(run[i] for run in runs) for i in range(members)]
            cells = " | ".join(f"{m / 1000:.2f}" for m in medians)
            rows.append(f"| {LABELS[mode]} | {system} | {cells} | {sum(medians[1:]) / 1000:.2f} |")
    return rows


def write_section(path: Path, lines: list[str]) -> None:
    text = path.read_text() if path.exists() else ""
    block = "\n".join(lines) + "\n"
    if SECTION in text:
        start = text.index(SECTION)
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start] + block + (text[nxt + 1 :] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--partitions", type=int, default=12)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    common = {"group.initial.rebalance.delay.ms": "0", "group.consumer.heartbeat.interval.ms": HEARTBEAT_MS}
    results: dict[str, dict[str, list[list[int]]]] = {}
    strom = BrokerProcess(overrides=common).start()
    try:
        results["Strom"] = measure("Strom", strom.bootstrap, args)
    finally:
        strom.close()
    kafka = ApacheKafka(overrides={**common, "group.coordinator.rebalance.protocols": "classic,consumer",
                                   "group.consumer.min.heartbeat.interval.ms": HEARTBEAT_MS})  # fmt: skip
    try:
        kafka.start()
        results[f"Kafka {KAFKA_VERSION}"] = measure("Kafka", kafka.bootstrap, args)
    finally:
        kafka.close()
    lines = [
        SECTION,
        "",
        f"Seconds from a new member's `subscribe()` until the group is balanced again (median of {args.runs} runs), "
        f"a group growing 1→{args.members} on a {args.partitions}-partition topic. Client: Apache Kafka's Java consumer "
        f"{KAFKA_VERSION} for every row (`bench/group_rebalance.py`, harness `bench/RebalanceBench.java`). Same settings on "
        f"both brokers: group.initial.rebalance.delay.ms=0, {HEARTBEAT_MS} ms heartbeat interval for every protocol. "
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, loopback.",
        "",
        *table(results, args.members),
        "",
    ]
    print("\n".join(lines))
    if args.out:
        write_section(args.out, lines)


if __name__ == "__main__":
    main()
