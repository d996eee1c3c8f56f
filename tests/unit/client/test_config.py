"""Client configuration: Kafka keys, Java defaults, errors that name the key."""

from __future__ import annotations

import logging

import pytest

from strom.client import librdkafka_config
from strom.client.config import ConfigError, resolve

BASE = {"bootstrap.servers": "localhost:9092"}


def test_java_client_defaults() -> None:
    p = resolve("producer", BASE)
    assert p["acks"] == "all"
    assert p["enable.idempotence"] is True
    assert p["batch.size"] == 16384
    assert p["max.in.flight.requests.per.connection"] == 5
    assert p["delivery.timeout.ms"] == 120000
    c = resolve("consumer", BASE)
    assert c["enable.auto.commit"] is True
    assert c["auto.offset.reset"] == "latest"
    assert c["session.timeout.ms"] == 45000
    assert c["partition.assignment.strategy"] == ["range", "cooperative-sticky"]
    assert c["isolation.level"] == "read_uncommitted"


def test_unknown_key_is_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"unknown producer configuration 'linger\.msec' \(did you mean 'linger\.ms'\?\)"):
        resolve("producer", {**BASE, "linger.msec": 5})


def test_consumer_key_given_to_a_producer_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    # as librdkafka (and Java, which warns of a supplied config it does not know): not an error
    librdkafka_config._warned.discard("producer:group.id")
    with caplog.at_level(logging.WARNING, logger="strom.client.config"):
        out = resolve("producer", {**BASE, "group.id": "g"})
    assert "group.id" not in out
    assert [r.getMessage() for r in caplog.records] == ["configuration 'group.id' is a consumer property and has no effect on a producer"]


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("linger.ms", "soon", "must be an integer"),
        ("linger.ms", True, "must be an integer"),
        ("linger.ms", -1, "at least 0"),
        ("enable.idempotence", "yes", "true or false"),
        ("acks", "2", "one of all, 0, 1"),
        ("compression.type", "brotli", "one of none, gzip"),
        ("on_delivery", 5, "must be callable"),
    ],
)
def test_wrong_types_name_the_key(key: str, value: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=f"'{key}'.*{needle}"):
        resolve("producer", {**BASE, key: value})


def test_properties_file_strings_are_accepted() -> None:
    p = resolve("producer", {**BASE, "linger.ms": "20", "enable.idempotence": "false", "acks": "-1"})
    assert p["linger.ms"] == 20 and p["enable.idempotence"] is False and p["acks"] == "all"
    c = resolve("consumer", {**BASE, "auto.offset.reset": "smallest", "partition.assignment.strategy": "roundrobin,range"})
    assert c["auto.offset.reset"] == "earliest"
    assert c["partition.assignment.strategy"] == ["roundrobin", "range"]


def test_java_assignor_class_names() -> None:
    c = resolve("consumer", {**BASE, "partition.assignment.strategy": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"})
    assert c["partition.assignment.strategy"] == ["cooperative-sticky"]
    with pytest.raises(ConfigError, match="unknown assignor 'sticky'"):
        resolve("consumer", {**BASE, "partition.assignment.strategy": "sticky"})


def test_idempotence_yields_to_explicit_acks_unless_explicit() -> None:
    assert resolve("producer", {**BASE, "acks": "1"})["enable.idempotence"] is False
    with pytest.raises(ConfigError, match="'enable.idempotence' needs acks must be all"):
        resolve("producer", {**BASE, "acks": "1", "enable.idempotence": True})


def test_bootstrap_servers_is_required() -> None:
    with pytest.raises(ConfigError, match="'bootstrap.servers' is required"):
        resolve("admin", {})
    with pytest.raises(ConfigError, match="must be a dict"):
        resolve("admin", "localhost:9092")  # type: ignore[arg-type]


def test_heartbeat_must_be_below_session_timeout() -> None:
    with pytest.raises(ConfigError, match="heartbeat.interval.ms"):
        resolve("consumer", {**BASE, "session.timeout.ms": 3000, "heartbeat.interval.ms": 3000})


def test_public_classes_validate_before_starting_threads() -> None:
    import threading

    import strom

    before = threading.active_count()
    for cls in (strom.Producer, strom.Consumer, strom.AdminClient):
        with pytest.raises(ConfigError):
            cls({**BASE, "no.such.key": 1})
    assert threading.active_count() == before
