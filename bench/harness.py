"""Strom vs Apache Kafka, side by side, one run, one machine, the same load generators.

    bench/run.sh [--matrix smoke|quick|latency|full] [--systems kafka,strom] [--pin on|off] [--no-write] [--out docs/PERFORMANCE.md]

Each system runs alone (the other is stopped) with equal settings: one broker, num.partitions=1,
1 GiB segments, flushing left to the OS, 50 offsets partitions, log dir on the same disk (/tmp).
Load generators: librdkafka (confluent-kafka, one process per producer/consumer: bench/rdkafka_load.py)
and Apache Kafka's own kafka-producer-perf-test / kafka-consumer-perf-test (bench/java_perf.py).
Kafka runs first: its librdkafka max rate (1 KiB, acks=1, one producer) sets the fixed rates of the
end-to-end latency cases (10/50/90 %) for both systems. Those run last, with both brokers up, the systems
alternating run by run for a few rounds (median reported); --pin on puts the brokers on the first CPU and
the load generators on the others. Per case the broker's CPU seconds (utime+stime
from /proc) and peak RSS (VmHWM, reset before each case through /proc/<pid>/clear_refs) are recorded.
The results go between the bench markers of docs/PERFORMANCE.md (text outside them is kept), plots
to docs/perf/*.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import java_perf  # noqa: E402
import rdkafka_load  # noqa: E402

from strom.testing.apache_kafka import KAFKA_VERSION, ApacheKafka  # noqa: E402
from strom.testing.broker import BrokerProcess  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLK = os.sysconf("SC_CLK_TCK")
SETTINGS = {"num.partitions": "1", "log.segment.bytes": "1073741824", "offsets.topic.num.partitions": "50"}


@dataclass
class Result:
    system: str
    group: str  # produce | consume | java | latency | partitions
    case: str
    records_per_s: float = 0.0
    mb_per_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    p999_ms: float | None = None
    seconds: float | None = None  # for cases measured as a duration (1000 partitions)
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Matrix:
    records_100: int
    records_1k: int
    produce_cases: list[tuple[int, str, str, int, int]]  # size, acks, compression, partitions, producers
    consume_cases: list[tuple[int, int, int]]  # size, partitions, consumers
    java: tuple[tuple[int, tuple[str, ...]], ...]  # Kafka's perf tools: (record size, acks values) per topic
    java_records: int  # for 100 B; a quarter of it for 1 KiB
    latency_seconds: float
    latency_rates: tuple[float, ...]  # fractions of Kafka's max
    big_partitions: int
    latency_rounds: int = 3  # each system runs each rate this many times, alternating; the median counts


BASE = [(s, a, c, 1, 1) for s in (100, 1024) for a in ("1", "all") for c in ("none", "lz4")]
SCALE = [(1024, "1", "none", 12, 1), (1024, "1", "none", 1, 8), (1024, "1", "none", 12, 8)]
MATRICES = {
    "smoke": Matrix(
        3000, 1000, [(100, "1", "none", 1, 1), (1024, "all", "lz4", 12, 2)], [(1024, 12, 4)], ((1024, ("1",)),), 2000, 1.0, (0.02,), 20, 1
    ),
    "quick": Matrix(
        300_000,
        100_000,
        [(100, "1", "none", 1, 1), (1024, "1", "none", 1, 1), *SCALE[:2]],
        [(1024, 1, 1), (1024, 12, 4)],
        (),
        0,
        5.0,
        (0.1, 0.5, 0.9),
        1000,
        3,
    ),
    "latency": Matrix(100_000, 100_000, [], [], (), 0, 5.0, (0.1, 0.5, 0.9), 0, 3),  # Kafka's max rate, then latency only
    "full": Matrix(
        500_000,
        150_000,
        BASE + SCALE,
        [(100, 1, 1), (1024, 1, 1), (1024, 12, 1), (1024, 12, 4)],
        ((100, ("1", "all")), (1024, ("1", "all"))),
        400_000,
        8.0,
        (0.1, 0.5, 0.9),
        1000,
        5,
    ),
}
FALLBACK_MAX_RATE = 50_000  # records/s when Kafka is not part of the run


# ---- broker process accounting -------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def run_queue_seconds(pid: int) -> float:
    """Time the process's threads spent runnable but waiting for a CPU (schedstat): how much the machine's
    other load delayed this broker, whatever its own CPU needs."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):  # a thread that just ended
            pass
    return total / 1e9


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss(pid: int) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


