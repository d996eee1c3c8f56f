"""Strom's pytest plugin as a user gets it (`pip install strom`, the pytest11 entry point), and `python -m strom`.

The sample project in tests/plugin_sample/ uses only the plugin's fixtures, with confluent-kafka, kafka-python
and Strom's client; it runs here as its own pytest session in its own directory (not under this suite's
conftest), so it sees only what an installed Strom gives it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from confluent_kafka import Producer

from strom.testing.broker import free_port

SAMPLE = Path(__file__).parents[1] / "plugin_sample"
TIMEOUT = 240


def test_sample_project_passes_with_only_the_plugin() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"], cwd=SAMPLE, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\b6 passed\b", run.stdout), run.stdout[-2000:]


def test_python_m_strom_is_a_development_broker() -> None:
    port, metrics_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "strom", "--host", "127.0.0.1", "--port", str(port), "--metrics-port", str(metrics_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        match = re.search(r"data in (.*), removed at exit", banner)
        assert f"127.0.0.1:{port}" in banner and match, banner
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "the broker did not start"
                time.sleep(0.05)
        producer = Producer({"bootstrap.servers": f"127.0.0.1:{port}"})
        producer.produce("dev", b"hello")
        assert producer.flush(30) == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30) as resp:
            assert 'kafka_server_brokertopicmetrics_messagesin_total{topic="dev"} 1.0' in resp.read().decode()
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(60) == 0
        assert not Path(match.group(1)).exists()  # the temporary data went with it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
