"""Kafka's quickstart Connect step through bin/connect-standalone.sh, with the repo's config files: the worker
file with the quickstart's `plugin.path=libs/connect-file-<version>.jar` line (only the broker address and the
REST port changed, as the test's broker is not on 9092), the connector files unchanged, run from a directory
holding test.txt as the quickstart's repo root does."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from strom import Consumer
from strom.testing.broker import BrokerProcess, free_port

pytestmark = pytest.mark.slow  # the first run installs the connect extra into .venv

ROOT = Path(__file__).resolve().parents[2]


def test_connect_quickstart_verbatim(strom_broker: BrokerProcess, tmp_path: Path) -> None:
    worker = (ROOT / "config" / "connect-standalone.properties").read_text()
    worker = worker.replace("localhost:9092", strom_broker.bootstrap).replace("/tmp/connect.offsets", str(tmp_path / "connect.offsets"))
    worker += f"listeners=http://127.0.0.1:{free_port()}\nplugin.path=libs/connect-file-3.9.1.jar\n"
    (tmp_path / "connect-standalone.properties").write_text(worker)
    (tmp_path / "test.txt").write_text("foo\nbar\n")
    proc = subprocess.Popen(
        [
            str(ROOT / "bin" / "connect-standalone.sh"),
            str(tmp_path / "connect-standalone.properties"),
            str(ROOT / "config" / "connect-file-source.properties"),
            str(ROOT / "config" / "connect-file-sink.properties"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sink = tmp_path / "test.sink.txt"
        deadline = time.monotonic() + 300  # includes installing the connect extra on a fresh .venv
        while time.monotonic() < deadline and not (sink.exists() and sink.read_text() == "foo\nbar\n"):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.2)
        assert sink.read_text() == "foo\nbar\n"
        with (tmp_path / "test.txt").open("a") as f:
            f.write("Another line\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sink.read_text() != "foo\nbar\nAnother line\n":
            time.sleep(0.2)
        assert sink.read_text() == "foo\nbar\nAnother line\n"
        consumer = Consumer({"bootstrap.servers": strom_broker.bootstrap, "group.id": "quickstart-check", "auto.offset.reset": "earliest"})
        consumer.subscribe(["connect-test"])
        values = []
        deadline = time.monotonic() + 30
        while len(values) < 3 and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(json.loads(msg.value()))
        consumer.close()
        assert values[0] == {"schema": {"type": "string", "optional": False}, "payload": "foo"}
        assert [v["payload"] for v in values] == ["foo", "bar", "Another line"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "Kafka Connect stopped" in out
    offsets = json.loads((tmp_path / "connect.offsets").read_text())
    assert offsets == {'["local-file-source",{"filename":"test.txt"}]': '{"position":21}'}