@contextmanager
def accounted(pid: int, result_box: list[Result]) -> Iterator[None]:
    reset_peak_rss(pid)
    cpu0 = cpu_seconds(pid)
    yield
    cpu1 = cpu_seconds(pid)
    for r in result_box:
        r.cpu_s = cpu1 - cpu0
        r.rss_mb = peak_rss_mb(pid)


# ---- cases ----------------------------------------------------------------------------------------------


def create_topic(bootstrap: str, partitions: int) -> tuple[str, float]:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    t0 = time.monotonic()
    admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=120)[name].result(180)
    elapsed = time.monotonic() - t0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # leaders known to clients before the clock of a case starts
        md = admin.list_topics(name, timeout=10)
        t = md.topics.get(name)
        if t is not None and t.error is None and len(t.partitions) == partitions and all(p.leader >= 0 for p in t.partitions.values()):
            break
        time.sleep(0.1)
    return name, elapsed


def produce_name(size: int, acks: str, comp: str, parts: int, producers: int) -> str:
    return f"{size} B acks={acks} {comp} {parts}p {producers}prod"


def run_cases(system: str, bootstrap: str, pid: int, m: Matrix, max_rate: float | None, log: Callable[[str], None]) -> list[Result]:
    results: list[Result] = []

    def case(r: Result, fn: Callable[[Result], None]) -> None:
        box = [r]
        log(f"[{system}] {r.group}: {r.case}")
        try:
            with accounted(pid, box):
                fn(r)
        except Exception as exc:  # one failing case is reported, the run goes on
            r.extra["error"] = f"{type(exc).__name__}: {exc}"[:300]
            log(f"[{system}]   failed: {r.extra['error']}")
        results.append(r)

    # produce, librdkafka; topics kept for the consume cases
    written: dict[tuple[int, int], tuple[str, int]] = {}
    for size, acks, comp, parts, producers in m.produce_cases:
        n = m.records_100 if size == 100 else m.records_1k
        topic, _ = create_topic(bootstrap, parts)

        def go(
            r: Result,
            topic: str = topic,
            n: int = n,
            size: int = size,
            acks: str = acks,
            comp: str = comp,
            parts: int = parts,
            producers: int = producers,
        ) -> None:
            t = rdkafka_load.produce(bootstrap, topic, n, size, acks, comp, parts, producers)
            r.records_per_s, r.mb_per_s, r.seconds = t.records_per_s, t.mb_per_s, t.seconds
            if comp == "none" and acks == "1":
                written.setdefault((size, parts), (topic, t.records))

        case(Result(system, "produce", produce_name(size, acks, comp, parts, producers)), go)

    for size, parts, consumers in m.consume_cases:
        source = written.get((size, parts))
        if source is None:
            topic, _ = create_topic(bootstrap, parts)
            n = m.records_100 if size == 100 else m.records_1k
            rdkafka_load.produce(bootstrap, topic, n, size, "1", "none", parts, 1)
            source = (topic, n)
        topic, n = source

        def go(r: Result, topic: str = topic, n: int = n, parts: int = parts, consumers: int = consumers) -> None:
            t = rdkafka_load.consume(bootstrap, topic, parts, n, consumers)
            r.records_per_s, r.mb_per_s, r.seconds = t.records_per_s, t.mb_per_s, t.seconds
            r.extra["records"] = t.records
            if t.records < n:
                r.extra["error"] = f"read {t.records} of {n}"

        case(Result(system, "consume", f"{size} B {parts}p {consumers}cons"), go)

    for size, acks_values in m.java:
        n = m.java_records if size == 100 else m.java_records // 4
        topic, _ = create_topic(bootstrap, 1)
        for acks in acks_values:

            def go(r: Result, topic: str = topic, n: int = n, size: int = size, acks: str = acks) -> None:
                out = java_perf.producer_case(bootstrap, topic, n, size, acks)
                r.records_per_s, r.mb_per_s, r.p99_ms = out["rps"], out["mbs"], out["p99"]

            case(Result(system, "java", f"perf-test produce {size} B acks={acks}"), go)

        def go_consume(r: Result, topic: str = topic, n: int = n * len(acks_values)) -> None:
            out = java_perf.consumer_case(bootstrap, topic, n)
            r.records_per_s, r.mb_per_s = out["rps"], out["mbs"]

        case(Result(system, "java", f"perf-test consume {size} B"), go_consume)

    if m.big_partitions:
        parts = m.big_partitions
        box: dict[str, Any] = {}

        def go_create(r: Result) -> None:
            box["topic"], r.seconds = create_topic(bootstrap, parts)

        case(Result(system, "partitions", f"create a topic of {parts} partitions"), go_create)

        def go_metadata(r: Result) -> None:
            from confluent_kafka.admin import AdminClient

            admin = AdminClient({"bootstrap.servers": bootstrap})
            admin.list_topics(box["topic"], timeout=30)
            t0 = time.monotonic()
            rounds = 20
            for _ in range(rounds):
                admin.list_topics(box["topic"], timeout=30)
            r.seconds = (time.monotonic() - t0) / rounds

        case(Result(system, "partitions", f"metadata of {parts} partitions (one request)"), go_metadata)

        def go_fetch(r: Result) -> None:
            rdkafka_load.produce(bootstrap, box["topic"], parts * 10, 100, "1", "none", parts, 1)
            # fetch.wait.max.ms=10: librdkafka adds partitions to its one in-flight fetch only between fetches
            t = rdkafka_load.consume(bootstrap, box["topic"], parts, parts * 10, 1, wait_ms=10)
            r.seconds, r.records_per_s, r.mb_per_s = t.seconds, t.records_per_s, t.mb_per_s
            if t.records < parts * 10:
                r.extra["error"] = f"read {t.records} of {parts * 10}"

        case(Result(system, "partitions", f"consume 10 records from each of {parts} partitions"), go_fetch)
    return results


