"""Apache Kafka's Java consumer (3.9) in classic groups on Strom with each of its client-side assignors -- range,
round-robin, cooperative-sticky: a group grows to two, then three members on a 6-partition topic, and after
each join every partition is owned by exactly one member and the split is even (bench/RebalanceBench.java,
which also times the joins for docs/PERFORMANCE.md; the KIP-848 Java consumer is in test_groups_consumer_protocol)."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.apache_kafka import java_command
from strom.testing.broker import BrokerProcess

pytestmark = pytest.mark.java

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "RebalanceBench.java"


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides={"group.consumer.heartbeat.interval.ms": "500"}).start()
    yield b
    b.close()


@pytest.mark.parametrize("mode", ["eager", "roundrobin", "cooperative"])
def test_java_group_of_three_splits_six_partitions(broker: BrokerProcess, kafka_tool: Any, mode: str) -> None:
    topic = f"java-assign-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 6, 1)])[topic].result(10)
    cmd = java_command(str(HARNESS), [broker.bootstrap, topic, "6", "3", mode])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    steps = [int(m.group(2)) for m in re.finditer(r"^step (\d+) (\d+)$", proc.stdout, re.M)]
    assert proc.returncode == 0 and len(steps) == 3, proc.stdout[-800:] + proc.stderr[-2000:]
