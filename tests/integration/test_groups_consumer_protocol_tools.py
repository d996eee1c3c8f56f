"""KIP-848 groups as users see them: Apache Kafka's kafka-consumer-groups.sh (ConsumerGroupDescribe, ListGroups
with types, reset and delete) and static members (group.instance.id) of librdkafka consumers restarting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.broker import BrokerProcess

from .test_groups_consumer_protocol import describe, owned, poll_until

PARTITIONS = 4
SESSION_MS = 6000


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides={"group.consumer.heartbeat.interval.ms": "500", "group.consumer.session.timeout.ms": str(SESSION_MS)})
    b.start()
    yield b
    b.close()


def setup_topic(bootstrap: str) -> str:
    topic = f"tools-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(10)
    p = ck.Producer({"bootstrap.servers": bootstrap})
    for i in range(20):
        p.produce(topic, b"%d" % i, partition=i % PARTITIONS)
    p.flush(10)
    return topic


def static_consumer(bootstrap: str, group: str, instance: str) -> ck.Consumer:
    return ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer",
                        "auto.offset.reset": "earliest", "group.instance.id": instance, "enable.auto.commit": False})  # fmt: skip


@pytest.mark.java
def test_kafka_consumer_groups_tool_on_a_consumer_protocol_group(broker: BrokerProcess, kafka_tool: Any) -> None:
    topic = setup_topic(broker.bootstrap)
    group = f"tool-{uuid.uuid4().hex[:6]}"
    members = [static_consumer(broker.bootstrap, group, f"inst-{i}") for i in range(2)]
    for c in members:
        c.subscribe([topic])
    poll_until(members, lambda: [len(owned(c)) for c in members] == [2, 2])
    poll_until(members, lambda: all(tp.offset == 5 for c in members for tp in c.position(list(c.assignment()))))
    for c in members:
        c.commit(asynchronous=False)

    def tool(*args: str) -> str:
        r = kafka_tool("kafka-consumer-groups.sh", ["--bootstrap-server", broker.bootstrap, *args])
        assert r.returncode == 0, r.stderr[-1500:]
        return str(r.stdout)

    listed = [line.split() for line in tool("--list", "--type").splitlines()]
    assert [group, "Consumer"] in listed
    rows = [line.split() for line in tool("--describe", "--group", group, "--members", "--verbose").splitlines() if line.startswith(group)]
    assert sorted(r[2] for r in rows) == ["inst-0", "inst-1"] and sorted(r[5] for r in rows) == ["2", "2"]
    state = [line.split() for line in tool("--describe", "--group", group, "--state").splitlines() if line.startswith(group)]
    assert state[0][-3:] == ["uniform", "Stable", "2"]
    offsets = [line.split() for line in tool("--describe", "--group", group).splitlines() if line.startswith(group)]
    assert sorted((r[2], r[3], r[5]) for r in offsets) == [(str(p), "5", "0") for p in range(PARTITIONS)]
    for c in members:
        c.close()  # static members leave with epoch -2 and keep their partitions until their session ends
    time.sleep(SESSION_MS / 1000 + 1)
    state = [line.split() for line in tool("--describe", "--group", group, "--state").splitlines() if line.startswith(group)]
    assert state[0][-2:] == ["Empty", "0"]
    reset = tool("--group", group, "--topic", topic, "--reset-offsets", "--to-earliest", "--execute")
    assert reset.split().count(group) == PARTITIONS  # Kafka 3.9's tool prints these rows without line breaks
    assert "successful" in tool("--delete", "--group", group)


def test_static_member_restart_keeps_partitions_without_rebalance(broker: BrokerProcess) -> None:
    topic = setup_topic(broker.bootstrap)
    group = f"static-{uuid.uuid4().hex[:6]}"
    a, b = static_consumer(broker.bootstrap, group, "a"), static_consumer(broker.bootstrap, group, "b")
    for c in (a, b):
        c.subscribe([topic])
    poll_until([a, b], lambda: len(owned(a)) == len(owned(b)) == PARTITIONS // 2)
    poll_until([a, b], lambda: describe(broker.bootstrap, group).group_state == "Stable")  # type: ignore[attr-defined]
    before = describe(broker.bootstrap, group)
    b_parts = owned(b)
    b.close()  # MemberEpoch -2: b's partitions stay reserved for it
    a.poll(1.0)
    assert owned(a) == set(range(PARTITIONS)) - b_parts
    b = static_consumer(broker.bootstrap, group, "b")
    b.subscribe([topic])
    poll_until([a, b], lambda: owned(b) == b_parts, timeout=SESSION_MS / 1000)
    after = describe(broker.bootstrap, group)
    assert after.group_epoch == before.group_epoch  # type: ignore[attr-defined]  # no rebalance
    assert {m.instance_id for m in after.members} == {"a", "b"}  # type: ignore[attr-defined]
    a.close()
    b.close()