# ---- systems --------------------------------------------------------------------------------------------


def run_kafka(m: Matrix, log: Callable[[str], None]) -> tuple[list[Result], float | None, dict[str, Any]]:
    kafka = ApacheKafka(overrides=dict(SETTINGS))
    try:
        kafka.start()
        pid = kafka.pid()
        assert pid is not None
        idle_rss = peak_rss_mb(pid)
        # the latency rates derive from Kafka's max: measured once Kafka is warm (its JIT compiled the
        # produce path), not as the first thing after start
        topic, _ = create_topic(kafka.bootstrap, 1)
        rdkafka_load.produce(kafka.bootstrap, topic, m.records_1k, 1024, "1", "none", 1, 1)
        probe = rdkafka_load.produce(kafka.bootstrap, topic, m.records_1k, 1024, "1", "none", 1, 1)
        max_rate = probe.records_per_s
        log(f"[kafka] librdkafka max rate, 1 KiB acks=1 one producer: {max_rate:,.0f} records/s")
        results = run_cases("kafka", kafka.bootstrap, pid, m, max_rate, log)
        return results, max_rate, {"idle_rss_mb": idle_rss}
    finally:
        kafka.close()


def run_strom(m: Matrix, max_rate: float | None, log: Callable[[str], None]) -> tuple[list[Result], dict[str, Any]]:
    with BrokerProcess(overrides=dict(SETTINGS)) as strom:
        assert strom.proc is not None
        pid = strom.proc.pid
        time.sleep(0.5)
        idle_rss = peak_rss_mb(pid)
        return run_cases("strom", strom.bootstrap, pid, m, max_rate, log), {"idle_rss_mb": idle_rss}


