"""No acknowledged record is lost: three Strom brokers with real ZooKeeper, replication factor 3,
min.insync.replicas=2, a confluent-kafka producer with acks=all and idempotence writing continuously while the
leader is killed -9 and restarted in turn. Afterwards every acknowledged record is read back exactly once and in
order, and the replicas' logs are identical up to the high watermark.

The CI slice does one kill cycle; the long loop is marked slow.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.records import iter_batch_headers
from tests.cluster.conftest import Cluster, wait_until

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(300)]

TOPIC = "chaos"
PARTITIONS = 2


class AckingProducer:
    """Produces numbered records in a thread; remembers what the cluster acknowledged, per partition. Takes a
    confluent-kafka producer by default, or any producer with its API (strom.Producer)."""

    def __init__(self, bootstrap: str, producer: Any = None) -> None:
        self.producer = producer or ck.Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 5,
                "message.timeout.ms": 120000,
                "topic.metadata.refresh.interval.ms": 1000,
                "retry.backoff.ms": 100,
            }
        )
        self.acked: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
        self.failed: list[str] = []
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _on_delivery(self, err: Any, msg: Any) -> None:
        if err is not None:
            self.failed.append(str(err))
        else:
            self.acked[msg.partition()].append((msg.offset(), msg.value()))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.producer.produce(
                    TOPIC, value=b"record-%08d" % self.sent, partition=self.sent % PARTITIONS, on_delivery=self._on_delivery
                )
                self.sent += 1
            except BufferError:
                pass
            self.producer.poll(0.002)
            if len(self.producer) > 5000:  # a client without a queue limit of its own
                self.producer.poll(0.05)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        assert self.producer.flush(120) == 0
        if hasattr(self.producer, "close"):
            self.producer.close()

    @property
    def acked_count(self) -> int:
        return sum(len(v) for v in self.acked.values())


class GroupConsumer:
    """A group member consuming the topic throughout, committing as it goes; counts records it saw twice.
    Takes a confluent-kafka consumer by default, or any consumer with its API (strom.Consumer)."""

    def __init__(self, bootstrap: str, consumer: Any = None) -> None:
        self.consumer = consumer or ck.Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": "chaos-group",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": True,
                "auto.commit.interval.ms": 500,
                "topic.metadata.refresh.interval.ms": 1000,
                "session.timeout.ms": 10000,
            }
        )
        self.seen: set[bytes] = set()
        self.repeats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.consumer.subscribe([TOPIC])
        while not self._stop.is_set():
            for msg in self.consumer.consume(500, 0.2):
                if msg.error() is None:
                    self.repeats += msg.value() in self.seen
                    self.seen.add(msg.value())
        self.consumer.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def leaders(bootstrap: str) -> dict[int, int]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(TOPIC, timeout=10)
    topic = md.topics[TOPIC]
    return {p: topic.partitions[p].leader for p in topic.partitions} if topic.error is None else {}


def isr(bootstrap: str, partition: int) -> list[int]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    found = admin.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions.get(partition)
    return sorted(found.isrs) if found is not None else []


def read_all(bootstrap: str, partition: int, end: int) -> list[tuple[int, bytes]]:
    consumer = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"verify-{time.time()}", "enable.auto.commit": False})
    consumer.assign([ck.TopicPartition(TOPIC, partition, 0)])
    out: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + 60
    try:
        while (not out or out[-1][0] < end - 1) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            out.append((msg.offset(), msg.value()))
    finally:
        consumer.close()
    return out


def log_bytes(data_dir: Path, partition: int, upto: int) -> bytes:
    """The partition's batches below offset `upto`, concatenated from its segment files."""
    out = bytearray()
    for seg in sorted((data_dir / f"{TOPIC}-{partition}").glob("*.log")):
        data = seg.read_bytes()
        for pos, header in iter_batch_headers(data):
            if header.base_offset + header.records_count <= upto:
                out += data[pos : pos + header.size]
    return bytes(out)


def controller(bootstrap: str) -> int:
    return int(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).controller_id)


