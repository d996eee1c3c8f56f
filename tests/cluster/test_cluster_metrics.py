"""Replication metrics of a ZooKeeper cluster, scraped from each broker's Prometheus endpoint: a killed follower
makes its partitions under-replicated on the leader (an ISR shrink), its return expands the ISR again, and
exactly one broker reports itself the active controller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.broker import free_port
from strom.testing.zookeeper import ZooKeeperProcess
from tests.cluster.conftest import Cluster, wait_until
from tests.integration.test_broker_metrics import Samples, scrape, value

pytestmark = [pytest.mark.zookeeper, pytest.mark.slow, pytest.mark.timeout(180)]  # a kill and a restart: ~25 s
TOPIC = "metrics-replicated"


@pytest.fixture
def metered_cluster(zookeeper: ZooKeeperProcess) -> Iterator[tuple[Cluster, dict[int, str]]]:
    cluster = Cluster(zookeeper, 3, {"replica.lag.time.max.ms": "1500"})
    urls = {}
    for broker_id, broker in cluster.brokers.items():
        port = free_port()
        broker.overrides["metrics.prometheus.listener"] = f"http://127.0.0.1:{port}"
        urls[broker_id] = f"http://127.0.0.1:{port}/metrics"
    try:
        yield cluster.start(), urls
    finally:
        cluster.close()


def test_killed_follower_raises_under_replicated_partitions(metered_cluster: tuple[Cluster, dict[int, str]]) -> None:
    cluster, urls = metered_cluster
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(TOPIC, 1, replica_assignment=[[0, 1, 2]])])[TOPIC].result(30)
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    producer.produce(TOPIC, b"before")
    assert producer.flush(30) == 0

    def leader_samples() -> Samples:
        return scrape(urls[0])

    wait_until(lambda: value(leader_samples(), "kafka_log_log_logendoffset", topic=TOPIC, partition="0") == 1, message="the append")
    controllers = sum(value(scrape(url), "kafka_controller_kafkacontroller_activecontrollercount") for url in urls.values())
    assert controllers == 1
    before = leader_samples()
    assert value(before, "kafka_server_replicamanager_underreplicatedpartitions") == 0
    assert value(before, "kafka_server_replicamanager_leadercount") >= 1
    assert value(before, "kafka_server_brokertopicmetrics_replicationbytesout_total") > 0
    assert value(scrape(urls[1]), "kafka_server_brokertopicmetrics_replicationbytesin_total") > 0

    def leader_when(under_replicated: bool) -> Samples | None:
        samples = leader_samples()
        return samples if (value(samples, "kafka_server_replicamanager_underreplicatedpartitions") > 0) == under_replicated else None

    # lag of a group, from whichever broker coordinates it (each holds a replica of the partition)
    group = "metrics-lag"
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group})
    consumer.commit(offsets=[TopicPartition(TOPIC, 0, 0)], asynchronous=False)
    consumer.close()

    def group_lag() -> float:
        return sum(value(scrape(url), "kafka_consumergroup_lag", consumergroup=group, topic=TOPIC, partition="0") for url in urls.values())

    # one record, committed offset 0 (a follower learns the high watermark with its next fetch)
    wait_until(lambda: group_lag() == 1, message="the group's lag on its coordinator")

    cluster.brokers[2].kill()
    shrunk = wait_until(lambda: leader_when(True), timeout=30, message="an under-replicated partition on the leader")
    assert value(shrunk, "kafka_server_replicamanager_isrshrinks_total") >= 1

    cluster.brokers[2].start()
    expanded = wait_until(lambda: leader_when(False), timeout=60, message="the follower back in the ISR")
    assert value(expanded, "kafka_server_replicamanager_isrexpands_total") >= 1


def test_group_lag_on_a_partition_its_coordinator_holds_no_replica_of(metered_cluster: tuple[Cluster, dict[int, str]]) -> None:
    """kafka-exporter reports lag on every partition a group committed: the coordinator asks the leader for the
    high watermark of a partition it has no replica of."""
    cluster, urls = metered_cluster
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    group = "metrics-remote-lag"
    coordinator = wait_until(
        lambda: admin.describe_consumer_groups([group])[group].result(10).coordinator, message="the group's coordinator"
    ).id
    elsewhere = next(b for b in sorted(urls) if b != coordinator)
    topic = "metrics-remote"
    admin.create_topics([NewTopic(topic, 1, replica_assignment=[[elsewhere]])])[topic].result(30)
    producer = Producer({"bootstrap.servers": cluster.bootstrap})
    for i in range(5):
        producer.produce(topic, b"%d" % i)
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": group})
    consumer.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    consumer.close()
    labels = {"consumergroup": group, "topic": topic, "partition": "0"}

    def committed() -> Samples | None:
        samples = scrape(urls[coordinator])
        return samples if value(samples, "kafka_consumergroup_current_offset", **labels) == 2 else None

    samples = wait_until(committed, message="the committed offset on the coordinator")
    assert (("kafka_consumergroup_lag", tuple(sorted(labels.items())))) in samples
    assert value(samples, "kafka_consumergroup_lag", **labels) == 3
    assert value(samples, "kafka_consumergroup_lag_sum", consumergroup=group, topic=topic) == 3
