"""The network-fault runs: a namespaced cluster (strom.testing.faults.cluster), a recording workload (an
acks=all idempotent confluent-kafka producer and a consumer group member committing as it goes), a nemesis that
injects faults and records them in the history, and the checker's verdict at the end. A failing run saves its
history, the brokers' logs and ZooKeeper's tree under $STROM_FAULT_ARTIFACTS (default: the test's tmp dir).

Leaders, ISRs and the controller are read from ZooKeeper (what the controller decided), since clients
asking a partitioned broker would get that broker's stale view.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.cluster.zk_data import CONTROLLER, LeaderIsr, partition_state_path
from strom.testing.faults.artifacts import save_run
from strom.testing.faults.checker import Report, check
from strom.testing.faults.cluster import NetnsCluster
from strom.testing.faults.history import History
from strom.testing.faults.netns import available
from strom.testing.faults.workload import RecordingConsumer, RecordingProducer, observe_committed, read_back

PARTITIONS = 2


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


def start_cluster(jumping_clocks: bool = False, delay_proxy: bool = False, **overrides: str) -> NetnsCluster:
    """Fails (never skips) when the machine cannot make namespaces: CI must run these."""
    missing = [k for k, ok in available().items() if k != "netem" and not ok]
    if missing:
        pytest.fail(f"network faults need {missing}: run as root with iproute2 and nftables (scripts/install-system-deps.sh)")
    kafka = os.environ.get("STROM_FAULT_KAFKA")  # e.g. 2.8.1: the same runs against Apache Kafka
    props = {k.replace("_", "."): v for k, v in overrides.items()}
    if kafka:  # a JVM starting on a loaded machine takes a while to reach ZooKeeper
        props.setdefault("zookeeper.connection.timeout.ms", "60000")
    return NetnsCluster(3, props, jumping_clocks, kafka, delay_proxy).start(timeout=240 if kafka else 60)  # JVMs on a loaded machine


def running_cluster(jumping_clocks: bool = False, delay_proxy: bool = False, **overrides: str) -> Iterator[NetnsCluster]:
    """The body of a module's cluster fixture: `yield from running_cluster()`."""
    cluster = start_cluster(jumping_clocks, delay_proxy, **overrides)
    try:
        yield cluster
    finally:
        cluster.close()


