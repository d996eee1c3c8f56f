"""confluent-kafka's API, to the letter: the same confluent-style code runs with `confluent_kafka` and with
`strom` as the module (against one Strom broker), and both must behave alike."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import confluent_kafka
import pytest

import strom
import strom.admin
from strom.testing.broker import BrokerProcess
from tests.integration.client_peers import make_topic

CLIENTS = [pytest.param(confluent_kafka, id="confluent_kafka"), pytest.param(strom, id="strom")]


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    broker = BrokerProcess(overrides={"group.min.session.timeout.ms": "1000"}).start()
    yield broker.bootstrap
    broker.close()


def _produce(bootstrap: str, topic: str, n: int, partition: int = 0) -> None:
    p = strom.Producer({"bootstrap.servers": bootstrap})
    for i in range(n):
        p.produce(topic, f"v{i}".encode(), partition=partition)
    assert p.flush(30) == 0
    p.close()


def _consumer(ck: ModuleType, bootstrap: str, **conf: Any) -> Any:
    return ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            **conf,
        }
    )


@pytest.mark.parametrize("ck", CLIENTS)
def test_commit_with_nothing_new_to_commit_raises_no_offset(ck: ModuleType, bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "noofs")
    _produce(bootstrap, topic, 3)
    c = _consumer(ck, bootstrap, **{"enable.auto.commit": False})
    c.subscribe([topic])
    got = _poll_values(c, 3)
    assert got == [b"v0", b"v1", b"v2"]
    assert [(tp.partition, tp.offset) for tp in c.commit(asynchronous=False)] == [(0, 3)]
    with pytest.raises(ck.KafkaException) as raised:
        c.commit(asynchronous=False)
    assert raised.value.args[0].code() == ck.KafkaError._NO_OFFSET
    c.close()


def _poll_values(c: Any, n: int, timeout: float = 30) -> list[bytes]:
    out: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            out.append(m.value())
    return out
