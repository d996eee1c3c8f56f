"""Word count on one Strom broker: Strom Streams vs Quix Streams vs Faust (faust-streaming) vs Java Kafka Streams
(WordCountDemo's topology, bench/streams_java/WordCountDemo.java: kafka-streams-examples is not on Maven Central
for 3.9), one system at a time, each with its own application id and output topic.

1. throughput: --lines lines of --words words (a vocabulary of --vocabulary words) wait in streams-plaintext-input
   (4 partitions); the system starts; words/s from its first output record until the output topics hold one
   record per word (every count update is sent: no record cache, as WordCountDemo). Also the wall time including
   start-up, and the process's CPU seconds.
2. latency: then --rate lines/s for --seconds; per output record, the time it is consumed minus its timestamp
   (the input record's CreateTime, which every system keeps); p50/p99 in ms.
3. window (--plans window): --window-records keyed records (--vocabulary keys, timestamps 1 ms apart) wait in
   streams-window-input; a count per key and tumbling 1 s window (no grace), every update sent; records/s from the
   first output record until one output per input record. Strom, Quix Streams (tumbling_window().count().current())
   and Java (bench/streams_java/WindowRestoreDemo.java); Faust's windowed tables are not compared.
4. restore (--plans restore): a count's persistent store "restore-store" whose changelog already holds
   --restore-keys keys (written before the start, as a previous instance would have left it); the time from the
   process's start until the instance is RUNNING (restore included), and its CPU seconds. Strom and Java (Quix
   Streams' changelogs have their own topic names and record format).

    python bench/streams_bench.py [--lines 20000] [--systems strom,quix,faust,java] [--peer-python /venv/bin/python]
        [--plans wordcount,window,restore] [--out docs/PERFORMANCE.md]

Quix Streams and Faust run under --peer-python (a virtualenv with quixstreams==3.28.1 and faust-streaming==0.15.3:
Quix Streams pins confluent-kafka < 2.13, so it cannot share Strom's test environment).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.client.types import TopicPartition
from strom.testing.apache_kafka import CACHE, KAFKA_VERSION, KafkaUnavailable, _exclusive, _maven, _tail
from strom.testing.broker import BrokerProcess

ROOT = Path(__file__).resolve().parents[1]
INPUT = "streams-plaintext-input"
PARTITIONS = 4
JAVA_OUTPUT = "streams-wordcount-output"
WINDOW_INPUT = "streams-window-input"
RESTORE_INPUT = "streams-restore-input"
WINDOW_SYSTEMS = ("strom", "quix", "java")
RESTORE_SYSTEMS = ("strom", "java")
HEADER = "## Streams word count (bench/streams_bench.py)"
NAMES = {
    "strom": "Strom Streams",
    "quix": "Quix Streams 3.28.1",
    "faust": "Faust (faust-streaming 0.15.3)",
    "java": f"Java Kafka Streams {KAFKA_VERSION}",
}

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strom.testing</groupId><artifactId>kafka-streams-dist</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams-test-utils</artifactId><version>{v}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
"""


def streams_libs(version: str = KAFKA_VERSION) -> Path:
    """kafka-streams and its dependencies (RocksDB JNI) from Maven Central, fetched once into the cache."""
    home = CACHE / f"kafka-streams-{version}"
    libs = home / "libs"
    with _exclusive(home):
        if (home / ".complete").exists():
            return libs
        home.mkdir(parents=True, exist_ok=True)
        (home / "pom.xml").write_text(_POM.format(v=version))
        proc = _maven(["dependency:copy-dependencies", f"-DoutputDirectory={libs}"], home)
        if proc.returncode != 0 or not any(libs.glob("kafka-streams-[0-9]*.jar")):
            raise KafkaUnavailable(f"Maven could not fetch kafka-streams {version}: {_tail(proc)}")
        (home / ".complete").write_text("ok\n")
        return libs


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    system: str
    words: int = 0
    words_per_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    latency_samples: int = 0
    fed_words: int = 0  # words the latency phase added to the input (the next system counts them too)
    error: str = ""
    notes: list[str] = field(default_factory=list)


