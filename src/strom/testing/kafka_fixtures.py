"""Pytest fixtures for Apache Kafka (from Maven Central jars) run beside Strom."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from strom.testing.apache_kafka import ApacheKafka, KafkaUnavailable, java_available, kafka_libs, run_kafka_tool


def _require_java() -> None:
    if not java_available():
        pytest.fail("java and mvn are required for tests marked 'java' (Apache Kafka's jars from Maven Central)")


@pytest.fixture(scope="session")
def kafka_tool() -> Callable[..., Any]:
    """Runs an Apache Kafka tool by script name: kafka_tool("kafka-topics.sh", [...])."""
    _require_java()
    try:
        kafka_libs()
    except KafkaUnavailable as exc:
        pytest.fail(str(exc))
    return run_kafka_tool


@pytest.fixture(scope="session")
def apache_kafka() -> Iterator[ApacheKafka]:
    """A single-node KRaft Apache Kafka 3.9 for side-by-side checks."""
    _require_java()
    kafka = ApacheKafka()
    try:
        kafka.start()
    except KafkaUnavailable as exc:
        kafka.close()
        pytest.fail(str(exc))
    yield kafka
    kafka.close()
