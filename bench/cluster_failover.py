"""Leader failover time: Strom vs Apache Kafka 2.8.1, same ZooKeeper (Debian's), same client, same settings.

    .venv/bin/python bench/cluster_failover.py [--cycles 10] [--session-timeout-ms 6000] [--systems strom,kafka]

For each system: a 3-broker cluster in its own ZooKeeper chroot, a topic with RF=3, then per cycle the
leader of partition 0 is stopped -- kill -9 (the controller notices when the ZooKeeper session expires)
or SIGTERM (controlled shutdown) -- and we time how long until a surviving broker's Metadata answer
names a new live leader (what a client waits for). The broker is restarted and rejoins the ISR before the
next cycle. Prints p50/p99 per system and mode, and the raw samples as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from strom.testing.apache_kafka import java_command  # noqa: E402
from strom.testing.broker import BrokerProcess, free_port  # noqa: E402
from strom.testing.zookeeper import ZooKeeperProcess  # noqa: E402

TOPIC = "failover"


class KafkaBroker:
    """Apache Kafka 2.8.1 in ZooKeeper mode, as `kafka-server-start.sh server.properties` runs it."""

    def __init__(self, broker_id: int, zk_connect: str, base: Path, overrides: dict[str, str]) -> None:
        self.broker_id = broker_id
        self.port = free_port()
        self.base = base / f"kafka-{broker_id}"
        self.base.mkdir(parents=True, exist_ok=True)
        props = {
            "broker.id": str(broker_id),
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.base / "data"),
            "zookeeper.connect": zk_connect,
            "offsets.topic.num.partitions": "5",
            "group.initial.rebalance.delay.ms": "0",
            **overrides,
        }
        (self.base / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> KafkaBroker:
        out = open(self.base / "server.out", "ab")  # noqa: SIM115 - handed to the child
        cmd = java_command("kafka.Kafka", [str(self.base / "server.properties")], version="2.8.1", heap="384m")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Kafka 2.8.1 broker {self.broker_id} exited: {(self.base / 'server.out').read_text()[-2000:]}")
            try:
                AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=1)
                return self
            except Exception:
                time.sleep(0.3)
        raise RuntimeError(f"Kafka 2.8.1 broker {self.broker_id} did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()


def _strom_brokers(zk: ZooKeeperProcess, chroot: str, base: Path, overrides: dict[str, str]) -> dict[int, Any]:
    connect = f"{zk.connect}/{chroot}"
    for i in range(3):
        (base / f"strom-{i}").mkdir(parents=True, exist_ok=True)
    return {
        i: BrokerProcess(log_dir=base / f"strom-{i}", overrides={"broker.id": str(i), "zookeeper.connect": connect, **overrides})
        for i in range(3)
    }


def _kafka_brokers(zk: ZooKeeperProcess, chroot: str, base: Path, overrides: dict[str, str]) -> dict[int, Any]:
    from kazoo.client import KazooClient

    client = KazooClient(zk.connect)  # Kafka 2.8 does not create its chroot itself
    client.start()
    client.ensure_path(f"/{chroot}")
    client.stop()
    client.close()
    return {i: KafkaBroker(i, f"{zk.connect}/{chroot}", base, overrides) for i in range(3)}


def _leader(admin: AdminClient) -> tuple[int, list[int]]:
    md = admin.list_topics(TOPIC, timeout=5)
    pm = md.topics[TOPIC].partitions[0]
    return pm.leader, list(pm.isrs)


def measure(name: str, brokers: dict[int, Any], cycles: int, mode: str) -> list[float]:
    for b in brokers.values():
        b.start()
    boot = ",".join(b.bootstrap for b in brokers.values())
    admin = AdminClient({"bootstrap.servers": boot})
    admin.create_topics([NewTopic(TOPIC, 1, 3)])[TOPIC].result(60)
    samples = []
    try:
        for cycle in range(cycles):
            deadline = time.monotonic() + 120
            while True:  # healthy: a leader and a full ISR
                try:
                    leader, isr = _leader(admin)
                    if leader >= 0 and len(isr) == 3:
                        break
                except Exception:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: partition did not recover before cycle {cycle}")
                time.sleep(0.2)
            survivor = next(b for i, b in brokers.items() if i != leader)
            watcher = AdminClient({"bootstrap.servers": survivor.bootstrap})
            started = time.monotonic()
            if mode == "kill9":
                brokers[leader].kill()
            else:
                os.kill(brokers[leader].proc.pid, signal.SIGTERM)
            while True:
                try:
                    now_leader, _ = _leader(watcher)
                    if now_leader >= 0 and now_leader != leader:
                        break
                except Exception:
                    pass
                time.sleep(0.02)
            took = time.monotonic() - started
            samples.append(took)
            print(f"{name} {mode} cycle {cycle + 1}: leader {leader} -> {now_leader} in {took * 1000:.0f} ms", flush=True)
            if mode != "kill9":
                brokers[leader].proc.wait(60)
            brokers[leader].start()
    finally:
        for b in brokers.values():
            b.kill()
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--systems", default="strom,kafka")
    parser.add_argument("--modes", default="kill9,sigterm")
    args = parser.parse_args()
    overrides = {"zookeeper.session.timeout.ms": str(args.session_timeout_ms), "offsets.topic.replication.factor": "3"}
    results: dict[str, dict[str, list[float]]] = {}
    zk = ZooKeeperProcess().start()
    try:
        for system in args.systems.split(","):
            for mode in args.modes.split(","):
                with tempfile.TemporaryDirectory(prefix=f"failover-{system}-") as tmp:
                    make = _strom_brokers if system == "strom" else _kafka_brokers
                    brokers = make(zk, f"{system}-{mode}", Path(tmp), overrides)  # own chroot per run
                    results.setdefault(system, {})[mode] = measure(system, brokers, args.cycles, mode)
    finally:
        zk.close()
    print()
    print(f"| system | stop | cycles | p50 ms | p99 ms | max ms |  (zookeeper.session.timeout.ms={args.session_timeout_ms})")
    print("|---|---|---|---|---|---|")
    for system, modes in results.items():
        for mode, samples in modes.items():
            print(
                f"| {system} | {mode} | {len(samples)} | {pct(samples, 0.5) * 1000:.0f} | {pct(samples, 0.99) * 1000:.0f} | "
                f"{max(samples) * 1000:.0f} |"
            )
    print(json.dumps({s: {m: [round(x, 3) for x in v] for m, v in ms.items()} for s, ms in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