@dataclass
class FaultRun:
    """One run on one topic of a shared cluster. `start()` -> nemesis steps -> `finish()`."""

    cluster: NetnsCluster
    topic: str
    artifacts: Path
    seed: int | None = None
    producer_config: dict[str, Any] = field(default_factory=dict)
    history: History = field(init=False)
    zk: Any = field(init=False)
    producer: RecordingProducer = field(init=False)
    consumer: RecordingConsumer = field(init=False)
    consumers: list[RecordingConsumer] = field(init=False)
    stats: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.history = History(self.seed)
        self.zk = self.cluster.zk_client()

    # ---- what ZooKeeper says -------------------------------------------------------------------------
    def state(self, partition: int) -> LeaderIsr:
        got = self.zk.get(partition_state_path(self.topic, partition))
        assert got is not None
        return LeaderIsr.decode(got[0], got[1].version)

    def leader(self, partition: int = 0) -> int:
        return self.state(partition).leader

    def controller(self) -> int:
        got = self.zk.get(CONTROLLER)
        return int(json.loads(got[0])["brokerid"]) if got else -1

    def registered(self) -> list[int]:
        return sorted(int(b) for b in self.zk.children("/brokers/ids"))

    def full_isr(self) -> bool:
        return all(sorted(self.state(p).isr) == [0, 1, 2] for p in range(PARTITIONS))

    # ---- the run ------------------------------------------------------------------------------------
    def start(self, rate: float = 500, members: int = 1) -> FaultRun:
        jvm = bool(os.environ.get("STROM_FAULT_KAFKA"))  # a loaded machine slows the JVMs' start
        wait_until(lambda: self.registered() == [0, 1, 2], timeout=240 if jvm else 60, message="all brokers registered")
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        admin.create_topics([NewTopic(self.topic, PARTITIONS, 3, config={"min.insync.replicas": "2"})])[self.topic].result(30)
        wait_until(lambda: self.zk.exists(partition_state_path(self.topic, PARTITIONS - 1)) and self.full_isr(), message="full ISR")
        conf = {
            "bootstrap.servers": self.cluster.bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": 60000,
            "request.timeout.ms": 5000,
            "topic.metadata.refresh.interval.ms": 1000,
            "retry.backoff.ms": 100,
            **self.producer_config,
        }
        self.producer = RecordingProducer(self.history, ck.Producer(conf), self.topic, PARTITIONS, rate=rate).start()
        group = f"{self.topic}-group"

        def consumer(on_commit: Any) -> Any:
            return ck.Consumer(
                {
                    "bootstrap.servers": self.cluster.bootstrap,
                    "group.id": group,
                    "auto.offset.reset": "earliest",
                    "auto.commit.interval.ms": 500,
                    "topic.metadata.refresh.interval.ms": 1000,
                    "session.timeout.ms": 10000,
                    "on_commit": on_commit,
                }
            )

        self.consumers = [RecordingConsumer(self.history, consumer, [self.topic], group, f"c{i}").start() for i in range(members)]
        self.consumer = self.consumers[0]
        self.wait_acks(100, message="first acks")
        return self

    def wait_acks(self, more: int, timeout: float = 60.0, message: str = "acks") -> float:
        """Waits for `more` acknowledgements beyond the current count; returns the seconds it took."""
        started, target = time.monotonic(), self.producer.acked + more
        wait_until(lambda: self.producer.acked >= target, timeout=timeout, interval=0.05, message=message)
        return time.monotonic() - started

    def heal_and_recover(self) -> float:
        """Heals the network, then waits for the full ISR and new acks; returns seconds from heal to both."""
        started = time.monotonic()
        self.cluster.net.heal()
        if self.cluster.proxy is not None:
            self.cluster.proxy.clear()
        self.history.fault("heal")
        wait_until(lambda: self.registered() == [0, 1, 2], timeout=60, message="all brokers registered")
        wait_until(self.full_isr, timeout=90, message="ISR back to 3")
        self.wait_acks(50, message="acks after heal")
        return time.monotonic() - started

    def save(self, report: Report | None = None) -> Path:
        """Saves the history so far, the checker's report on it, the brokers' logs and ZooKeeper's tree."""
        target = Path(os.environ.get("STROM_FAULT_ARTIFACTS", self.artifacts)) / self.topic
        save_run(target, self.history, report or check(self.history), self.cluster.broker_dirs(), f"{self.cluster.zk.connect}/strom")
        self.stats["artifacts"] = str(target)
        return target

    def finish(self) -> Report:
        """Stops the clients, reads every partition back to its end, checks; saves the run if it failed."""
        unknown = self.producer.stop()
        for member in self.consumers:
            member.stop()
        ends: dict[int, int] = {}
        probe = ck.Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": f"{self.topic}-probe"})
        for p in range(PARTITIONS):
            ends[p] = probe.get_watermark_offsets(ck.TopicPartition(self.topic, p), timeout=30)[1]
        probe.close()
        final = ck.Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": f"{self.topic}-final", "enable.auto.commit": False})
        read_back(self.history, final, self.topic, PARTITIONS, ends)
        group = ck.Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": f"{self.topic}-group", "enable.auto.commit": False})
        observe_committed(
            self.history, group, "final", f"{self.topic}-group", [ck.TopicPartition(self.topic, p) for p in range(PARTITIONS)]
        )
        group.close()
        self.zk.close()
        report = check(self.history)
        gaps = [b.time - a.time for a, b in zip(self.history.events("ack"), self.history.events("ack")[1:], strict=False)]
        self.stats.update(report=report.summary(), unknown=unknown, longest_ack_gap_s=round(max(gaps, default=0.0), 2))
        if not report.ok or unknown:
            self.save(report)
        print(f"fault run {self.topic}: {self.stats}")
        return report


def assert_ok(run: FaultRun, report: Report) -> None:
    first = {k: getattr(report, k)[:3] for k in ("lost", "divergent", "duplicated", "reordered", "commits_backwards") if getattr(report, k)}
    assert report.ok and not run.stats["unknown"], f"{report.summary()}\nfirst anomalies: {first}\nsaved: {run.stats.get('artifacts')}"
