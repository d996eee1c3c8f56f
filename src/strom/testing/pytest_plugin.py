"""Strom's pytest plugin: a real Kafka broker in any Python test suite. `pip install strom` registers it (the
`pytest11` entry point); nothing to configure.

Fixtures:
- `kafka_broker` (session): one broker on a free loopback port. `kafka_broker.bootstrap_servers` is what a
  client needs; `kafka_broker.create_topic()` makes a topic with a unique name (tests sharing the broker do
  not see each other's records).
- `kafka_topic`: a fresh single-partition topic on `kafka_broker` for one test.
- `kafka_broker_factory`: `kafka_broker_factory(**overrides)` starts a broker with broker configs (dots as
  underscores: `auto_create_topics_enable="false"`), stopped after the test.
- `kafka_cluster` (session): three brokers and ZooKeeper (Debian's or any `zookeeper` the system has), as
  Kafka 2.8 runs; `kafka_cluster.brokers[i]` can be stopped and started.

Brokers run inside the test process by default (`--kafka-broker-mode=inprocess`): no interpreter to start and
Strom imported once, so a broker is up in tens of milliseconds once the first import is paid (measurements in
docs/TESTING.md). `--kafka-broker-mode=subprocess` runs each broker as its own process instead: what a test
that kills a broker (`kill -9`) needs, and what keeps a broker's CPU off the test process's GIL.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import pytest

from strom.testing.broker import BrokerProcess

if TYPE_CHECKING:  # imported when a broker starts: loading the plugin must not import the broker
    from strom.testing.embedded import EmbeddedBroker
    from strom.testing.zookeeper import ZooKeeperProcess

MODES = ("inprocess", "subprocess")
_TOPIC_CHARS = re.compile(r"[^a-zA-Z0-9._-]")
EmbeddedOrProcess: TypeAlias = "BrokerProcess | EmbeddedBroker"


class KafkaBroker:
    """A running broker: where clients connect, and topics with names no other test uses. stop() and start()
    again restart it on the same port and log dirs."""

    def __init__(self, server: EmbeddedOrProcess, mode: str) -> None:
        self.server = server
        self.mode = mode
        self._names = itertools.count()

    @property
    def bootstrap_servers(self) -> str:
        return self.server.bootstrap

    @property
    def port(self) -> int:
        return self.server.port

    def unique_topic_name(self, prefix: str = "topic") -> str:
        return f"{_TOPIC_CHARS.sub('-', prefix)[:100]}-{next(self._names)}-{uuid.uuid4().hex[:8]}"

    def create_topic(self, name: str | None = None, partitions: int = 1, replication_factor: int = 1, **configs: str) -> str:
        """Creates a topic (a unique name unless `name` is given) and returns its name once every broker knows
        it. Topic configs as keyword arguments, dots as underscores: `cleanup_policy="compact"`."""
        from strom.admin import AdminClient, NewTopic

        topic = name or self.unique_topic_name()
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        try:
            new = NewTopic(topic, partitions, replication_factor, config={k.replace("_", "."): v for k, v in configs.items()})
            admin.create_topics([new])[topic].result(30)
        finally:
            admin.close()
        return topic

    def stop(self) -> None:
        """A clean shutdown (SIGTERM for a broker process)."""
        self.server.stop()

    def start(self) -> KafkaBroker:
        self.server.start()
        return self

    def close(self) -> None:
        """Stopped for good."""
        self.server.close()


def start_broker(mode: str, overrides: dict[str, str] | None = None, log_dir: Path | None = None) -> KafkaBroker:
    """One broker in `mode` (inprocess | subprocess), started."""
    if mode not in MODES:
        raise pytest.UsageError(f"--kafka-broker-mode must be one of {', '.join(MODES)}, not {mode!r}")
    server: EmbeddedOrProcess
    if mode == "subprocess":
        server = BrokerProcess(log_dir, overrides=overrides)
    else:
        from strom.testing.embedded import EmbeddedBroker

        server = EmbeddedBroker(overrides, log_dir)
    return KafkaBroker(server, mode).start()


def _config_overrides(overrides: dict[str, object]) -> dict[str, str]:
    return {k.replace("_", "."): str(v).lower() if isinstance(v, bool) else str(v) for k, v in overrides.items()}


# ---- pytest hooks and fixtures --------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("strom", "Strom Kafka broker fixtures")
    group.addoption(
        "--kafka-broker-mode",
        choices=MODES,
        default=None,
        help="run the kafka_broker fixtures' brokers in the test process (inprocess, the default) or as processes (subprocess)",
    )
    parser.addini(
        "kafka_broker_mode", "inprocess (default) or subprocess: where the kafka_broker fixtures run brokers", default="inprocess"
    )


def _mode(config: pytest.Config) -> str:
    return str(config.getoption("--kafka-broker-mode") or config.getini("kafka_broker_mode"))


@pytest.fixture(scope="session")
def kafka_broker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """One Strom broker for the whole session, on a free port."""
    broker = start_broker(_mode(request.config), log_dir=tmp_path_factory.mktemp("kafka-broker"))
    yield broker
    broker.close()


@pytest.fixture
def kafka_topic(kafka_broker: KafkaBroker, request: pytest.FixtureRequest) -> str:
    """A new single-partition topic on `kafka_broker`, named after the test."""
    return kafka_broker.create_topic(kafka_broker.unique_topic_name(request.node.name))


@pytest.fixture
def kafka_broker_factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., KafkaBroker]]:
    """Starts brokers with broker configs as keyword arguments (dots as underscores); each stops after the test."""
    made: list[KafkaBroker] = []

    def make(**overrides: object) -> KafkaBroker:
        broker = start_broker(_mode(request.config), _config_overrides(overrides), tmp_path_factory.mktemp("kafka-broker"))
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.close()


class KafkaCluster:
    """Three brokers (ids 0, 1, 2) in ZooKeeper mode, sharing one ZooKeeper."""

    def __init__(self, zookeeper: ZooKeeperProcess, connect: str, brokers: list[KafkaBroker]) -> None:
        self.zookeeper = zookeeper
        self.zookeeper_connect = connect
        self.brokers = brokers

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(b.bootstrap_servers for b in self.brokers)

    def create_topic(self, name: str | None = None, partitions: int = 1, replication_factor: int = 3, **configs: str) -> str:
        return self.brokers[0].create_topic(name, partitions, replication_factor, **configs)


@pytest.fixture(scope="session")
def kafka_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """Three Strom brokers and a ZooKeeper, as a Kafka 2.8 cluster. Needs ZooKeeper installed (Debian:
    `apt-get install zookeeper`); without it the test fails and says so."""
    from strom.testing.zookeeper import ZooKeeperNotInstalled, ZooKeeperProcess

    try:
        zk = ZooKeeperProcess(tmp_path_factory.mktemp("zookeeper")).start()
    except ZooKeeperNotInstalled as exc:
        pytest.fail(f"kafka_cluster needs ZooKeeper: {exc}", pytrace=False)
    connect = f"{zk.connect}/strom-{int(time.time() * 1000)}"
    brokers: list[KafkaBroker] = []
    try:
        for broker_id in range(3):
            overrides = {
                "broker.id": str(broker_id),
                "zookeeper.connect": connect,
                "offsets.topic.replication.factor": "3",
                "transaction.state.log.replication.factor": "3",
                "default.replication.factor": "3",
                "min.insync.replicas": "2",
            }
            brokers.append(start_broker(_mode(request.config), overrides, tmp_path_factory.mktemp(f"kafka-broker-{broker_id}")))
        yield KafkaCluster(zk, connect, brokers)
    finally:
        for broker in brokers:
            broker.close()
        zk.close()
