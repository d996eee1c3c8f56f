"""A log dir fails on a partition leader in a ZooKeeper cluster (3 brokers, RF=3, min.insync.replicas=2).

As Kafka 2.8: the broker takes the dir offline and stays up, writes
/log_dir_event_notification/log_dir_event_<seq>; the controller asks it for its replicas by LeaderAndIsr, learns
from the KAFKA_STORAGE_ERROR answers which are offline, elects their partitions' leaders elsewhere, takes the
replica out of the ISR and deletes the notification. An acks=all idempotent producer running throughout loses
nothing (the history checker judges the run)."""

from __future__ import annotations

import json
import time
from pathlib import Path

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
