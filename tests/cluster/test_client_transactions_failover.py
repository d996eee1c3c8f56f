"""Strom's transactional producer on a 3-broker Strom cluster (ZooKeeper mode) while its transaction
coordinator is killed with kill -9 in the middle of an open transaction: the producer finds the new
coordinator (NOT_COORDINATOR / lost connection -> FindCoordinator again), commits, and a read_committed
consumer sees every committed record once and no aborted one. Offsets sent in the transactions reach
the group too."""

from __future__ import annotations

import time
import uuid

import pytest

import strom
from strom import NewTopic, TopicPartition
from strom.coordination.offsets import partition_for
from tests.cluster.conftest import wait_until

pytestmark = [pytest.mark.zookeeper, pytest.mark.timeout(300)]

PARTITIONS = 3
TXN_PARTITIONS = 5  # BrokerProcess's transaction.state.log.num.partitions


def _read_committed(bootstrap: str, topic: str, want: int, seconds: float = 30.0) -> list[bytes]:
    c = strom.Consumer({"bootstrap.servers": bootstrap, "isolation.level": "read_committed", "fetch.max.wait.ms": 100})
    c.assign([TopicPartition(topic, p, strom.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    out: list[bytes] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(out) < want:
        out += [m.value() for m in c.consume(100, 0.2) if m.error() is None]
    quiet = time.monotonic() + 1.0
    while time.monotonic() < quiet:  # nothing more may come
        out += [m.value() for m in c.consume(100, 0.2) if m.error() is None]
    c.close()
    return out


def test_transactions_survive_a_coordinator_kill(cluster_factory) -> None:  # type: ignore[no-untyped-def]
    cluster = cluster_factory(3, transaction_state_log_replication_factor="3", transaction_state_log_min_isr="2", min_insync_replicas="2")
    admin = strom.AdminClient({"bootstrap.servers": cluster.bootstrap})
    topic = f"ctx-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, PARTITIONS, 3)])[topic].result(30)
    wait_until(lambda: len(getattr(admin.list_topics(topic).topics.get(topic), "partitions", {})) == PARTITIONS)
    txn_id, group = f"ctx-{uuid.uuid4().hex[:6]}", f"cg-{uuid.uuid4().hex[:6]}"
    p = strom.Producer({"bootstrap.servers": cluster.bootstrap, "transactional.id": txn_id, "linger.ms": 5})
    p.init_transactions(60)
    committed: list[bytes] = []

    def transaction(n: int, tag: str, commit: bool, before_end: object = None) -> None:
        values = [b"%s-%d" % (tag.encode(), i) for i in range(n)]
        p.begin_transaction()
        for i, v in enumerate(values):
            p.produce(topic, v, partition=i % PARTITIONS)
        # the group's offset on partition 0 of the topic: how many transactions committed so far
        p.send_offsets_to_transaction([TopicPartition(topic, 0, len(committed) + n)], strom.client.types.ConsumerGroupMetadata(group), 60)
        assert p.flush(60) == 0
        if callable(before_end):
            before_end()
        if commit:
            p.commit_transaction(60)
            committed.extend(values)
        else:
            p.abort_transaction(60)

    transaction(12, "before", commit=True)
    transaction(6, "aborted", commit=False)

    md = admin.list_topics("__transaction_state", timeout=10).topics["__transaction_state"]
    coordinator = md.partitions[partition_for(txn_id, TXN_PARTITIONS)].leader
    admin.close()

    def kill_coordinator() -> None:
        cluster.brokers[coordinator].kill()

    killed_port = int(cluster.brokers[coordinator].bootstrap.rsplit(":", 1)[1])
    assert p._aio.txn._coordinator.port == killed_port  # type: ignore[union-attr]
    transaction(9, "across-kill", commit=True, before_end=kill_coordinator)  # EndTxn goes to the new coordinator
    assert p._aio.txn._coordinator.port != killed_port  # type: ignore[union-attr]
    transaction(9, "after", commit=True)
    transaction(3, "aborted-after", commit=False)
    p.close()

    survivors = ",".join(b.bootstrap for i, b in cluster.brokers.items() if i != coordinator)
    got = _read_committed(survivors, topic, len(committed))
    assert sorted(got) == sorted(committed)  # each committed record once, nothing aborted
    reader = strom.Consumer({"bootstrap.servers": survivors, "group.id": group})
    offsets = wait_until(lambda: reader.committed([TopicPartition(topic, 0)], timeout=10)[0].offset, message="group offset")
    reader.close()
    assert offsets == len(committed)
