"""One Java Kafka Streams 3.9.1 instance and one Strom instance run the same word count with the same
application.id (exactly_once_v2) on a Strom broker: they share the tasks through one group (Kafka Streams' own
subscription and assignment bytes), then one of them is killed with SIGKILL mid-stream and the other takes every
task over; the final counts read with read_committed are exact. Java first (Java leads and assigns to Strom, Java
dies), and Strom first (Strom leads and assigns to Java, Strom dies). Against Kafka Streams 3.9.1 (assignment
protocol version 11) and 2.8.1 (version 9: Strom follows the group down to 9, version probing)."""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.streams.kafka_streams import KafkaStreams
from strom.streams.kstream.builder import StreamsBuilder
from strom.testing.broker import BrokerProcess
from tests.integration.test_streams_dsl_java import JAVA, streams_libs
from tests.unit.streams.dsl_output_programs import CONFIG, PROGRAMS

pytestmark = [pytest.mark.java, pytest.mark.slow]

APP = "mixed-wordcount"
WORDS = [f"w{i}" for i in range(40)]
PARTITIONS = 4


def _produce(bootstrap: str, lines: list[str], start: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for i, line in enumerate(lines):
        p.produce("in", line.encode(), key=str(start + i).encode())
    p.flush(30)
    p.close()


def _final_counts(bootstrap: str, expected: dict[str, int], timeout: float) -> dict[str, int]:
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "checker", "auto.offset.reset": "earliest", "isolation.level": "read_committed"}
    )
    c.subscribe(["out"])
    last: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and last != expected:
        for m in c.consume(500, 0.5):
            if m.error() is None and m.key() is not None:
                last[m.key().decode()] = int(m.value().decode())
    c.close()
    return last


def _java_tasks(proc: subprocess.Popen[str], seen: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line.strip())


def _strom_process(bootstrap: str, state_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.streams.mixed_word_count_app", bootstrap, APP, str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )


JAVA_VERSIONS = {"3.9.1": "exactly_once_v2", "2.8.1": "exactly_once_beta"}


def _java_process(bootstrap: str, state_dir: Path, version: str = "3.9.1") -> subprocess.Popen[str]:
    libs = streams_libs(version)
    cmd = ["java", "-cp", f"{libs}/*", str(JAVA / "MixedWordCount.java"), bootstrap, APP, str(state_dir), JAVA_VERSIONS[version]]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _tasks_of(seen: list[str]) -> set[str]:
    last = [line for line in seen if line.startswith("TASKS ")]
    return set(re.findall(r"\d+_\d+", last[-1])) if last else set()


@pytest.mark.parametrize("version", sorted(JAVA_VERSIONS))
def test_strom_leads_assigns_to_java_and_java_takes_over_after_strom_is_killed(version: str, tmp_path: Path) -> None:
    lines = [" ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(5)) for i in range(4000)]
    expected = collections.Counter(w for line in lines for w in line.split())
    all_tasks = {f"{s}_{p}" for s in (0, 1) for p in range(PARTITIONS)}
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("in", PARTITIONS, 1), NewTopic("out", 1, 1)]).values():
            f.result(30)
        admin.close()
        procs: list[tuple[subprocess.Popen[str], threading.Thread]] = []
        try:
            outputs: dict[str, list[str]] = {"strom": [], "java": []}
            for name in ("strom", "java"):
                proc = (
                    _strom_process(broker.bootstrap, tmp_path / name)
                    if name == "strom"
                    else _java_process(broker.bootstrap, tmp_path / name, version)
                )
                reader = threading.Thread(target=_java_tasks, args=(proc, outputs[name]), daemon=True)
                reader.start()
                procs.append((proc, reader))
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and "STATE RUNNING" not in outputs[name]:
                    time.sleep(0.2)
                assert "STATE RUNNING" in outputs[name], outputs
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                strom, java = _tasks_of(outputs["strom"]), _tasks_of(outputs["java"])
                if strom and java and strom | java == all_tasks and not strom & java:
                    break
                time.sleep(0.2)
            shared = (_tasks_of(outputs["strom"]), _tasks_of(outputs["java"]))
            assert shared[0] and shared[1] and shared[0] | shared[1] == all_tasks and not shared[0] & shared[1], shared
            print(f"shared: strom {sorted(shared[0])}, java {sorted(shared[1])}")
            _produce(broker.bootstrap, lines[:2000], 0)
            time.sleep(3)
            procs[0][0].kill()  # SIGKILL: Strom dies with transactions open
            procs[0][0].wait(30)
            _produce(broker.bootstrap, lines[2000:], 2000)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and _tasks_of(outputs["java"]) != all_tasks:
                time.sleep(0.5)
            assert _tasks_of(outputs["java"]) == all_tasks
            assert _final_counts(broker.bootstrap, dict(expected), 180) == dict(expected)
        finally:
            for proc, reader in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(30)
                reader.join(10)
                if proc.stdout is not None:
                    proc.stdout.close()


