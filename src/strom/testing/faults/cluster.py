"""A ZooKeeper-mode cluster for fault runs: ZooKeeper and each broker in its own network namespace (see
`netns`), so links between any two of them, or between one of them and the clients, can be cut.

Processes are started with `ip netns exec`, which enters the namespace and then execs the command: the pid the
test holds is the server's own, so SIGSTOP / SIGCONT / kill -9 reach the server itself.
"""

from __future__ import annotations

import os
import signal
import socket
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from strom.testing.broker import BrokerProcess
from strom.testing.faults.clock import jump
from strom.testing.faults.delay_proxy import DelayProxy
from strom.testing.faults.netns import Network, Node
from strom.testing.process import ServerProcess
from strom.testing.zookeeper import ZooKeeperProcess, zookeeper_classpath

ZK_PORT = 2181
BROKER_PORT = 9092
REPLICATION_PORT = 9093  # the inter-broker listener, when it runs through the delay proxy
PROXY_PORT = 19090  # + broker id: the proxy's port for each broker's inter-broker listener


class NetnsZooKeeper(ZooKeeperProcess):
    def __init__(self, node: Node, data_dir: Path | None = None) -> None:
        super().__init__(data_dir, port=ZK_PORT)
        self.node = node

    @property
    def connect(self) -> str:
        return f"{self.node.ip}:{self.port}"

    def _serving(self) -> bool:
        try:
            with socket.create_connection((self.node.ip, self.port), timeout=1.0) as s:
                s.sendall(b"srvr")
                return b"Mode:" in s.recv(4096)
        except OSError:
            return False

    def start(self, timeout: float = 30.0) -> NetnsZooKeeper:
        cfg = self._write_config()
        cfg.write_text(cfg.read_text().replace("clientPortAddress=127.0.0.1", f"clientPortAddress={self.node.ip}"))
        args = ["java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", zookeeper_classpath()]
        args += ["org.apache.zookeeper.server.quorum.QuorumPeerMain", str(cfg)]
        self._launch([*self.node.exec_prefix(), *args], self._serving, timeout, 0.1)
        return self


