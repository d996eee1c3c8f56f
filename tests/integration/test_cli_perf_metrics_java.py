"""--print-metrics of Strom's perf tools against Apache Kafka 3.9's own ProducerPerformance/ConsumerPerformance,
both run against the same Strom broker: every metric Strom's tools print is one Kafka's tools print, with the
same group, name and tags."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest

from strom.testing.apache_kafka import run_kafka_tool
from strom.testing.broker import BrokerProcess

pytestmark = [pytest.mark.java, pytest.mark.slow, pytest.mark.timeout(600)]
BIN = Path(__file__).resolve().parents[2] / "bin"
LINE = re.compile(r"^(\S+:\S+:\{.*\})\s+: ")


def names(stdout: str) -> set[str]:
    return {m.group(1) for line in stdout.splitlines() if (m := LINE.match(line))}


def strom_tool(script: str, *args: str) -> str:
    out = subprocess.run([str(BIN / script), *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def java_tool(tool: str, *args: str) -> str:
    out = run_kafka_tool(tool, list(args), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_print_metrics_names_are_kafkas(strom_broker: BrokerProcess) -> None:
    topic = f"perf-java-{uuid.uuid4().hex[:6]}"
    produce = ["--topic", topic, "--num-records", "1000", "--record-size", "100", "--throughput", "-1", "--print-metrics"]
    props = ["--producer-props", f"bootstrap.servers={strom_broker.bootstrap}"]
    ours = names(strom_tool("kafka-producer-perf-test.sh", *produce, *props))
    theirs = names(java_tool("kafka-producer-perf-test.sh", *produce, *props))
    assert len(ours) >= 15
    assert ours <= theirs, f"printed by Strom's tool only: {sorted(ours - theirs)}"

    consume = ["--bootstrap-server", strom_broker.bootstrap, "--topic", topic, "--messages", "1000", "--print-metrics"]
    ours = names(strom_tool("kafka-consumer-perf-test.sh", *consume))
    theirs = names(java_tool("kafka-consumer-perf-test.sh", *consume))
    assert len(ours) == 8
    assert ours <= theirs, f"printed by Strom's tool only: {sorted(ours - theirs)}"