def check_acknowledged_records(cluster: Cluster, producer: AckingProducer) -> int:
    """After chaos: every acknowledged record is readable at its offset, exactly once and in order per partition,
    and the replicas agree byte for byte up to the high watermark. Returns the number lost (asserted to be 0)."""
    assert not producer.failed, producer.failed[:5]
    lost = 0
    for partition in range(PARTITIONS):
        acked = producer.acked[partition]
        got = read_all(cluster.bootstrap, partition, max(o for o, _ in acked) + 1)
        offsets = [o for o, _ in got]
        assert offsets == sorted(set(offsets)), "offsets go backwards or repeat"
        by_offset = dict(got)
        lost += sum(1 for o, v in acked if by_offset.get(o) != v)
        values = [v for _, v in got]
        assert len(values) == len(set(values)), "a record was written twice"
        numbers = [int(v.split(b"-")[1]) for v in values]
        assert numbers == sorted(numbers), "records out of order within the partition"
    assert lost == 0, f"{lost} acknowledged records lost"
    for partition in range(PARTITIONS):
        hw = max(o for o, _ in producer.acked[partition]) + 1
        wait_until(
            lambda partition=partition, hw=hw: len({log_bytes(b.base / "data", partition, hw) for b in cluster.brokers.values()}) == 1,
            timeout=30,
            message=f"identical replicas of partition {partition}",
        )
    return lost


def drain_group(producer: AckingProducer, group: GroupConsumer) -> None:
    """After the producer stopped: the group consumes every acknowledged record (consumption went on across the
    failures), then stops."""
    try:
        acked_values = {v for values in producer.acked.values() for _, v in values}
        wait_until(lambda: acked_values <= group.seen, timeout=60, interval=0.2, message="the group consumed every acked record")
    finally:
        group.stop()


def run_chaos(cluster: Cluster, plan: list[str]) -> dict[str, Any]:
    """`plan`: one step per cycle -- "leader" (kill -9 a partition leader), "controller" (kill -9 the controller),
    "zookeeper" (kill -9 and restart ZooKeeper); killed brokers restart and rejoin the ISR before the next step."""
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    futures = admin.create_topics([NewTopic(TOPIC, PARTITIONS, 3, config={"min.insync.replicas": "2"})])
    futures[TOPIC].result(30)
    wait_until(lambda: len(leaders(cluster.bootstrap)) == PARTITIONS and all(leader >= 0 for leader in leaders(cluster.bootstrap).values()))
    wait_until(lambda: all(isr(cluster.bootstrap, p) == [0, 1, 2] for p in range(PARTITIONS)), message="full ISR")

    producer = AckingProducer(cluster.bootstrap)
    producer.start()
    group = GroupConsumer(cluster.bootstrap)
    group.start()
    failovers: list[float] = []
    try:
        wait_until(lambda: producer.acked_count > 200, message="first acks")
        for cycle, kind in enumerate(plan):
            before = producer.acked_count
            started = time.monotonic()
            if kind == "zookeeper":
                cluster.zk.kill()
                time.sleep(2)
                cluster.zk.start()
                wait_until(lambda before=before: producer.acked_count > before + 50, timeout=60, message="acks after ZooKeeper restart")
                continue
            victim = controller(cluster.bootstrap) if kind == "controller" else leaders(cluster.bootstrap)[cycle % PARTITIONS]
            cluster.brokers[victim].kill()
            survivors = ",".join(b.bootstrap for i, b in cluster.brokers.items() if i != victim)
            wait_until(
                lambda victim=victim, survivors=survivors: all(leader not in (victim, -1) for leader in leaders(survivors).values()),
                timeout=60,
                interval=0.1,
                message="a new leader",
            )
            wait_until(lambda before=before: producer.acked_count > before + 50, timeout=60, message="acks after failover")
            if kind == "leader":
                failovers.append(time.monotonic() - started)
            cluster.brokers[victim].start()
            wait_until(lambda: all(isr(cluster.bootstrap, p) == [0, 1, 2] for p in range(PARTITIONS)), timeout=90, message="ISR back to 3")
    finally:
        producer.stop()
        drain_group(producer, group)

    lost = check_acknowledged_records(cluster, producer)
    failovers.sort()
    return {
        "kills": {k: plan.count(k) for k in sorted(set(plan))},
        "acked": producer.acked_count,
        "lost": lost,
        "failover_p50_s": failovers[len(failovers) // 2],
        "failover_p99_s": failovers[min(len(failovers) - 1, int(len(failovers) * 0.99))],
    }


def test_kill_the_leader_once_no_acknowledged_record_is_lost(cluster_factory: Any) -> None:
    cluster = cluster_factory(3, replica_lag_time_max_ms="10000", zookeeper_session_timeout_ms="6000")
    stats = run_chaos(cluster, ["leader"])
    print("chaos:", stats)


@pytest.mark.slow
def test_kill_leaders_repeatedly_no_acknowledged_record_is_lost(cluster_factory: Any) -> None:
    cluster = cluster_factory(3, replica_lag_time_max_ms="10000", zookeeper_session_timeout_ms="6000")
    stats = run_chaos(cluster, ["leader", "controller", "leader", "zookeeper", "leader", "controller", "leader", "leader"])
    print("chaos:", stats)