# ---- end-to-end latency: both brokers up, interleaved ------------------------------------------------


def cpu_split(mode: str) -> tuple[set[int], set[int]] | None:
    """--pin on: brokers on the first CPU, load generators on the others (None: no pinning)."""
    cpus = sorted(os.sched_getaffinity(0))
    if mode == "off" or len(cpus) < 2:
        return None
    return {cpus[0]}, set(cpus[1:])


@contextmanager
def affinity(cpus: set[int] | None) -> Iterator[None]:
    """Processes started inside run on these CPUs: children inherit the affinity, the JVM's threads too."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def run_latency(systems: list[str], m: Matrix, max_rate: float | None, pin: str, log: Callable[[str], None]) -> list[Result]:
    """The latency cases with both brokers running, the systems alternating run by run, round after round.

    A p99 over a few seconds turns on any stall of ~1 % of that time, and on a shared machine other
    processes come and go within minutes: alternating puts both systems under the same load, and the
    median of the rounds drops the one round a neighbour spoiled. The idle broker waits in epoll (Strom)
    or runs its few timers (Kafka)."""
    rate_base = max_rate or FALLBACK_MAX_RATE
    split = cpu_split(pin)
    runs: dict[tuple[str, float], list[dict[str, Any]]] = {}
    with ExitStack() as stack:
        brokers: dict[str, tuple[str, int]] = {}
        with affinity(split[0] if split else None):
            if "kafka" in systems:
                kafka = ApacheKafka(overrides=dict(SETTINGS))
                stack.callback(kafka.close)
                kafka.start()
                kpid = kafka.pid()
                assert kpid is not None
                brokers["kafka"] = (kafka.bootstrap, kpid)
            if "strom" in systems:
                strom = stack.enter_context(BrokerProcess(overrides=dict(SETTINGS)))
                assert strom.proc is not None
                brokers["strom"] = (strom.bootstrap, strom.proc.pid)
        with affinity(split[1] if split else None):
            for bootstrap, _ in brokers.values():  # warm-up, not counted: Kafka's JIT, both systems' first topic
                topic, _ = create_topic(bootstrap, 1)
                rdkafka_load.end_to_end(bootstrap, topic, max(int(rate_base * 0.5), 100), min(m.latency_seconds, 2.0), 1024)
            for round_no in range(m.latency_rounds):
                order = list(brokers) if round_no % 2 == 0 else list(reversed(brokers))
                for fraction in m.latency_rates:
                    rate = max(int(rate_base * fraction), 100)
                    for system in order:
                        bootstrap, pid = brokers[system]
                        log(f"[{system}] latency round {round_no + 1}/{m.latency_rounds}: {rate:,}/s")
                        topic, _ = create_topic(bootstrap, 1)
                        reset_peak_rss(pid)
                        cpu0, wait0 = cpu_seconds(pid), run_queue_seconds(pid)
                        run: dict[str, Any] = {"rate": rate, "loadavg": round(os.getloadavg()[0], 1)}
                        try:
                            lat = rdkafka_load.end_to_end(bootstrap, topic, rate, m.latency_seconds, 1024)
                            run.update(p50=lat.p50_ms, p99=lat.p99_ms, p999=lat.p999_ms, achieved=lat.achieved, samples=lat.samples)
                        except Exception as exc:  # one failing run is reported, the others still count
                            run["error"] = f"{type(exc).__name__}: {exc}"[:300]
                            log(f"[{system}]   failed: {run['error']}")
                        run.update(cpu_s=cpu_seconds(pid) - cpu0, runq_s=run_queue_seconds(pid) - wait0, rss_mb=peak_rss_mb(pid))
                        runs.setdefault((system, fraction), []).append(run)
    results = []
    for (system, fraction), rs in runs.items():
        rate = rs[0]["rate"]
        r = Result(system, "latency", f"1 KiB at {int(fraction * 100)}% of Kafka's max ({rate:,}/s)")
        good = [x for x in rs if "error" not in x]
        if good:
            r.p50_ms, r.p99_ms, r.p999_ms = (statistics.median(x[k] for x in good) for k in ("p50", "p99", "p999"))
            r.records_per_s = statistics.median(x["achieved"] for x in good)
            r.cpu_s = statistics.median(x["cpu_s"] for x in good)
            r.rss_mb = max(x["rss_mb"] for x in good)
        else:
            r.extra["error"] = rs[0]["error"]
        r.extra.update(rate=rate, fraction=fraction, pinned=split is not None, rounds=rs)
        results.append(r)
    return results


def machine_state() -> dict[str, Any]:
    import confluent_kafka

    def cmd(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    top = cmd("ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers").splitlines()[:6]
    java = cmd("java", "-version") or subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores": os.cpu_count(),
        "cpu": next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?"
        ),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "disk": cmd("df", "-h", "--output=source,fstype,size,avail", "/tmp").replace("\n", " | "),
        "os": platform.platform(),
        "python": platform.python_version(),
        "librdkafka": confluent_kafka.libversion()[0],
        "confluent_kafka": confluent_kafka.version()[0],
        "kafka": KAFKA_VERSION,
        "java": java.strip(),
        "loadavg": os.getloadavg(),
        "top": top,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matrix", choices=sorted(MATRICES), default="quick")
    parser.add_argument("--systems", default="kafka,strom", help="comma-separated: kafka, strom (Kafka first when both)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--json", default=None, help="also write raw results here")
    parser.add_argument("--no-write", action="store_true", help="print the tables only (CI smoke)")
    parser.add_argument(
        "--latency-base",
        type=float,
        default=None,
        help="records/s the latency rates are fractions of (default: Kafka's max measured in this run, which "
        "falls with the machine's load; pass a quiet run's value to keep the rates comparable between runs)",
    )
    parser.add_argument(
        "--pin",
        choices=("on", "off"),
        default="off",
        help="latency cases: brokers on the first CPU, load generators on the others (on); all share every CPU "
        "(off, the default: on a shared machine, pinning tripled the brokers' run-queue waits)",
    )
    args = parser.parse_args()
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - {"kafka", "strom"}
    if unknown:
        print(f"harness: unknown system(s) {', '.join(sorted(unknown))}; use kafka, strom", file=sys.stderr)
        return 2
    m = MATRICES[args.matrix]

    def log(msg: str) -> None:
        print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)

    before = machine_state()
    results: list[Result] = []
    info: dict[str, Any] = {"matrix": args.matrix, "settings": SETTINGS, "machine_before": before}
    max_rate = None
    if "kafka" in systems:
        kr, max_rate, kinfo = run_kafka(m, log)
        results += kr
        info["kafka"] = kinfo
    info["kafka_max_rate"] = max_rate
    if "strom" in systems:
        sr, sinfo = run_strom(m, max_rate, log)
        results += sr
        info["strom"] = sinfo
    if m.latency_rates:
        split = cpu_split(args.pin)
        info["latency_cpus"] = {"brokers": sorted(split[0]), "generators": sorted(split[1])} if split else None
        info["latency_rounds"] = m.latency_rounds
        info["latency_base_rate"] = args.latency_base or max_rate
        results += run_latency(systems, m, args.latency_base or max_rate, args.pin, log)
    info["machine_after"] = {"loadavg": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    import report

    text = report.render(results, info, m)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"info": info, "results": [asdict(r) for r in results]}, indent=1, default=str))
    if not args.no_write:
        plots = report.plot(results, info, Path(args.out).parent / "perf")
        report.write(Path(args.out), text, plots)
    failed = [r for r in results if "error" in r.extra]
    return 1 if failed and len(failed) == len(results) else 0


if __name__ == "__main__":
    sys.exit(main())
