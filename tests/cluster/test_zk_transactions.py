"""Transactions in ZooKeeper mode: the coordinator of a transactional id is the leader of its
__transaction_state partition, markers reach partitions led by other brokers through WriteTxnMarkers, and
offsets committed in a transaction reach a group coordinated elsewhere; kill -9 of the transaction
coordinator moves the transactional id to the new leader, and the producer carries on."""

from __future__ import annotations

import time
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.coordination.offsets import partition_for
from tests.cluster.conftest import wait_until

pytestmark = pytest.mark.zookeeper

PARTITIONS = 3
TXN_PARTITIONS = 5  # BrokerProcess's transaction.state.log.num.partitions


def _read(bootstrap: str, topic: str, level: str, want: int, seconds: float = 20.0) -> list[bytes]:
    c = ck.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"r-{uuid.uuid4().hex[:6]}", "isolation.level": level, "enable.auto.commit": False}
    )
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    out: list[bytes] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(out) < want:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            out.append(m.value())
    extra = time.monotonic() + 1.0
    while time.monotonic() < extra:  # nothing more may come
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            out.append(m.value())
    c.close()
    return out


def _transaction(p: ck.Producer, topic: str, values: list[bytes], commit: bool) -> None:
    p.begin_transaction()
    for i, v in enumerate(values):
        p.produce(topic, v, partition=i % PARTITIONS)
    assert p.flush(30) == 0
    if commit:
        p.commit_transaction(30)
    else:
        p.abort_transaction(30)


def test_transactions_across_brokers_and_coordinator_failover(cluster_factory) -> None:  # type: ignore[no-untyped-def]
    cluster = cluster_factory(3, transaction_state_log_replication_factor="3", transaction_state_log_min_isr="2")
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    topic, source = f"ztx-{uuid.uuid4().hex[:6]}", f"zsrc-{uuid.uuid4().hex[:6]}"
    for name in (topic, source):
        admin.create_topics([NewTopic(name, PARTITIONS, 3)])[name].result(30)
    txn_id = f"ztx-{uuid.uuid4().hex[:6]}"
    p = ck.Producer({"bootstrap.servers": cluster.bootstrap, "transactional.id": txn_id, "linger.ms": 5, "acks": "all"})
    p.init_transactions(60)
    _transaction(p, topic, [b"c%d" % i for i in range(6)], commit=True)
    _transaction(p, topic, [b"a%d" % i for i in range(6)], commit=False)

    # consume-transform-produce: the group's offsets commit with the transaction
    plain = ck.Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(PARTITIONS):
        plain.produce(source, b"s%d" % i, partition=i)
    assert plain.flush(30) == 0
    group = f"zg-{uuid.uuid4().hex[:6]}"
    c = ck.Consumer(
        {"bootstrap.servers": cluster.bootstrap, "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"}
    )
    c.assign([ck.TopicPartition(source, i, 0) for i in range(PARTITIONS)])
    p.begin_transaction()
    p.produce(topic, b"ctp", partition=0)
    p.send_offsets_to_transaction([ck.TopicPartition(source, i, 1) for i in range(PARTITIONS)], c.consumer_group_metadata(), 30)
    p.commit_transaction(30)
    committed = wait_until(
        lambda: [tp.offset for tp in c.committed([ck.TopicPartition(source, i) for i in range(PARTITIONS)], 10)] == [1] * PARTITIONS,
        message="transactional offsets visible to the group",
    )
    assert committed
    c.close()
    assert sorted(_read(cluster.bootstrap, topic, "read_committed", 7)) == sorted([b"c%d" % i for i in range(6)] + [b"ctp"])
    assert len(_read(cluster.bootstrap, topic, "read_uncommitted", 13)) == 13

    # kill -9 the transaction coordinator: the id moves to the new leader of its partition
    md = admin.list_topics("__transaction_state", timeout=10).topics["__transaction_state"]
    coordinator = md.partitions[partition_for(txn_id, TXN_PARTITIONS)].leader
    leaders = {p.leader for p in admin.list_topics(topic, timeout=10).topics[topic].partitions.values()}
    assert leaders - {coordinator}, "some markers went to other brokers as WriteTxnMarkers"
    cluster.brokers[coordinator].kill()
    survivors = ",".join(b.bootstrap for i, b in cluster.brokers.items() if i != coordinator)
    _transaction(p, topic, [b"after%d" % i for i in range(3)], commit=True)
    values = _read(survivors, topic, "read_committed", 10)
    assert sorted(values) == sorted([b"c%d" % i for i in range(6)] + [b"ctp"] + [b"after%d" % i for i in range(3)])
    # a zombie with the same id is fenced by a new producer on the new coordinator
    successor = ck.Producer({"bootstrap.servers": survivors, "transactional.id": txn_id})
    successor.init_transactions(60)
    with pytest.raises(ck.KafkaException):
        _transaction(p, topic, [b"zombie"], commit=True)
    p.purge()