@pytest.mark.parametrize("version", sorted(JAVA_VERSIONS))
def test_java_leads_assigns_to_strom_and_strom_takes_over_after_java_is_killed(version: str, tmp_path: Path) -> None:
    rng_lines = [" ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(5)) for i in range(4000)]
    expected = collections.Counter(w for line in rng_lines for w in line.split())
    with BrokerProcess() as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("in", PARTITIONS, 1), NewTopic("out", 1, 1)]).values():
            f.result(30)
        admin.close()
        java = _java_process(broker.bootstrap, tmp_path / "java", version)
        seen: list[str] = []
        reader = threading.Thread(target=_java_tasks, args=(java, seen), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and "STATE RUNNING" not in seen:
                time.sleep(0.2)
            assert "STATE RUNNING" in seen, seen
            b = StreamsBuilder()
            PROGRAMS["wordcount"](b)
            config = {
                **CONFIG,
                "application.id": APP,
                "bootstrap.servers": broker.bootstrap,
                "state.dir": str(tmp_path / "strom"),
                "processing.guarantee": "exactly_once_v2",
                "commit.interval.ms": 200,
                "consumer.session.timeout.ms": 10000,
            }
            with KafkaStreams(b.build(), config) as streams:
                streams.start()

                def strom_tasks() -> set[str]:
                    return {str(t) for th in streams.threads for t in th.task_manager.active}

                def java_tasks() -> set[str]:
                    last = [line for line in seen if line.startswith("TASKS ")]
                    return set(re.findall(r"\d+_\d+", last[-1])) if last else set()

                all_tasks = {f"{s}_{p}" for s in (0, 1) for p in range(PARTITIONS)}
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and not (strom_tasks() and java_tasks() and strom_tasks() | java_tasks() == all_tasks):
                    time.sleep(0.2)
                shared = (strom_tasks(), java_tasks())
                assert shared[0] and shared[1] and not shared[0] & shared[1] and shared[0] | shared[1] == all_tasks, shared
                print(f"shared: strom {sorted(shared[0])}, java {sorted(shared[1])}")
                # the group speaks the oldest member's protocol version: 9 with Kafka Streams 2.8, 11 with 3.x
                assert {th.assignor.used_version for th in streams.threads} == {9 if version == "2.8.1" else 11}
                _produce(broker.bootstrap, rng_lines[:2000], 0)
                time.sleep(3)  # both are processing now; some of Java's transactions are open when it dies
                java.kill()
                java.wait(30)
                _produce(broker.bootstrap, rng_lines[2000:], 2000)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and strom_tasks() != all_tasks:
                    time.sleep(0.5)
                assert strom_tasks() == all_tasks
                counts = _final_counts(broker.bootstrap, dict(expected), 180)
            assert counts == dict(expected)
        finally:
            if java.poll() is None:
                java.kill()
                java.wait(30)
            reader.join(10)
            if java.stdout is not None:
                java.stdout.close()
