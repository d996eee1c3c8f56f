"""The web console in a real browser against a Strom broker: headless Chromium clicks through every page
(overview, topics, topic detail and configs, message browser and producer, consumer groups, lag, offset resets)
and checks what each shows. The same walk runs against Apache Kafka in test_console_kafka.py (slow)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from strom.testing.broker import BrokerProcess, free_port
from tests.integration.console_walk import chromium, console_process, seed, walk_everything


@pytest.fixture(scope="module")
def broker() -> Iterator[tuple[BrokerProcess, str]]:
    metrics = f"http://127.0.0.1:{free_port()}"
    overrides = {
        "broker.id": "1",
        "metrics.prometheus.listener": metrics,
        "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
        "allow.everyone.if.no.acl.found": "true",
    }
    with BrokerProcess(overrides=overrides) as b:
        yield b, metrics + "/metrics"


def test_console_pages_against_strom(broker: tuple[BrokerProcess, str]) -> None:
    """With the broker's /metrics URL, so the throughput chart draws its Prometheus counters, and an authorizer, so
    the ACL page has ACLs to show."""
    b, metrics_url = broker
    with ThreadPoolExecutor(1) as pool:
        seeded = pool.submit(seed, b.bootstrap)  # while the console and Chromium start
        with console_process(b.bootstrap, (metrics_url,)) as url, chromium() as driver:
            seeded.result(60)
            walk_everything(driver, url, b.bootstrap, [1], metrics=True)
