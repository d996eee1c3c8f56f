"""The console's browser walk (console_walk.py) against Apache Kafka 3.9 (KRaft): the console works on any Kafka
cluster because it only speaks the Kafka protocol through Strom's client."""

from __future__ import annotations

import pytest

from strom.testing.apache_kafka import ApacheKafka
from tests.integration.console_walk import chromium, console_process, seed, walk_everything

pytestmark = [pytest.mark.slow, pytest.mark.java]


def test_console_pages_against_apache_kafka() -> None:
    authorizer = {"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer", "super.users": "User:ANONYMOUS"}
    kafka = ApacheKafka(overrides=authorizer).start()
    try:
        seed(kafka.bootstrap)
        with console_process(kafka.bootstrap) as url, chromium() as driver:
            walk_everything(driver, url, kafka.bootstrap, [1], metrics=False)
    finally:
        kafka.close()
