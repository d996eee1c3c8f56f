"""Apache Kafka 3.9 in ZooKeeper mode on loopback, shaped as tests/cluster/conftest.Cluster (brokers[i] has
broker.id i, `overrides` per broker, one ZooKeeper chroot), so a fault run can be made against it beside
Strom's brokers."""

from __future__ import annotations

import itertools
import socket
import time
from typing import Any

from strom.testing.apache_kafka import KAFKA_VERSION, java_command
from strom.testing.broker import free_port
from strom.testing.process import ServerProcess
from strom.testing.zookeeper import ZooKeeperProcess

_chroots = itertools.count()


class KafkaZkBroker(ServerProcess):
    name = "Apache Kafka"
    stop_timeout = 30.0

    def __init__(self, overrides: dict[str, str], version: str = KAFKA_VERSION) -> None:
        super().__init__(None, "kafka-zk-", "kafka.out")
        self.version = version
        self.port = free_port()
        self.overrides = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.base / "data"),
            "group.initial.rebalance.delay.ms": "0",
            "offsets.topic.num.partitions": "5",
            **overrides,
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 120.0) -> KafkaZkBroker:
        cfg = self.base / "server.properties"
        self.base.mkdir(parents=True, exist_ok=True)
        cfg.write_text("".join(f"{k}={v}\n" for k, v in self.overrides.items()))
        self._launch(java_command("kafka.Kafka", [str(cfg)], self.version, "384m"), self._listening, timeout, 0.2)
        return self

    def server_log(self) -> str:
        return self.output()


class KafkaZkCluster:
    """`size` Kafka brokers in ZooKeeper mode sharing one chroot of `zk`."""

    def __init__(self, zk: ZooKeeperProcess, size: int, overrides: dict[str, str]) -> None:
        self.zk = zk
        self.connect = f"{zk.connect}/kafka-test-{next(_chroots)}-{int(time.time() * 1000)}"
        self._zk_clients: list[Any] = []
        self.brokers: dict[int, KafkaZkBroker] = {
            broker_id: KafkaZkBroker(
                {
                    "broker.id": str(broker_id),
                    "zookeeper.connect": self.connect,
                    "zookeeper.connection.timeout.ms": "60000",
                    "offsets.topic.replication.factor": str(min(3, size)),
                    "transaction.state.log.replication.factor": str(min(3, size)),
                    "transaction.state.log.min.isr": str(min(2, size)),
                    **overrides,
                }
            )
            for broker_id in range(size)
        }

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values() if b.proc is not None and b.proc.poll() is None)

    def start(self) -> KafkaZkCluster:
        for b in self.brokers.values():
            b.start()
        return self

    def close(self) -> None:
        for client in self._zk_clients:
            client.close()
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