class Outputs:
    """End offsets of one output topic, summed (one record per counted word)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-watch-{topic}"})

    def total(self) -> int:
        return sum(self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1] for p in range(PARTITIONS))

    def close(self) -> None:
        self.consumer.close()


def produce(bootstrap: str, lines: list[str], rate: float | None = None) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    start = time.monotonic()
    for i, line in enumerate(lines):
        p.produce(INPUT, line.encode())
        if rate is not None:
            due = start + (i + 1) / rate
            pause = due - time.monotonic()
            if pause > 0:
                p.poll(0)
                time.sleep(pause)
        elif i % 10000 == 9999:
            p.poll(0)
    p.flush(120)
    p.close()


def command(system: str, bootstrap: str, app_id: str, output: str, state_dir: str, peer_python: str, plan: str = "wordcount") -> list[str]:
    if plan != "wordcount":
        if system == "java":
            props = Path(state_dir) / "streams.properties"
            props.write_text(f"bootstrap.servers={bootstrap}\napplication.id={app_id}\nstate.dir={state_dir}\n")
            demo = ROOT / "bench" / "streams_java" / "WindowRestoreDemo.java"
            args = [WINDOW_INPUT, output] if plan == "window" else [RESTORE_INPUT]
            return ["java", "-Xmx1g", "-cp", f"{streams_libs()}/*", str(demo), plan, str(props), *args]
        python = sys.executable if system == "strom" else peer_python
        return [python, str(ROOT / "bench" / "streams_apps.py"), f"{system}-{plan}", bootstrap, app_id, output, state_dir]
    if system == "java":
        props = Path(state_dir) / "streams.properties"
        props.write_text(f"bootstrap.servers={bootstrap}\napplication.id={app_id}\nstate.dir={state_dir}\n")
        demo = ROOT / "bench" / "streams_java" / "WordCountDemo.java"
        return ["java", "-Xmx1g", "-cp", f"{streams_libs()}/*", str(demo), str(props)]
    python = sys.executable if system == "strom" else peer_python
    return [python, str(ROOT / "bench" / "streams_apps.py"), system, bootstrap, app_id, output, state_dir]


def latency(bootstrap: str, output: str, lines: list[str], rate: float, expect: int, timeout: float) -> list[float]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-latency-{output}", "enable.auto.commit": False})
    ends = [consumer.get_watermark_offsets(TopicPartition(output, p), timeout=10)[1] for p in range(PARTITIONS)]
    consumer.assign([TopicPartition(output, p, ends[p]) for p in range(PARTITIONS)])
    samples: list[float] = []
    feeder = threading.Thread(target=produce, args=(bootstrap, lines, rate))
    feeder.start()
    deadline = time.monotonic() + timeout
    while len(samples) < expect and time.monotonic() < deadline:
        for msg in consumer.consume(1000, 0.2):
            if msg.error() is None:
                samples.append(time.time() * 1000 - msg.timestamp()[1])
    feeder.join()
    consumer.close()
    return samples


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(int(q * len(s)), len(s) - 1)]


def run_system(system: str, bootstrap: str, args: argparse.Namespace, total_words: int, lat_lines: list[str]) -> Result:
    r = Result(system)
    output = JAVA_OUTPUT if system == "java" else f"{system}-wordcount-output"
    app_id = "streams-wordcount" if system == "java" else f"bench-{system}"
    state_dir = tempfile.mkdtemp(prefix=f"streams-bench-{system}-")
    log = open(Path(state_dir) / "app.log", "w")
    try:
        cmd = command(system, bootstrap, app_id, output, state_dir, args.peer_python)
    except KafkaUnavailable as exc:
        r.error = str(exc)
        return r
    watch = Outputs(bootstrap, output)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first = None
        deadline = t0 + args.timeout
        done = 0
        while time.monotonic() < deadline and proc.poll() is None:
            done = watch.total()
            if done and first is None:
                first = time.monotonic()
            if done >= total_words:
                break
            time.sleep(0.1)
        end = time.monotonic()
        if proc.poll() is not None or not done:
            r.error = f"{done} of {total_words} words counted (exit {proc.poll()}); log: {log.name}"
            return r
        if done < total_words:  # too slow for --timeout: its rate so far, and no latency phase
            r.words, r.wall_s, r.cpu_s = done, end - t0, cpu_seconds(proc.pid)
            r.words_per_s = done / max(end - (first or t0), 1e-3)
            r.notes.append(f"stopped after {args.timeout:.0f} s with {done:,} of {total_words:,} words counted; no latency phase")
            return r
        r.words = total_words
        r.words_per_s = total_words / max(end - (first or t0), 1e-3)
        r.wall_s = end - t0
        r.cpu_s = cpu_seconds(proc.pid)
        expect = sum(len(line.split(" ")) for line in lat_lines)
        r.fed_words = expect
        samples = latency(bootstrap, output, lat_lines, args.rate, expect, args.seconds + 60)
        r.p50_ms, r.p99_ms, r.latency_samples = pct(samples, 0.5), pct(samples, 0.99), len(samples)
        if len(samples) < expect:
            r.notes.append(f"latency: {len(samples)} of {expect} outputs seen")
        return r
    finally:
        watch.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_window(system: str, bootstrap: str, args: argparse.Namespace) -> Result:
    """Plan 3: records/s of the windowed count over the records waiting in streams-window-input."""
    r = Result(system)
    output = f"{system}-window-output"
    state_dir = tempfile.mkdtemp(prefix=f"streams-bench-window-{system}-")
    try:
        cmd = command(system, bootstrap, f"bench-window-{system}", output, state_dir, args.peer_python, "window")
    except KafkaUnavailable as exc:
        r.error = str(exc)
        return r
    watch = Outputs(bootstrap, output)
    with open(Path(state_dir) / "app.log", "w") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            first, done = None, 0
            while time.monotonic() < t0 + args.timeout and proc.poll() is None:
                done = watch.total()
                if done and first is None:
                    first = time.monotonic()
                if done >= args.window_records:
                    break
                time.sleep(0.1)
            end = time.monotonic()
            if not done:
                r.error = f"no output (exit {proc.poll()}); log: {log.name}"
                return r
            r.words, r.wall_s, r.cpu_s = done, end - t0, cpu_seconds(proc.pid)
            r.words_per_s = done / max(end - (first or t0), 1e-3)
            if done < args.window_records:
                r.notes.append(f"window: stopped after {args.timeout:.0f} s with {done:,} of {args.window_records:,} updates")
            return r
        finally:
            watch.close()
            _stop(proc)


def fill_changelog(bootstrap: str, topic: str, keys: int) -> None:
    """The changelog a count over `keys` keys leaves: one record per key (8-byte count), partitioned as Streams does."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, PARTITIONS, 1, config={"cleanup.policy": "compact"})]).values():
        f.result(30)
    admin.close()
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 1 << 20})
    one = (1).to_bytes(8, "big")
    for i in range(keys):
        while True:
            try:
                p.produce(topic, one, f"key{i:07d}".encode())
                break
            except BufferError:
                p.poll(0.05)
    p.flush(300)
    p.close()


