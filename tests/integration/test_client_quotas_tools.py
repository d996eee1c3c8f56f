"""kafka-configs.sh --entity-type users|clients: Strom's tool, and Apache Kafka's own tool against Strom and
against Apache Kafka 3.9 (the same lines)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from strom.testing.broker import BrokerProcess

ALTERS = [
    ["--add-config", "producer_byte_rate=1048576,consumer_byte_rate=2097152", "--entity-type", "users", "--entity-name", "alice"],
    ["--add-config", "request_percentage=50", "--entity-type", "clients", "--entity-default"],
    [
        "--add-config",
        "producer_byte_rate=10485760",
        "--entity-type",
        "users",
        "--entity-name",
        "alice",
        "--entity-type",
        "clients",
        "--entity-name",
        "c1",
    ],
    ["--delete-config", "consumer_byte_rate", "--entity-type", "users", "--entity-name", "alice"],
]
DESCRIBES = [
    ["--entity-type", "users", "--entity-name", "alice"],
    ["--entity-type", "clients"],
    ["--entity-type", "users", "--entity-type", "clients"],
]
EXPECTED = [  # what Apache Kafka 3.9's kafka-configs.sh prints for DESCRIBES after ALTERS
    "Quota configs for user-principal 'alice' are producer_byte_rate=1048576.0\n",
    "Quota configs for the default client-id are request_percentage=50.0\n",
    "Quota configs for user-principal 'alice', client-id 'c1' are producer_byte_rate=1.048576E7\n",
]


def strom_tool(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "strom.cli.kafka_configs", "--bootstrap-server", bootstrap, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_strom_kafka_configs_quotas(strom_broker: BrokerProcess) -> None:
    for args in ALTERS:
        done = strom_tool(strom_broker.bootstrap, "--alter", *args)
        assert done.returncode == 0, done.stderr
    assert (
        strom_tool(strom_broker.bootstrap, "--alter", *ALTERS[1]).stdout
        == "Completed updating default config for clients in the cluster.\n"
    )
    assert [strom_tool(strom_broker.bootstrap, "--describe", *args).stdout for args in DESCRIBES] == EXPECTED
    bad = strom_tool(strom_broker.bootstrap, "--alter", "--add-config", "bogus=1", "--entity-type", "clients", "--entity-name", "c1")
    assert bad.returncode == 1
    assert "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: Set(bogus)" in bad.stderr
    frac = strom_tool(
        strom_broker.bootstrap, "--alter", "--add-config", "producer_byte_rate=1.5", "--entity-type", "clients", "--entity-name", "c1"
    )
    assert frac.returncode == 1 and "InvalidRequestException: Configuration producer_byte_rate must be a LONG value" in frac.stderr


def _java_lines(kafka_tool, bootstrap: str) -> list[str]:
    for args in ALTERS:
        done = kafka_tool("kafka-configs.sh", ["--bootstrap-server", bootstrap, "--alter", *args])
        assert done.returncode == 0, done.stderr[-2000:]
    return [kafka_tool("kafka-configs.sh", ["--bootstrap-server", bootstrap, "--describe", *args]).stdout for args in DESCRIBES]


@pytest.mark.java
@pytest.mark.slow
def test_kafkas_tool_same_lines_against_strom_and_kafka(kafka_tool, apache_kafka) -> None:
    with BrokerProcess() as strom:
        assert _java_lines(kafka_tool, strom.bootstrap) == _java_lines(kafka_tool, apache_kafka.bootstrap) == EXPECTED
