"""A log dir fails on a partition leader in a ZooKeeper cluster (3 brokers, RF=3, min.insync.replicas=2).

As Kafka 2.8: the broker takes the dir offline and stays up, writes
/log_dir_event_notification/log_dir_event_<seq>; the controller asks it for its replicas by LeaderAndIsr, learns
from the KAFKA_STORAGE_ERROR answers which are offline, elects their partitions' leaders elsewhere, takes the
replica out of the ISR and deletes the notification. An acks=all idempotent producer running throughout loses
nothing (the history checker judges the run)."""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.cluster import zk_data as zd
from strom.testing.disk_faults import small_filesystem
from strom.testing.faults.checker import check
from strom.testing.faults.history import History
from strom.testing.faults.workload import RecordingProducer, read_back
from strom.testing.zookeeper import ZooKeeperProcess, zookeeper  # noqa: F401 - fixture
from tests.cluster.conftest import Cluster, wait_until
from tests.faults.kafka_zk_cluster import KafkaZkCluster

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(300)]

TOPIC = "dir-fails"


def fill(directory: Path) -> int:
    """Writes a file until the filesystem is full; returns the bytes written."""
    written = 0
    with open(directory / "filler", "wb", buffering=0) as f:
        try:
            while True:
                written += f.write(b"\0" * 65536)
        except OSError:
            pass
    return written


def test_a_full_log_dir_on_the_leader_moves_leadership_without_a_restart(zookeeper: ZooKeeperProcess, tmp_path: Path) -> None:  # noqa: F811
    with small_filesystem(tmp_path / "small", 4 << 20) as small:
        cluster = Cluster(zookeeper, 3, {"replica.lag.time.max.ms": "10000", "zookeeper.session.timeout.ms": "6000"})
        leader = cluster.brokers[0]
        leader.overrides["log.dirs"] = f"{small},{leader.base / 'data'}"  # a new partition goes to the emptier dir, the first on a tie
        cluster.start()
        zk = cluster.zk_client()
        history = History(seed=0)
        producer = None
        try:
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            admin.create_topics([NewTopic(TOPIC, 1, replica_assignment=[[0, 1, 2]], config={"min.insync.replicas": "2"})])[TOPIC].result(30)

            def state() -> dict:
                got = zk.get(zd.partition_state_path(TOPIC, 0))
                return json.loads(got[0]) if got else {}

            wait_until(lambda: sorted(state().get("isr", [])) == [0, 1, 2], timeout=30, message="full ISR")
            assert state()["leader"] == 0 and (small / f"{TOPIC}-0").is_dir()
            conf = {
                "bootstrap.servers": cluster.bootstrap,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 5,
                "message.timeout.ms": 60000,
                "topic.metadata.refresh.interval.ms": 1000,
            }
            producer = RecordingProducer(history, ck.Producer(conf), TOPIC, 1, rate=500).start()
            wait_until(lambda: producer.acked > 500, timeout=30, message="first acks")

            history.fault("log dir full", f"broker 0 {small}")
            failed_at = time.monotonic()
            print(f"filled the log dir with {fill(small)} bytes")
            wait_until(lambda: state()["leader"] in (1, 2), timeout=30, message="a new leader")
            moved_s = time.monotonic() - failed_at
            acked = producer.acked
            wait_until(lambda: producer.acked > acked + 500, timeout=60, message="acks from the new leader")
            recovered_s = time.monotonic() - failed_at
            assert sorted(state()["isr"]) == [1, 2]
            wait_until(lambda: zk.children(zd.LOG_DIR_EVENT_NOTIFICATION) == [], timeout=30, message="the notification deleted")
            assert leader.proc is not None and leader.proc.poll() is None  # the broker stays up
            log = (leader.base / "logs" / "server.log").read_text(errors="replace")
            assert f"Stopping serving replicas in dir {small}" in log
            assert f"Log dir {small} failed: notified the controller at {zd.LOG_DIR_EVENT_NOTIFICATION}/log_dir_event_" in log
            logs = "".join((b.base / "logs" / "server.log").read_text(errors="replace") for b in cluster.brokers.values())
            assert f"Mark replicas {TOPIC}-0 on broker 0 as offline" in logs

            unknown, producer = producer.stop(), None
            assert unknown == 0
            probe = ck.Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "probe"})
            end = probe.get_watermark_offsets(ck.TopicPartition(TOPIC, 0), timeout=30)[1]
            probe.close()
            final = ck.Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "final", "enable.auto.commit": False})
            read_back(history, final, TOPIC, 1, {0: end})
            report = check(history)
            print(f"log dir failure on the leader: {report.summary()}; new leader {moved_s:.1f}s, 500 acks {recovered_s:.1f}s after")
            assert report.ok and report.acked > 1000 and report.lost_count == 0, report.summary()
        finally:
            if producer is not None:
                producer.stop(5)
            cluster.close()