def run_restore(system: str, bootstrap: str, args: argparse.Namespace, keys: int) -> Result:
    """Plan 4: seconds from the start until RUNNING with `keys` keys to restore (r.wall_s), CPU seconds."""
    r = Result(system)
    app_id = f"bench-restore-{system}-{keys}"
    fill_changelog(bootstrap, f"{app_id}-restore-store-changelog", keys)
    state_dir = tempfile.mkdtemp(prefix=f"streams-bench-restore-{system}-")
    try:
        cmd = command(system, bootstrap, app_id, "-", state_dir, args.peer_python, "restore")
    except KafkaUnavailable as exc:
        r.error = str(exc)
        return r
    log_path = Path(state_dir) / "app.log"
    with open(log_path, "w") as log:
        start_ms = time.time() * 1000
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + args.timeout
            running = None
            while time.monotonic() < deadline and proc.poll() is None and running is None:
                time.sleep(0.1)
                running = next((line.split()[1] for line in log_path.read_text().splitlines() if line.startswith("RUNNING ")), None)
            if running is None:
                r.error = f"not RUNNING after {args.timeout:.0f} s (exit {proc.poll()}); log: {log.name}"
                return r
            r.words = keys
            r.wall_s = (int(running) - start_ms) / 1000
            r.cpu_s = cpu_seconds(proc.pid)
            lines = log_path.read_text().splitlines()
            starts = [int(line.split()[1]) for line in lines if line.startswith("RESTORE_START ")]
            ends = [int(line.split()[1]) for line in lines if line.startswith("RESTORE_END ")]
            if starts and ends:  # first changelog partition's start to the last one's end
                r.p50_ms = float(max(ends) - min(starts))
            return r
        finally:
            _stop(proc)


