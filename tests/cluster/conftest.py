"""Cluster fixtures: Debian's ZooKeeper plus Strom brokers in ZooKeeper mode, each test in its own chroot."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from strom.testing.broker import BrokerProcess
from strom.testing.zookeeper import ZooKeeperProcess, zookeeper  # noqa: F401 - fixture

_chroots = itertools.count()


class Cluster:
    """Brokers sharing one ZooKeeper chroot; brokers[i] has broker.id i."""

    def __init__(self, zk: ZooKeeperProcess, size: int, overrides: dict[str, str]) -> None:
        self.zk = zk
        self.connect = f"{zk.connect}/strom-test-{next(_chroots)}-{int(time.time() * 1000)}"
        self.brokers: dict[int, BrokerProcess] = {}
        self._zk_clients: list[Any] = []
        for broker_id in range(size):
            self.brokers[broker_id] = BrokerProcess(
                overrides={
                    "broker.id": str(broker_id),
                    "zookeeper.connect": self.connect,
                    "zookeeper.session.timeout.ms": "4000",
                    "offsets.topic.replication.factor": str(min(3, size)),
                    "default.replication.factor": "1",
                    **overrides,
                }
            )

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values() if b.proc is not None and b.proc.poll() is None)

    def start(self) -> Cluster:
        for b in self.brokers.values():
            b.start()
        return self

    def close(self) -> None:
        for client in self._zk_clients:
            client.close()  # a kazoo client left running would retry (and draw from `random`) forever
        for b in self.brokers.values():
            b.kill()
        for b in self.brokers.values():
            b.close()

    def zk_client(self) -> Any:
        from strom.cluster.zookeeper import ZkClient

        client = ZkClient(self.connect, 10000)
        client.start()
        self._zk_clients.append(client)
        return client


@pytest.fixture
def cluster_factory(zookeeper: ZooKeeperProcess) -> Iterator[Callable[..., Cluster]]:  # noqa: F811
    made: list[Cluster] = []

    def make(size: int = 3, **overrides: str) -> Cluster:
        cluster = Cluster(zookeeper, size, {k.replace("_", "."): v for k, v in overrides.items()})
        made.append(cluster)
        return cluster.start()

    yield make
    for c in made:
        c.close()


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")