# ---- a follower's or the controller's log dir fails, then comes back with a restart ------------------------------


class DirFailureRun:
    """Three brokers, each with a tmpfs as its first log dir (where the one partition of TOPIC is, RF=3) and a
    normal one; an acks=all idempotent producer throughout. `fail(broker)` fills that broker's tmpfs and waits
    for what Kafka's controller does (the replica out of the ISR, leadership moved if it led) while the leader
    keeps acknowledging; `restore(broker)` frees the space, restarts the broker and waits until its replica
    is back in the ISR. `finish()` reads everything back and returns the checker's report."""

    def __init__(self, zookeeper: ZooKeeperProcess, smalls: list[Path], rate: float = 300, kafka: bool = False) -> None:  # noqa: F811
        self.smalls = smalls
        overrides = {"replica.lag.time.max.ms": "10000", "zookeeper.session.timeout.ms": "6000"}
        self.kafka = kafka
        self.cluster: Cluster | KafkaZkCluster = KafkaZkCluster(zookeeper, 3, overrides) if kafka else Cluster(zookeeper, 3, overrides)
        for broker_id, b in self.cluster.brokers.items():
            b.overrides["log.dirs"] = f"{smalls[broker_id]},{b.base / 'data'}"
        self.cluster.start()
        self.zk = self.cluster.zk_client()
        self.history = History(seed=0)
        self.producer: RecordingProducer | None = None
        self.rate = rate
        self.timings: list[dict[str, float | int | str]] = []

    def state(self) -> dict:
        got = self.zk.get(zd.partition_state_path(TOPIC, 0))
        return json.loads(got[0]) if got else {}

    def controller(self) -> int:
        got = self.zk.get(zd.CONTROLLER)
        return int(json.loads(got[0])["brokerid"]) if got else -1

    def start(self, replicas: list[int]) -> DirFailureRun:
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        config = {"min.insync.replicas": "2"}
        admin.create_topics([NewTopic(TOPIC, 1, replica_assignment=[replicas], config=config)])[TOPIC].result(30)
        wait_until(lambda: sorted(self.state().get("isr", [])) == [0, 1, 2], timeout=30, message="full ISR")
        wait_until(lambda: all((small / f"{TOPIC}-0").is_dir() for small in self.smalls), timeout=30, message="the replicas on the tmpfs")
        conf = {
            "bootstrap.servers": self.cluster.bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": 120000,
            "topic.metadata.refresh.interval.ms": 1000,
        }
        self.producer = RecordingProducer(self.history, ck.Producer(conf), TOPIC, 1, rate=self.rate).start()
        wait_until(lambda: self.producer is not None and self.producer.acked > 300, timeout=30, message="first acks")
        return self

    def _acks_after(self, acked: int, more: int, timeout: float) -> None:
        wait_until(lambda: self.producer is not None and self.producer.acked >= acked + more, timeout=timeout, message=f"{more} more acks")

    def fail(self, broker_id: int, what: str) -> dict[str, float | int | str]:
        """Fills `broker_id`'s tmpfs; returns the seconds to the ISR without it and to 300 more acks."""
        assert self.producer is not None
        before = self.state()
        was_leader = before["leader"] == broker_id
        self.history.fault(f"log dir full ({what})", f"broker {broker_id} {self.smalls[broker_id]}")
        failed_at = time.monotonic()
        fill(self.smalls[broker_id])
        wait_until(
            lambda: broker_id not in self.state()["isr"] and self.state()["leader"] not in (broker_id, -1),
            timeout=60,
            message=f"broker {broker_id} out of the ISR",
        )
        out_s = time.monotonic() - failed_at
        acked = self.producer.acked
        self._acks_after(acked, 300, 60)
        acks_s = time.monotonic() - failed_at
        state = self.state()
        assert len(state["isr"]) == 2 and broker_id not in state["isr"], state
        b = self.cluster.brokers[broker_id]
        assert b.proc is not None and b.proc.poll() is None  # the broker stays up
        log = b.output() if self.kafka else (b.base / "logs" / "server.log").read_text(errors="replace")
        assert f"Stopping serving replicas in dir {self.smalls[broker_id]}" in log, "\n".join(
            line for line in log.splitlines() if "WARN" in line or "ERROR" in line or "Error" in line
        )[-6000:]
        wait_until(lambda: self.zk.children(zd.LOG_DIR_EVENT_NOTIFICATION) == [], timeout=30, message="the notification deleted")
        timing: dict[str, float | int | str] = {"what": what, "broker": broker_id, "led": int(was_leader)}
        timing.update(out_of_isr_s=out_s, acks_s=acks_s)
        self.timings.append(timing)
        return timing

    def restore(self, broker_id: int) -> float:
        """Frees the space and restarts the broker; returns the seconds from its start to the full ISR."""
        assert self.producer is not None
        (self.smalls[broker_id] / "filler").unlink()
        b = self.cluster.brokers[broker_id]
        b.stop()
        self.history.fault("restart", f"broker {broker_id}")
        started = time.monotonic()
        b.start(120)
        wait_until(lambda: sorted(self.state()["isr"]) == [0, 1, 2], timeout=90, message=f"broker {broker_id} back in the ISR")
        back_s = time.monotonic() - started
        self.timings[-1]["rejoin_s"] = back_s
        return back_s

    def finish(self) -> Any:
        assert self.producer is not None
        unknown, self.producer = self.producer.stop(), None
        assert unknown == 0
        probe = ck.Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": "probe"})
        end = probe.get_watermark_offsets(ck.TopicPartition(TOPIC, 0), timeout=30)[1]
        probe.close()
        final = ck.Consumer({"bootstrap.servers": self.cluster.bootstrap, "group.id": "final", "enable.auto.commit": False})
        read_back(self.history, final, TOPIC, 1, {0: end})
        return check(self.history)

    def close(self) -> None:
        if self.producer is not None:
            self.producer.stop(5)
        self.cluster.close()


