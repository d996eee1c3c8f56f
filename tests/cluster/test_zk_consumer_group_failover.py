"""A KIP-848 consumer group moves with the leadership of its __consumer_offsets partition: kill -9 the broker
that coordinates it, and the broker elected leader of that partition resumes the group from the replicated
records -- same group epoch, same members and partitions -- while librdkafka consumers carry on; when the
old coordinator returns and gets its preferred leadership back, the group moves back the same way."""

from __future__ import annotations

import json
import time
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.coordination.offsets import partition_for
from strom.protocol.errors import ErrorCode
from strom.testing.broker import BrokerProcess
from tests.cluster.conftest import wait_until
from tests.integration.test_groups_consumer_protocol import describe, poll_until, split

pytestmark = pytest.mark.zookeeper

PARTITIONS = 6
OFFSETS_PARTITIONS = 5  # BrokerProcess's offsets.topic.num.partitions


def _produce(bootstrap: str, topic: str, values: range) -> None:
    p = ck.Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in values:
        p.produce(topic, value=b"%d" % i, partition=i % PARTITIONS)
    assert p.flush(30) == 0


def _members(d: object) -> dict[str, tuple[int, list[int]]]:
    return {m.member_id: (m.member_epoch, sorted(p for tp in m.assignment.topic_partitions for p in tp.partitions)) for m in d.members}  # type: ignore[attr-defined]


def _described(broker: BrokerProcess, group: str) -> object:
    """ConsumerGroupDescribe on one broker; falsy while that broker does not coordinate the group yet."""
    try:
        d = describe(broker.bootstrap, group)
    except OSError:
        return None
    return d if d.error_code == 0 else None  # type: ignore[attr-defined]


def test_coordinator_kill9_moves_the_consumer_group_with_its_state(cluster_factory) -> None:
    cluster = cluster_factory(
        3,
        group_consumer_heartbeat_interval_ms="500",
        group_consumer_session_timeout_ms="10000",
        leader_imbalance_check_interval_seconds="1",
    )
    zk = cluster.zk_client()
    consumers: list[ck.Consumer] = []
    try:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        topic = f"kip848-{uuid.uuid4().hex[:6]}"
        admin.create_topics([NewTopic(topic, PARTITIONS, 3)])[topic].result(30)
        group = f"failover-{uuid.uuid4().hex[:6]}"
        conf = {"bootstrap.servers": cluster.bootstrap, "group.id": group, "group.protocol": "consumer",
                "auto.offset.reset": "earliest", "enable.auto.commit": False}  # fmt: skip
        consumers = [ck.Consumer(conf) for _ in range(2)]
        for c in consumers:
            c.subscribe([topic])
        poll_until(consumers, split(consumers), timeout=60)
        _produce(cluster.bootstrap, topic, range(30))
        seen: list[bytes] = []
        poll_until(consumers, lambda: len(seen) >= 30, seen=seen, timeout=60)
        for c in consumers:
            c.commit(asynchronous=False)

        state_path = f"/brokers/topics/__consumer_offsets/partitions/{partition_for(group, OFFSETS_PARTITIONS)}/state"
        # a leader is elected from the ISR only: let both followers of the group's partition catch up first
        wait_until(lambda: len(json.loads(zk.get(state_path)[0])["isr"]) == 3, timeout=60, message="a full ISR for the group's partition")
        coordinator = json.loads(zk.get(state_path)[0])["leader"]
        before = wait_until(lambda: (d := _described(cluster.brokers[coordinator], group)) and d.group_state == "Stable" and d)  # type: ignore[attr-defined]
        assert before.group_epoch >= 1 and len(before.members) == 2
        killed_at = time.monotonic()
        cluster.brokers[coordinator].kill()

        [successor] = wait_until(  # a one-item list: broker id 0 is falsy
            lambda: (s := json.loads(zk.get(state_path)[0])["leader"]) not in (coordinator, -1) and [s], timeout=30, message="a new leader"
        )
        after = wait_until(lambda: _described(cluster.brokers[successor], group), timeout=30, message="the group on its new coordinator")
        moved_s = time.monotonic() - killed_at
        assert (after.group_epoch, after.assignment_epoch) == (before.group_epoch, before.assignment_epoch), (before, after)  # type: ignore[attr-defined]
        assert _members(after) == _members(before)
        [bystander] = {0, 1, 2} - {coordinator, successor}
        assert describe(cluster.brokers[bystander].bootstrap, group).error_code == ErrorCode.NOT_COORDINATOR  # type: ignore[attr-defined]

        # the members carry on with the new coordinator: new records are read once, commits are accepted
        _produce(cluster.bootstrap, topic, range(30, 42))
        more: list[bytes] = []
        poll_until(consumers, lambda: len(more) >= 12, seen=more, timeout=60)
        assert sorted(int(v) for v in seen) == list(range(30)) and sorted(int(v) for v in more) == list(range(30, 42))
        for c in consumers:
            c.commit(asynchronous=False)
        end = _described(cluster.brokers[successor], group)
        assert end is not None and end.group_epoch == before.group_epoch and _members(end) == _members(before)  # type: ignore[attr-defined]
        committed = admin.list_consumer_group_offsets([ck.ConsumerGroupTopicPartitions(group)])[group].result(30)
        assert sum(tp.offset for tp in committed.topic_partitions) == 42
        print(f"group resumed on broker {successor} {moved_s:.1f}s after coordinator {coordinator} was killed")

        # the old coordinator returns, catches up, and the preferred-leader rebalance gives it the partition back:
        # the successor unloads the group, the returning broker loads it from what it replicated meanwhile
        cluster.brokers[coordinator].start()
        wait_until(lambda: json.loads(zk.get(state_path)[0])["leader"] == coordinator, timeout=60, message="leadership back")
        back = wait_until(lambda: _described(cluster.brokers[coordinator], group), timeout=30, message="the group back home")
        assert back.group_epoch == before.group_epoch and _members(back) == _members(before)  # type: ignore[attr-defined]
        assert describe(cluster.brokers[successor].bootstrap, group).error_code == ErrorCode.NOT_COORDINATOR  # type: ignore[attr-defined]
        _produce(cluster.bootstrap, topic, range(42, 48))
        last: list[bytes] = []
        poll_until(consumers, lambda: len(last) >= 6, seen=last, timeout=60)
        assert sorted(int(v) for v in last) == list(range(42, 48))
    finally:
        for c in consumers:
            c.close()