class NetnsBroker(BrokerProcess):
    """A Strom broker listening on its namespace's address; `module` lets a test start another entry point
    with the same arguments (the clock-jump broker)."""

    def __init__(self, node: Node, overrides: dict[str, str], module: str = "strom.broker.main", env: dict[str, str] | None = None) -> None:
        super().__init__(port=BROKER_PORT, overrides={"listeners": f"PLAINTEXT://{node.ip}:{BROKER_PORT}", **overrides})
        self.node = node
        self.module = module
        self.extra_env = env or {}

    @property
    def bootstrap(self) -> str:
        return f"{self.node.ip}:{self.port}"

    def _launch(self, args: Sequence[str], ready: Any, timeout: float, poll_interval: float, env: Any = None) -> None:
        args = list(args)
        if self.module != "strom.broker.main":
            args[args.index("strom.broker.main")] = self.module
        super()._launch([*self.node.exec_prefix(), *args], ready, timeout, poll_interval, {**(env or {}), **self.extra_env})

    def pause(self) -> None:
        """SIGSTOP: the process stops dead (no socket closes, no ZooKeeper session close), as in a long GC
        pause or a VM freeze."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process is killed all the same, but reaped sooner
        super().kill()


class NetnsKafka(NetnsBroker):
    """Apache Kafka (ZooKeeper mode: 2.8 is the reference release) in a namespace, as the same kind of node,
    so a fault run can be made against it beside Strom."""

    name = "Apache Kafka"
    stop_timeout = 30.0

    def __init__(self, node: Node, overrides: dict[str, str], version: str = "2.8.1") -> None:
        super().__init__(node, overrides)
        self.version = version

    def _listening(self) -> bool:
        try:
            with socket.create_connection((self.node.ip, self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 90.0) -> NetnsKafka:
        from strom.testing.apache_kafka import java_command

        cfg = self.base / "server.properties"
        self.base.mkdir(parents=True, exist_ok=True)
        cfg.write_text("".join(f"{k}={v}\n" for k, v in self.overrides.items()))
        args = [*self.node.exec_prefix(), *java_command("kafka.Kafka", [str(cfg)], self.version, "384m")]
        ServerProcess._launch(self, args, self._listening, timeout, 0.2, dict(os.environ))
        return self


class NetnsCluster:
    """ZooKeeper (node "zk") and `size` brokers (nodes "b0".. with broker.id 0..) on one Network."""

    def __init__(
        self,
        size: int = 3,
        overrides: dict[str, str] | None = None,
        jumping_clocks: bool = False,
        kafka: str | None = None,
        delay_proxy: bool = False,
    ) -> None:
        """`jumping_clocks`: every broker runs on strom.testing.faults.clock, its wall clock moved by
        `jump_clock(broker_id, ms)`. `kafka`: a version of Apache Kafka to run instead of Strom.
        `delay_proxy`: inter-broker traffic crosses `self.proxy` (node "px"), which delays it on demand."""
        self.net = Network()
        self.proxy: DelayProxy | None = None
        try:
            self.zk = NetnsZooKeeper(self.net.add_node("zk", 10))
            if delay_proxy:
                routes = {PROXY_PORT + i: (f"{self.net.subnet}.{20 + i}", REPLICATION_PORT) for i in range(size)}
                self.proxy = DelayProxy(self.net.add_node("px", 5), routes)
            self.brokers: dict[int, NetnsBroker] = {}
            for broker_id in range(size):
                node = self.net.add_node(f"b{broker_id}", 20 + broker_id)
                env = {}
                if jumping_clocks:
                    env = {
                        "STROM_BROKER_MODULE": "strom.testing.faults.clock",
                        "STROM_CLOCK_OFFSET_FILE": str(self._offset_file(broker_id)),
                    }
                broker_overrides = {
                    "broker.id": str(broker_id),
                    "zookeeper.connect": f"{self.zk.connect}/strom",
                    "zookeeper.session.timeout.ms": "6000",
                    "replica.lag.time.max.ms": "10000",
                    "offsets.topic.replication.factor": str(min(3, size)),
                    "transaction.state.log.replication.factor": str(min(3, size)),
                    "transaction.state.log.min.isr": str(min(2, size)),
                    "default.replication.factor": str(min(3, size)),
                    "min.insync.replicas": str(min(2, size)),
                    **(self._replication_listener(node, broker_id) if self.proxy else {}),
                    **(overrides or {}),
                }
                if kafka is not None:
                    self.brokers[broker_id] = NetnsKafka(node, broker_overrides, kafka)
                else:
                    module = env.pop("STROM_BROKER_MODULE", "strom.broker.main")
                    self.brokers[broker_id] = NetnsBroker(node, broker_overrides, module=module, env=env)
        except BaseException:
            self.net.close()
            raise

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values())

    def _replication_listener(self, node: Node, broker_id: int) -> dict[str, str]:
        """A second listener for inter-broker traffic, advertised at the proxy's port for this broker."""
        assert self.proxy is not None
        return {
            "listeners": f"PLAINTEXT://{node.ip}:{BROKER_PORT},REPLICATION://{node.ip}:{REPLICATION_PORT}",
            "advertised.listeners": f"PLAINTEXT://{node.ip}:{BROKER_PORT},REPLICATION://{self.proxy.node.ip}:{PROXY_PORT + broker_id}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,REPLICATION:PLAINTEXT",
            "inter.broker.listener.name": "REPLICATION",
        }

    def _offset_file(self, broker_id: int) -> Path:
        return Path(tempfile.gettempdir()) / f"strom-clock-{self.net.k}-{broker_id}"

    def jump_clock(self, broker_id: int, total_offset_ms: int) -> None:
        """Sets broker `broker_id`'s wall clock to the real time plus `total_offset_ms` (within 50 ms)."""
        jump(self._offset_file(broker_id), total_offset_ms)

    def node_of(self, broker_id: int) -> str:
        return f"b{broker_id}"

    def start(self, timeout: float = 60.0) -> NetnsCluster:
        """ZooKeeper, then the brokers side by side (each waits on its own ready file). A cluster that fails
        to start stops what did start and removes its namespaces (nobody else holds it to close)."""
        try:
            self.zk.start()
            if self.proxy is not None:
                self.proxy.start()
            with ThreadPoolExecutor(len(self.brokers)) as pool:
                for started in [pool.submit(b.start, timeout) for b in self.brokers.values()]:
                    started.result()
        except BaseException:
            self.close()
            raise
        return self

    def zk_client(self, session_timeout_ms: int = 10000) -> Any:
        from strom.cluster.zookeeper import ZkClient

        client = ZkClient(f"{self.zk.connect}/strom", session_timeout_ms)
        client.start()
        return client

    def broker_dirs(self) -> list[tuple[str, Path]]:
        return [(f"broker-{i}", b.base) for i, b in self.brokers.items()] + [("zookeeper", self.zk.base)]

    def close(self) -> None:
        for b in self.brokers.values():
            b.kill()
        self.zk.kill()
        for b in self.brokers.values():
            b.close()
        self.zk.close()
        if self.proxy is not None:
            self.proxy.close()
        time.sleep(0.1)
        for broker_id in self.brokers:
            self._offset_file(broker_id).unlink(missing_ok=True)
        self.net.close()
