"""The web console in a real browser against a Strom broker: headless Chromium clicks through every page
(overview, topics, topic detail and configs, message browser and producer, consumer groups, lag, offset resets)
and checks what each shows. The same walk runs against Apache Kafka in test_console_kafka.py (slow)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from strom.testing.broker import BrokerProcess
from tests.integration.console_walk import chromium, console_process, seed, walk_everything


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess(overrides={"broker.id": "1"}) as b:
        yield b


def test_console_pages_against_strom(broker: BrokerProcess) -> None:
    seed(broker.bootstrap)
    with console_process(broker.bootstrap) as url, chromium() as driver:
        walk_everything(driver, url, broker.bootstrap, [1])
