"""What the broker's metrics cost: the same librdkafka loads against one broker per variant, variants alternating
round by round (median reported), so a busy machine's drift hits each alike.

    python bench/metrics_overhead.py [--rounds 3] [--records 300000] [--baseline GIT_REF]

Variants:
- off: metrics.prometheus.listener unset (the counters on the request path still count: they always do);
- on: the listener set and /metrics scraped every second (Prometheus' default is 15 s);
- baseline (with --baseline REF): the broker of a commit before the metrics existed (a temporary git worktree,
  the compiled accelerators copied from this tree), for the cost of the counting itself.
Loads: produce 100 B records (acks=1, linger.ms=5 as bench/run.sh; and linger.ms=0: many small requests, the
per-request cost at its most visible), then consume them.

Reported per variant: records/s (wall clock: on a shared machine it moves with everybody else's load) and the
broker's CPU time per million records (its threads' schedstat: what the metrics add to the broker's own work,
steady whatever else runs; a broker at full speed is CPU-bound, so its throughput moves inversely with it),
each as the median and the spread (lowest-highest) over the rounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rdkafka_load  # noqa: E402

from strom.testing.broker import BrokerProcess, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"num.partitions": "1", "log.segment.bytes": "1073741824", "offsets.topic.num.partitions": "1"}
CASES = (("produce 100 B, linger.ms=5", 5), ("produce 100 B, linger.ms=0", 0))


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of the process, in nanoseconds from /proc/<pid>/task/*/schedstat (the clock
    ticks of /proc/<pid>/stat are 10 ms: too coarse for a few seconds of load)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            pass  # a thread that ended meanwhile
    return total / 1e9


@contextmanager
def baseline_tree(ref: str) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="strom-baseline-"))
    tree = tmp / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True, capture_output=True)
    try:
        for so in (ROOT / "src").rglob("*.so"):
            target = tree / so.relative_to(ROOT)
            shutil.copy2(so, target)
        yield tree / "src"
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def broker(variant: str, baseline_src: Path | None) -> Iterator[BrokerProcess]:
    overrides = dict(SETTINGS)
    port = free_port()
    if variant == "on":
        overrides["metrics.prometheus.listener"] = f"http://127.0.0.1:{port}"
    saved = os.environ.get("PYTHONPATH")
    if variant == "baseline":
        assert baseline_src is not None
        os.environ["PYTHONPATH"] = str(baseline_src)
    stop = threading.Event()
    try:
        with BrokerProcess(overrides=overrides) as b:
            scraper = None
            if variant == "on":
                url = f"http://127.0.0.1:{port}/metrics"
                scrape(url)  # the endpoint answers before the load starts (else this round fails, not measures "off")
                scraper = threading.Thread(target=scrape_every_second, args=(url, stop), daemon=True)
                scraper.start()
            try:
                yield b
            finally:
                stop.set()  # before the broker stops: a scrape of a stopped broker would fail
                if scraper is not None:
                    scraper.join()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def scrape(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as resp:
        resp.read()


def scrape_every_second(url: str, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        scrape(url)


def one_round(variant: str, baseline_src: Path | None, records: int) -> dict[str, tuple[float, float]]:
    """case -> (records/s, broker CPU seconds per million records)."""
    out = {}
    with broker(variant, baseline_src) as b:
        assert b.proc is not None
        pid = b.proc.pid
        for name, linger in CASES:
            topic = f"overhead-{uuid.uuid4().hex[:8]}"
            rdkafka_load.produce(b.bootstrap, topic, 1000, 100, "1", "none", 1, 1)  # created, warmed up
            cpu = cpu_seconds(pid)
            t = rdkafka_load.produce(b.bootstrap, topic, records, 100, "1", "none", 1, 1, linger_ms=linger)
            out[name] = (t.records_per_s, (cpu_seconds(pid) - cpu) * 1e6 / records)
        cpu = cpu_seconds(pid)
        t = rdkafka_load.consume(b.bootstrap, topic, 1, records + 1000, 1)
        out["consume 100 B"] = (t.records_per_s, (cpu_seconds(pid) - cpu) * 1e6 / (records + 1000))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--baseline", default=None, help="a git ref of Strom before its metrics, for the cost of the counting")
    args = parser.parse_args()
    variants = ["off", "on"] + (["baseline"] if args.baseline else [])
    rates: dict[str, dict[str, list[float]]] = {v: {} for v in variants}
    cpus: dict[str, dict[str, list[float]]] = {v: {} for v in variants}
    with baseline_tree(args.baseline) if args.baseline else _nothing() as baseline_src:
        for r in range(args.rounds):
            for v in variants if r % 2 == 0 else reversed(variants):
                for case, (rate, cpu) in one_round(v, baseline_src, args.records).items():
                    rates[v].setdefault(case, []).append(rate)
                    cpus[v].setdefault(case, []).append(cpu)
                    print(f"round {r + 1} {v:8} {case}: {rate:,.0f} records/s, broker CPU {cpu:.2f} s per M records", flush=True)
    print()
    print(f"{args.rounds} rounds of {args.records:,} records, medians; broker CPU in seconds per million records")
    header = "| load | " + " | ".join(f"{v}: records/s (spread) | {v}: CPU (spread)" for v in variants)
    header += " | records/s on vs off | CPU on vs off |"
    if args.baseline:
        header += " CPU off vs baseline |"
    print(header)
    print("|---" * (2 * len(variants) + 3 + bool(args.baseline)) + "|")
    for case in rates["off"]:
        rate = {v: statistics.median(rates[v][case]) for v in variants}
        cpu = {v: statistics.median(cpus[v][case]) for v in variants}
        row = f"| {case} | " + " | ".join(
            f"{rate[v]:,.0f} ({min(rates[v][case]):,.0f}-{max(rates[v][case]):,.0f}) | "
            f"{cpu[v]:.2f} s ({min(cpus[v][case]):.2f}-{max(cpus[v][case]):.2f})"
            for v in variants
        )
        row += f" | {100 * (rate['on'] / rate['off'] - 1):+.1f} % | {100 * (cpu['on'] / cpu['off'] - 1):+.1f} % |"
        if args.baseline:
            row += f" {100 * (cpu['off'] / cpu['baseline'] - 1):+.1f} % |"
        print(row)
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    sys.exit(main())
