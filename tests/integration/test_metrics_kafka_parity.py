"""Strom's metric names against Apache Kafka 3.9's: Kafka runs with the Prometheus JMX exporter's Java agent (from
Maven Central) and its generic Kafka rules (data/kafka-jmx-exporter.yml); both brokers get the same produce and
consume, and every kafka_* family Strom serves for a Kafka MBean must be served by Kafka under the same name
with the same label names."""

from __future__ import annotations

import os
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from strom.testing.apache_kafka import CACHE, ApacheKafka
from strom.testing.broker import BrokerProcess, free_port

pytestmark = [pytest.mark.java, pytest.mark.slow, pytest.mark.timeout(600)]
AGENT_VERSION = "1.0.1"
RULES = Path(__file__).parent / "data" / "kafka-jmx-exporter.yml"
# Strom's families that are not a Kafka broker MBean: kafka-exporter's lag and offsets (computed by that
# exporter from the outside).
NOT_KAFKA_MBEANS = ("kafka_consumergroup_", "kafka_topic_partition_")


def jmx_exporter_agent() -> Path:
    home = CACHE / "jmx-exporter"
    jar = home / f"jmx_prometheus_javaagent-{AGENT_VERSION}.jar"
    if not jar.exists():
        home.mkdir(parents=True, exist_ok=True)
        (home / "pom.xml").write_text(
            '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
            "<groupId>strom</groupId><artifactId>jmx-exporter</artifactId><version>1</version></project>"
        )
        artifact = f"io.prometheus.jmx:jmx_prometheus_javaagent:{AGENT_VERSION}"
        proc = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={home}"],
            cwd=home,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0 and jar.exists(), f"Maven could not fetch {artifact}: {proc.stderr[-1500:]}"
    return jar


def families(url: str) -> dict[str, set[frozenset[str]]]:
    """family name -> the label-name sets of its samples (quantile aside)."""
    with urllib.request.urlopen(url, timeout=60) as resp:
        text = resp.read().decode()
    out: dict[str, set[frozenset[str]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, set()).add(frozenset(k for k in s.labels if k != "quantile"))
    return out


def exercise(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(60)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(100):
        producer.produce(topic, str(i).encode())
    assert producer.flush(60) == 0
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"parity-{topic}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = 0
    while got < 100:
        msg = consumer.poll(30)
        assert msg is not None
        got += msg.error() is None
    consumer.commit(asynchronous=False)
    consumer.close()


@pytest.fixture(scope="module")
def kafka_with_exporter() -> Iterator[str]:
    port = free_port()
    saved = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = f"-javaagent:{jmx_exporter_agent()}=127.0.0.1:{port}:{RULES}"
    try:
        kafka = ApacheKafka().start()
    finally:
        if saved is None:
            os.environ.pop("JAVA_TOOL_OPTIONS", None)
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = saved
    try:
        exercise(kafka.bootstrap, f"parity-{uuid.uuid4().hex[:6]}")
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        kafka.close()


def test_strom_serves_kafkas_names_and_labels(kafka_with_exporter: str) -> None:
    port = free_port()
    with BrokerProcess(overrides={"metrics.prometheus.listener": f"http://127.0.0.1:{port}"}) as strom:
        exercise(strom.bootstrap, f"parity-{uuid.uuid4().hex[:6]}")
        ours = families(f"http://127.0.0.1:{port}/metrics")
    theirs = families(kafka_with_exporter)
    checked = {n: labels for n, labels in ours.items() if n.startswith("kafka_") and not n.startswith(NOT_KAFKA_MBEANS)}
    assert len(checked) >= 40
    missing = sorted(n for n in checked if n not in theirs)
    assert not missing, f"served by Strom, not by Kafka + JMX exporter: {missing}"
    differing = {n: (sorted(map(sorted, ls)), sorted(map(sorted, theirs[n]))) for n, ls in checked.items() if not ls <= theirs[n]}
    assert not differing, f"label names differ (Strom, Kafka): {differing}"