@contextmanager
def small_dirs(tmp_path: Path, size_bytes: int) -> Iterator[list[Path]]:
    with ExitStack() as stack:
        yield [stack.enter_context(small_filesystem(tmp_path / f"small-{i}", size_bytes)) for i in range(3)]


def test_a_full_log_dir_on_a_follower_and_on_the_controller(zookeeper: ZooKeeperProcess, tmp_path: Path) -> None:  # noqa: F811
    """The follower's dir fills: its replica leaves the ISR (the controller learns it from the broker's log dir
    event), the leader keeps acknowledging with the other two; after space is freed and a restart it catches up
    and rejoins. Then the same on the controller's own broker: the controller handles its own event."""
    with small_dirs(tmp_path, 16 << 20) as smalls:
        run = DirFailureRun(zookeeper, smalls)
        try:
            wait_until(lambda: run.controller() >= 0, timeout=30, message="a controller")
            controller = run.controller()
            others = [b for b in range(3) if b != controller]
            run.start([others[0], others[1], controller])  # leader: a broker that is not the controller
            print("follower:", run.fail(others[1], "follower"), run.restore(others[1]))
            controller = run.controller()
            print("controller:", run.fail(controller, "controller"), run.restore(controller))
            report = run.finish()
            print(f"log dir failure on a follower and on the controller: {report.summary()}")
            assert report.ok and report.lost_count == 0, report.summary()
        finally:
            run.close()