def render_window(results: list[Result], args: argparse.Namespace) -> str:
    base = next((r for r in results if r.system == "strom" and not r.error), None)
    rows = [
        "",
        f"### Windowed count: {args.window_records:,} records, a count per key and tumbling 1 s window",
        "",
        f"{args.window_records:,} records ({args.vocabulary} keys, timestamps 1 ms apart) waiting in a {PARTITIONS}-partition topic; "
        "a count per key and 1 s window (no grace), every update sent (no record cache): one output per input record.",
        "",
        "| system | records/s | vs Strom | records per CPU s | wall s (with start-up) | CPU s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.error:
            rows.append(f"| {NAMES[r.system]} | failed: {r.error[:120]} | | | | |")
            continue
        ratio = f"{r.words_per_s / base.words_per_s:.2f}x" if base else ""
        per_cpu = f"{r.words / r.cpu_s:,.0f}" if r.cpu_s else "-"
        rows.append(f"| {NAMES[r.system]} | {r.words_per_s:,.0f} | {ratio} | {per_cpu} | {r.wall_s:.1f} | {r.cpu_s:.1f} |")
    rows += [f"{NAMES[r.system]}: {x}" for r in results for x in r.notes if x.startswith("window")]
    return "\n".join(rows) + "\n"


def render_restore(results: list[Result], baselines: list[Result], args: argparse.Namespace) -> str:
    rows = [
        "",
        f"### Restore: a store of {args.restore_keys:,} keys",
        "",
        f"A count's persistent store whose changelog ({PARTITIONS} partitions) already holds {args.restore_keys:,} keys, no local state: "
        "the time from the process's start until the instance is RUNNING (start-up, group join and the restore of every "
        "record), and the process's CPU seconds then; the same with an empty changelog first, so the difference is the "
        "restore's.",
        "",
        "| system | start to RUNNING s | CPU s | empty changelog: s | CPU s | difference: s | CPU s | restore span s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r, b in zip(results, baselines, strict=True):
        if r.error or b.error:
            rows.append(f"| {NAMES[r.system]} | failed: {(r.error or b.error)[:120]} | | | | | | |")
        else:
            span = f"{r.p50_ms / 1000:.1f}" if r.p50_ms is not None else "-"
            rows.append(
                f"| {NAMES[r.system]} | {r.wall_s:.1f} | {r.cpu_s:.1f} | {b.wall_s:.1f} | {b.cpu_s:.1f} | "
                f"{r.wall_s - b.wall_s:.1f} | {r.cpu_s - b.cpu_s:.1f} | {span} |"
            )
    return "\n".join(rows) + "\n"


def plot(results: list[Result], window_results: list[Result], restore_results: list[Result], path: Path) -> bool:
    """One figure of the run beside the tables (docs/PERFORMANCE.md shows it); False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = [
        ("Word count: words/s (higher is better)", [(r.system, r.words_per_s) for r in results if not r.error]),
        ("Windowed count: records/s (higher is better)", [(r.system, r.words_per_s) for r in window_results if not r.error]),
        ("Restore 1M keys: s to RUNNING (lower is better)", [(r.system, r.wall_s) for r in restore_results if not r.error]),
    ]
    panels = [(title, bars) for title, bars in panels if bars]
    if not panels:
        return False
    colors = {"strom": "#2a9d8f", "quix": "#e9c46a", "faust": "#f4a261", "java": "#6c757d"}
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.2 * len(panels) + 0.5), squeeze=False)
    for ax, (title, bars) in zip(axes[:, 0], panels, strict=True):
        ax.barh([NAMES[s] for s, _ in bars], [v for _, v in bars], color=[colors[s] for s, _ in bars])
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        for y, (_, v) in enumerate(bars):
            ax.text(v, y, f" {v:,.1f}" if v < 100 else f" {v:,.0f}", va="center", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def render(results: list[Result], args: argparse.Namespace) -> str:
    base = next((r for r in results if r.system == "strom" and not r.error), None)
    rows = [
        HEADER,
        "",
        "Word count (WordCountDemo's topology: split, repartition by word, count in a persistent store, every count sent; no record",
        f"cache) on one Strom broker, {args.lines} lines of {args.words} words ({args.lines * args.words} words, a vocabulary of",
        f"{args.vocabulary}) waiting in a {PARTITIONS}-partition topic; one system at a time, one stream thread / one worker each,",
        "at-least-once. Throughput from the first output record to the last; wall time includes start-up. Latency: "
        f"{args.rate:.0f} lines/s for {args.seconds:.0f} s, output record consumed minus its timestamp (the input's CreateTime).",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. `python bench/streams_bench.py "
        f"--lines {args.lines}`.",
        "",
        "| system | words/s | vs Strom | words per CPU s | wall s (with start-up) | CPU s | latency p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.error:
            rows.append(f"| {NAMES[r.system]} | failed: {r.error[:120]} | | | | | | |")
            continue
        ratio = f"{r.words_per_s / base.words_per_s:.2f}x" if base else ""
        p50 = f"{r.p50_ms:.0f}" if r.p50_ms is not None else "-"
        p99 = f"{r.p99_ms:.0f}" if r.p99_ms is not None else "-"
        per_cpu = f"{r.words / r.cpu_s:,.0f}" if r.cpu_s else "-"
        rows.append(f"| {NAMES[r.system]} | {r.words_per_s:,.0f} | {ratio} | {per_cpu} | {r.wall_s:.1f} | {r.cpu_s:.1f} | {p50} | {p99} |")
    notes = [n for r in results for n in (f"{NAMES[r.system]}: {x}" for x in r.notes)]
    if notes:
        rows += ["", *notes]
    return "\n".join(rows) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replaces (or appends) only this bench's section; the rest of the file belongs to others."""
    text = path.read_text() if path.exists() else ""
    start = text.find(f"\n{HEADER}\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + section.rstrip("\n") + "\n\n" + (text[end + 1 :] if end >= 0 else "")
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--words", type=int, default=5, help="words per line")
    parser.add_argument("--vocabulary", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="lines/s in the latency phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency phase")
    parser.add_argument("--systems", default="strom,quix,faust,java")
    parser.add_argument("--peer-python", default=sys.executable, help="the interpreter with quixstreams and faust-streaming")
    parser.add_argument("--timeout", type=float, default=600.0, help="per system, for the throughput phase")
    parser.add_argument("--out", type=Path, default=None, help="update this bench's section of this markdown file")
    parser.add_argument("--plans", default="wordcount,window,restore")
    parser.add_argument("--window-records", type=int, default=200000)
    parser.add_argument("--restore-keys", type=int, default=1000000)
    parser.add_argument("--plot", type=Path, default=None, help="draw the run's figures into this PNG (needs matplotlib)")
    args = parser.parse_args(argv)
    rng = random.Random(1)
    vocab = [f"word{i}" for i in range(args.vocabulary)]
    lines = [" ".join(rng.choice(vocab) for _ in range(args.words)) for _ in range(args.lines)]
    lat_lines = [" ".join(rng.choice(vocab) for _ in range(args.words)) for _ in range(int(args.rate * args.seconds))]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    plans = [p.strip() for p in args.plans.split(",") if p.strip()]
    results: list[Result] = []
    window_results: list[Result] = []
    restore_results: list[Result] = []
    restore_baselines: list[Result] = []
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        topics = [NewTopic(INPUT, PARTITIONS, 1), NewTopic(JAVA_OUTPUT, PARTITIONS, 1)]
        topics += [NewTopic(f"{s}-wordcount-output", PARTITIONS, 1) for s in systems if s != "java"]
        topics += [NewTopic("bench-faust-words", PARTITIONS, 1)] if "faust" in systems else []  # Faust's re-keyed topic
        for f in admin.create_topics(topics).values():
            f.result(30)
        admin.close()
        if "window" in plans:
            window_systems = [s for s in systems if s in WINDOW_SYSTEMS]
            admin = AdminClient({"bootstrap.servers": broker.bootstrap})
            window_topics = [NewTopic(WINDOW_INPUT, PARTITIONS, 1)] + [
                NewTopic(f"{s}-window-output", PARTITIONS, 1) for s in window_systems
            ]
            for f in admin.create_topics(window_topics).values():
                f.result(30)
            admin.close()
            p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})
            for i in range(args.window_records):
                p.produce(WINDOW_INPUT, b"1", vocab[rng.randrange(len(vocab))].encode(), create_time=1_700_000_000_000 + i)
                if i % 10000 == 9999:
                    p.flush(60)
            p.flush(120)
            p.close()
            for system in window_systems:
                print(f"window: running {NAMES[system]} ...", file=sys.stderr, flush=True)
                window_results.append(run_window(system, broker.bootstrap, args))
                print(f"  {window_results[-1]}", file=sys.stderr, flush=True)
        if "restore" in plans:
            admin = AdminClient({"bootstrap.servers": broker.bootstrap})
            for f in admin.create_topics([NewTopic(RESTORE_INPUT, PARTITIONS, 1)]).values():
                f.result(30)
            admin.close()
            for system in [s for s in systems if s in RESTORE_SYSTEMS]:
                print(f"restore: running {NAMES[system]} ...", file=sys.stderr, flush=True)
                restore_baselines.append(run_restore(system, broker.bootstrap, args, 0))
                restore_results.append(run_restore(system, broker.bootstrap, args, args.restore_keys))
                print(f"  {restore_baselines[-1]}\n  {restore_results[-1]}", file=sys.stderr, flush=True)
        produce(broker.bootstrap, lines)
        total = args.lines * args.words
        for system in systems if "wordcount" in plans else []:
            print(f"running {NAMES[system]} ...", file=sys.stderr, flush=True)
            r = run_system(system, broker.bootstrap, args, total, lat_lines)
            total += r.fed_words  # the latency phase's lines stay in the input for the next system
            results.append(r)
            print(f"  {r}", file=sys.stderr, flush=True)
    text = render(results, args) if results else HEADER + "\n"
    if window_results:
        text += render_window(window_results, args)
    if restore_results:
        text += render_restore(restore_results, restore_baselines, args)
    print(text)
    if args.out is not None:
        write_section(args.out, text)
    if args.plot is not None and not plot(results, window_results, restore_results, args.plot):
        print(f"no plot written to {args.plot}: matplotlib is missing or nothing ran", file=sys.stderr)
    return 0 if all(not r.error for r in [*results, *window_results, *restore_results, *restore_baselines]) else 1


if __name__ == "__main__":
    sys.exit(main())
