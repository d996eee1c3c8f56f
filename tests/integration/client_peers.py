"""Shared set-up for the client tests that run against a Strom broker AND Apache Kafka 3.9: which broker serves a
module, a recording proxy in front of it, and topics that are fully created before a test uses them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import strom
from strom import NewTopic
from strom.testing.broker import BrokerProcess
from strom.testing.kafka_proxy import KafkaProxy

#: params for a module-scoped `bootstrap` fixture: every test runs on Strom, and on Kafka where Java is present
PEERS = ["strom", pytest.param("kafka", marks=pytest.mark.java)]


def serve(request: pytest.FixtureRequest, overrides: dict[str, str] | None = None) -> Iterator[str]:
    """The bootstrap address of the broker `request.param` names, stopped after the module."""
    if request.param == "kafka":
        yield request.getfixturevalue("apache_kafka").bootstrap
        return
    broker = BrokerProcess(overrides=overrides).start()
    yield broker.bootstrap
    broker.close()


def proxied(bootstrap: str) -> Iterator[KafkaProxy]:
    """A recording proxy in front of `bootstrap`, closed afterwards."""
    host, port = bootstrap.rsplit(":", 1)
    proxy = KafkaProxy(host, int(port)).start()
    yield proxy
    proxy.close()


def wait_for(cond: Callable[[], Any], timeout: float = 20.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(step)


def make_topic(bootstrap: str, partitions: int, prefix: str) -> str:
    """A new topic, returned once its metadata lists every partition (Kafka answers CreateTopics earlier)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(20)
    wait_for(lambda: len(getattr(admin.list_topics(name).topics.get(name), "partitions", {})) == partitions)
    admin.close()
    return name
