"""Strom's own client through a leader failover: three Strom brokers with ZooKeeper, replication factor 3,
min.insync.replicas=2; strom.Producer (acks=all, idempotent) writes and a strom.Consumer group member
reads while the leader of a partition is killed -9. The client must find the new leader (NOT_LEADER /
lost connection -> metadata refresh), resend without duplicates, and keep consuming: every acknowledged
record is read back exactly once, in order, and the group consumer saw them all."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

import strom
from tests.cluster.conftest import wait_until
from tests.cluster.test_replication_chaos import (
    PARTITIONS,
    TOPIC,
    AckingProducer,
    GroupConsumer,
    check_acknowledged_records,
    drain_group,
    isr,
    leaders,
)

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(300)]


def strom_producer(bootstrap: str) -> strom.Producer:
    return strom.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "metadata.max.age.ms": 1000})


def strom_group_consumer(bootstrap: str) -> strom.Consumer:
    return strom.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "client-failover",
            "auto.offset.reset": "earliest",
            "auto.commit.interval.ms": 500,
            "metadata.max.age.ms": 1000,
            "session.timeout.ms": 10000,
        }
    )


def test_strom_client_follows_a_leader_failover(cluster_factory: Any) -> None:
    cluster = cluster_factory(3, replica_lag_time_max_ms="10000", zookeeper_session_timeout_ms="6000")
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 3, config={"min.insync.replicas": "2"})])[TOPIC].result(30)
    wait_until(lambda: len(leaders(cluster.bootstrap)) == PARTITIONS and all(v >= 0 for v in leaders(cluster.bootstrap).values()))
    wait_until(lambda: all(isr(cluster.bootstrap, p) == [0, 1, 2] for p in range(PARTITIONS)), message="full ISR")

    producer = AckingProducer(cluster.bootstrap, strom_producer(cluster.bootstrap))
    group = GroupConsumer(cluster.bootstrap, strom_group_consumer(cluster.bootstrap))
    producer.start()
    group.start()
    try:
        wait_until(lambda: producer.acked_count > 500 and len(group.seen) > 200, timeout=60, message="first acks and reads")
        victim = leaders(cluster.bootstrap)[0]
        before = producer.acked_count
        cluster.brokers[victim].kill()
        survivors = ",".join(b.bootstrap for i, b in cluster.brokers.items() if i != victim)
        wait_until(lambda: all(v not in (victim, -1) for v in leaders(survivors).values()), timeout=60, message="a new leader")
        # the client found the new leaders by itself: acks continue on both partitions
        wait_until(lambda: producer.acked_count > before + 1000, timeout=60, message="acks after failover")
        acked_before = {p: len(v) for p, v in producer.acked.items()}
        wait_until(lambda: all(len(producer.acked[p]) > acked_before[p] + 100 for p in range(PARTITIONS)), timeout=60)
    finally:
        producer.stop()
        drain_group(producer, group)
    cluster.brokers[victim].start()
    wait_until(lambda: all(isr(cluster.bootstrap, p) == [0, 1, 2] for p in range(PARTITIONS)), timeout=90, message="ISR back to 3")
    assert check_acknowledged_records(cluster, producer) == 0
    print("client failover:", {"acked": producer.acked_count, "group_repeats": group.repeats})
