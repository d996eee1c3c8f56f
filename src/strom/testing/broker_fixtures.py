"""Pytest fixtures that start Strom brokers as real processes on free ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from strom.testing.broker import BrokerProcess


@pytest.fixture(scope="module")
def strom_broker() -> Iterator[BrokerProcess]:
    """One broker shared by a test module (tests use their own topic names)."""
    broker = BrokerProcess().start()
    yield broker
    broker.close()


@pytest.fixture
def strom_broker_factory() -> Iterator[Callable[..., BrokerProcess]]:
    """Brokers with custom overrides, stopped after the test."""
    made: list[BrokerProcess] = []

    def make(**overrides: str) -> BrokerProcess:
        broker = BrokerProcess(overrides={k.replace("_", "."): v for k, v in overrides.items()})
        made.append(broker)
        return broker.start()

    yield make
    for broker in made:
        broker.close()