def campaign(zookeeper: ZooKeeperProcess, tmp_path: Path, kafka: bool, cycles: int, seed: int) -> dict[str, Any]:  # noqa: F811
    """`cycles` log dir failures, each on a broker picked by role (a follower that is not the controller, the
    controller, the leader), each followed by freeing the space and a restart, on one topic with the
    producer running throughout; one history, one verdict."""
    rng = random.Random(seed)
    with small_dirs(tmp_path, 64 << 20) as smalls:
        run = DirFailureRun(zookeeper, smalls, rate=200, kafka=kafka)
        try:
            wait_until(lambda: run.controller() >= 0, timeout=60, message="a controller")
            run.start([0, 1, 2])
            for cycle in range(cycles):
                role = rng.choice(["follower", "controller", "leader"])
                controller, leader = run.controller(), run.state()["leader"]
                if role == "controller":
                    target = controller
                elif role == "leader":
                    target = leader
                else:
                    target = rng.choice([b for b in range(3) if b not in (controller, leader)])
                what = f"{role} (controller {controller}, leader {leader})"
                timing = run.fail(target, role)
                run.restore(target)
                print(f"cycle {cycle}: broker {target} as {what}: {timing}", flush=True)
            report = run.finish()
        finally:
            run.close()
    by_role: dict[str, list[dict[str, float | int | str]]] = {}
    for t in run.timings:
        by_role.setdefault(str(t["what"]), []).append(t)
    figures: dict[str, Any] = {"broker": "kafka-3.9" if kafka else "strom", "cycles": cycles, "seed": seed, "report": report.summary()}
    for role, ts in sorted(by_role.items()):
        figures[role] = {"cycles": len(ts)} | {
            key: {"p50": statistics.median(float(t[key]) for t in ts), "max": max(float(t[key]) for t in ts)}
            for key in ("out_of_isr_s", "acks_s", "rejoin_s")
        }
    print(json.dumps(figures, indent=1))
    artifacts = Path(os.environ.get("STROM_FAULT_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / f"log-dir-campaign-{figures['broker']}.json").write_text(json.dumps(figures, indent=1))
    assert report.ok and report.lost_count == 0, report.summary()
    return figures


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
def test_log_dir_failure_campaign(zookeeper: ZooKeeperProcess, tmp_path: Path) -> None:  # noqa: F811
    """STROM_FAULT_CYCLES (default 100) failures of a follower's, the controller's or the leader's log dir."""
    campaign(zookeeper, tmp_path, False, int(os.environ.get("STROM_FAULT_CYCLES", "100")), int(os.environ.get("STROM_FAULT_SEED", "1919")))


@pytest.mark.slow
@pytest.mark.java
@pytest.mark.timeout(4 * 3600)
def test_log_dir_failure_campaign_apache_kafka(zookeeper: ZooKeeperProcess, tmp_path: Path) -> None:  # noqa: F811
    """The same against Apache Kafka 3.9 in ZooKeeper mode (STROM_KAFKA_FAULT_CYCLES, default 10: a JVM
    restart per cycle)."""
    cycles = int(os.environ.get("STROM_KAFKA_FAULT_CYCLES", "10"))
    campaign(zookeeper, tmp_path, True, cycles, int(os.environ.get("STROM_FAULT_SEED", "1919")))
