"""exactly_once_v2 under failure: three word-count processes share the tasks; one is killed with kill -9 mid-stream
and restarted, then another is killed while its transaction is open. Read with read_committed, every word's counts
are exactly 1, 2, ..., n in order: nothing lost, nothing counted twice. Against Strom and against Apache Kafka."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.testing.apache_kafka import ApacheKafka
from strom.testing.broker import BrokerProcess

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
VOCABULARY = [f"w{i:02d}" for i in range(40)]
LINES = 3000


@contextmanager
def _broker(kind: str) -> Iterator[Any]:
    if kind == "strom":
        with BrokerProcess() as b:
            yield b
        return
    kafka = ApacheKafka().start()
    try:
        yield kafka
    finally:
        kafka.close()


class App:
    def __init__(self, bootstrap: str, state_dir: Path, log: Path) -> None:
        self.args = [sys.executable, "-m", "tests.integration.streams.eos_word_count_app", bootstrap, str(state_dir), "lines", "counts"]
        self.log = log
        self.proc: subprocess.Popen[str] | None = None
        self._err: Any = None

    def start(self) -> None:
        self._err = open(self.log, "a", encoding="utf-8")
        self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=subprocess.PIPE, stderr=self._err, text=True)

    def _release(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._err is not None:
            self._err.close()
            self._err = None

    def wait_running(self, timeout: float = 90) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline() if self.proc and self.proc.stdout else ""))
        reader.start()
        reader.join(max(deadline - time.monotonic(), 0))
        assert box and box[0].strip() == "RUNNING", f"the app did not reach RUNNING; see {self.log}"

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._release()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._release()


@pytest.mark.parametrize("kind", ["strom", "apache-kafka"])
def test_exactly_once_word_count_survives_kill_9(kind: str, tmp_path: Path) -> None:
    with _broker(kind) as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("lines", 3, 1), NewTopic("counts", 3, 1)]).values():
            f.result(30)
        admin.close()
        apps = [App(broker.bootstrap, tmp_path / f"state-{i}", tmp_path / f"app-{i}.log") for i in range(3)]
        rng = random.Random(16)
        lines = [" ".join(rng.choice(VOCABULARY) for _ in range(5)) for _ in range(LINES)]
        expected = Counter(w for line in lines for w in line.split())
        try:
            for app in apps:
                app.start()
            for app in apps:
                app.wait_running()
            producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True, "linger.ms": 5})

            def produce(chunk: list[str]) -> None:
                for i, line in enumerate(chunk):
                    producer.produce("lines", line.encode())
                    if i % 50 == 49:
                        producer.poll(0)
                        time.sleep(0.05)
                producer.flush(60)

            third = LINES // 3
            produce(lines[:third])
            apps[0].kill9()  # mid-stream: the others take its tasks, restore, continue
            apps[0].start()
            produce(lines[third : 2 * third])
            time.sleep(0.3)
            apps[1].kill9()  # commit.interval.ms is 100: its transaction is open
            apps[1].start()
            produce(lines[2 * third :])
            producer.close()
            seen: dict[str, list[int]] = {}
            consumer = Consumer(
                {
                    "bootstrap.servers": broker.bootstrap,
                    "group.id": "check",
                    "auto.offset.reset": "earliest",
                    "isolation.level": "read_committed",
                }
            )
            consumer.subscribe(["counts"])
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is not None and msg.error() is None:
                    seen.setdefault(msg.key().decode(), []).append(int.from_bytes(msg.value(), "big", signed=True))
                if {w: v[-1] for w, v in seen.items()} == dict(expected):
                    break
            consumer.close()
            logs = "".join(a.log.read_text() for a in apps)
            (REPO / "logs").mkdir(exist_ok=True)
            (REPO / "logs" / f"streams-eos-kill-{kind}.log").write_text(logs)
            assert {w: v[-1] for w, v in seen.items() if v} == dict(expected), logs[-5000:]
            for word, values in seen.items():
                assert values == list(range(1, expected[word] + 1)), f"{word}: {values[:20]}..."
        finally:
            for app in apps:
                app.stop()
