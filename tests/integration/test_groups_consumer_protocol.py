"""KIP-848 consumer groups (group.protocol=consumer) on a real Strom broker, driven by librdkafka
(confluent-kafka) and Apache Kafka's Java consumer: server-side assignment, members joining and
leaving, partitions moving, offsets, describe/list, and mixed classic/consumer groups."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.errors import ErrorCode
from strom.protocol.schema import consumer_group_describe as describe_schema
from strom.protocol.schema import consumer_group_heartbeat as heartbeat_schema
from strom.testing.apache_kafka import TOOLS, java_command
from strom.testing.broker import BrokerProcess
from strom.transport.connection import BrokerConnection

PARTITIONS = 6
OVERRIDES = {
    "group.consumer.heartbeat.interval.ms": "500",
    "group.consumer.session.timeout.ms": "6000",
    "group.min.session.timeout.ms": "1000",
    "group.initial.rebalance.delay.ms": "0",
}


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides=OVERRIDES).start()
    yield b
    b.close()


@pytest.fixture(scope="module")
def admin(broker: BrokerProcess) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def new_topic(admin: AdminClient, partitions: int = PARTITIONS) -> str:
    topic = f"kip848-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(10)
    return topic


def produce(bootstrap: str, topic: str, count: int) -> None:
    p = ck.Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        p.produce(topic, value=b"%d" % i, partition=i % PARTITIONS)
    p.flush(10)


def consumer(bootstrap: str, group: str, **conf: object) -> ck.Consumer:
    return ck.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer", "auto.offset.reset": "earliest", **conf}
    )


def owned(c: ck.Consumer) -> set[int]:
    return {tp.partition for tp in c.assignment()}


def poll_until(members: list[ck.Consumer], done: Callable[[], bool], timeout: float = 30.0, seen: list[bytes] | None = None) -> float:
    start = time.monotonic()
    while not done():
        assert time.monotonic() - start < timeout, [sorted(owned(c)) for c in members]
        for c in members:
            msg = c.poll(0.02)
            if msg is not None and msg.error() is None and seen is not None:
                seen.append(msg.value())
    return time.monotonic() - start


def split(members: list[ck.Consumer], partitions: int = PARTITIONS) -> Callable[[], bool]:
    def check() -> bool:
        sets = [owned(c) for c in members]
        sizes = [len(s) for s in sets]
        return sum(sizes) == partitions and set().union(*sets) == set(range(partitions)) and max(sizes) - min(sizes) <= 1

    return check


def describe(bootstrap: str, group: str) -> object:
    async def go() -> object:
        host, port = bootstrap.rsplit(":", 1)
        conn = BrokerConnection(host, int(port))
        await conn.connect()
        try:
            request = describe_schema.ConsumerGroupDescribeRequest(group_ids=[group], include_authorized_operations=False)
            return (await conn.send(request)).groups[0]
        finally:
            conn.close()

    return asyncio.run(go())


def raw_heartbeat(bootstrap: str, request: object) -> object:
    async def go() -> object:
        host, port = bootstrap.rsplit(":", 1)
        conn = BrokerConnection(host, int(port))
        await conn.connect()
        try:
            return await conn.send(request)
        finally:
            conn.close()

    return asyncio.run(go())


def test_librdkafka_members_join_one_leaves_partitions_move(broker: BrokerProcess, admin: AdminClient) -> None:
    topic = new_topic(admin)
    produce(broker.bootstrap, topic, 60)
    group = f"cg-{uuid.uuid4().hex[:6]}"
    members: list[ck.Consumer] = []
    seen: list[bytes] = []
    for _ in range(3):
        c = consumer(broker.bootstrap, group)
        c.subscribe([topic])
        members.append(c)
        poll_until(members, split(members), seen=seen)
    poll_until(members, lambda: describe(broker.bootstrap, group).group_state == "Stable", seen=seen)  # type: ignore[attr-defined]
    d = describe(broker.bootstrap, group)
    assert d.error_code == 0 and len(d.members) == 3  # type: ignore[attr-defined]
    assert d.assignor_name == "uniform" and d.group_epoch == d.assignment_epoch == 3  # type: ignore[attr-defined]
    assert sorted(len(m.assignment.topic_partitions[0].partitions) for m in d.members) == [2, 2, 2]  # type: ignore[attr-defined]
    listed = admin.list_consumer_groups().result(10)
    assert group in {g.group_id for g in listed.valid}
    leaver = members.pop(0)
    leaver.close()  # sends MemberEpoch -1: the others take its partitions without waiting for a timeout
    took = poll_until(members, split(members), seen=seen)
    assert took < 5, took
    poll_until(members, lambda: len(set(seen)) >= 60, seen=seen)
    assert sorted(int(v) for v in set(seen)) == list(range(60))
    for c in members:
        c.close()
    d = describe(broker.bootstrap, group)
    assert d.group_state == "Empty" and d.members == []  # type: ignore[attr-defined]


def test_librdkafka_commits_and_resumes_with_member_epochs(broker: BrokerProcess, admin: AdminClient) -> None:
    topic = new_topic(admin)
    produce(broker.bootstrap, topic, 30)
    group = f"cg-{uuid.uuid4().hex[:6]}"
    c = consumer(broker.bootstrap, group, **{"enable.auto.commit": False})
    c.subscribe([topic])
    got = 0
    deadline = time.monotonic() + 30
    while got < 30 and time.monotonic() < deadline:
        msg = c.poll(0.1)
        if msg is not None and msg.error() is None:
            got += 1
    assert got == 30
    c.commit(asynchronous=False)  # OffsetCommit v9 with the member epoch
    committed = c.committed([ck.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
    assert sum(tp.offset for tp in committed) == 30
    c.close()
    again = consumer(broker.bootstrap, group)
    again.subscribe([topic])
    poll_until([again], lambda: len(owned(again)) == PARTITIONS)
    assert again.poll(1.0) is None  # everything was committed
    again.close()


def join_request(group: str, topic: str) -> object:
    return heartbeat_schema.ConsumerGroupHeartbeatRequest(
        group_id=group,
        member_id=uuid.uuid4().hex,  # v1 (KIP-1082): the client picks its member id
        member_epoch=0,
        rebalance_timeout_ms=5000,
        subscribed_topic_names=[topic],
        topic_partitions=[],
    )


def test_session_timeout_moves_partitions_of_a_silent_member(broker: BrokerProcess, admin: AdminClient) -> None:
    topic = new_topic(admin)
    group = f"cg-{uuid.uuid4().hex[:6]}"
    a = consumer(broker.bootstrap, group)
    a.subscribe([topic])
    poll_until([a], lambda: len(owned(a)) == PARTITIONS)
    silent = raw_heartbeat(broker.bootstrap, join_request(group, topic))  # joins, then never heartbeats again
    assert silent.error_code == 0 and silent.member_epoch == 2  # type: ignore[attr-defined]
    assert silent.assignment.topic_partitions == []  # type: ignore[attr-defined]  # a must revoke first
    poll_until([a], lambda: len(owned(a)) == PARTITIONS // 2)
    start = time.monotonic()
    poll_until([a], lambda: len(owned(a)) == PARTITIONS, timeout=20)  # group.consumer.session.timeout.ms = 6 s
    assert 4 < time.monotonic() - start < 10
    d = describe(broker.bootstrap, group)
    assert [m.member_id for m in d.members] != [silent.member_id] and len(d.members) == 1  # type: ignore[attr-defined]
    a.close()


def test_mixed_classic_and_consumer_groups(broker: BrokerProcess, admin: AdminClient) -> None:
    topic = new_topic(admin)
    group = f"mixed-{uuid.uuid4().hex[:6]}"
    classic = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "session.timeout.ms": 6000})
    classic.subscribe([topic])
    poll_until([classic], lambda: len(owned(classic)) == PARTITIONS)
    r = raw_heartbeat(broker.bootstrap, join_request(group, topic))
    assert r.error_code == ErrorCode.GROUP_ID_NOT_FOUND  # type: ignore[attr-defined]
    assert describe(broker.bootstrap, group).error_code == ErrorCode.GROUP_ID_NOT_FOUND  # type: ignore[attr-defined]
    classic.close()

    other = f"mixed-{uuid.uuid4().hex[:6]}"
    new = consumer(broker.bootstrap, other)
    new.subscribe([topic])
    poll_until([new], lambda: len(owned(new)) == PARTITIONS)
    old = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": other, "session.timeout.ms": 6000})
    old.subscribe([topic])
    errors: list[int] = []
    deadline = time.monotonic() + 10
    while not errors and time.monotonic() < deadline:
        new.poll(0.05)
        msg = old.poll(0.1)
        if msg is not None and msg.error() is not None:
            errors.append(msg.error().code())
    assert errors == [ck.KafkaError.INCONSISTENT_GROUP_PROTOCOL]
    old.close()
    new.close()


def _java_consumer(bootstrap: str, topic: str, group: str) -> subprocess.Popen[str]:
    args = ["--bootstrap-server", bootstrap, "--topic", topic, "--group", group, "--from-beginning",
            "--consumer-property", "group.protocol=consumer", "--property", "print.partition=true"]  # fmt: skip
    return subprocess.Popen(
        java_command(TOOLS["kafka-console-consumer.sh"], args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _committed_total(admin: AdminClient, group: str) -> int:
    request = [ck.ConsumerGroupTopicPartitions(group)]
    result = admin.list_consumer_group_offsets(request)[group].result(10)
    return sum(max(tp.offset, 0) for tp in result.topic_partitions)


def _assignment_sizes(bootstrap: str, group: str) -> list[int]:
    d = describe(bootstrap, group)
    return sorted(sum(len(tp.partitions) for tp in m.assignment.topic_partitions) for m in d.members)  # type: ignore[attr-defined]


@pytest.mark.java
def test_java_consumers_split_and_take_over(broker: BrokerProcess, admin: AdminClient, kafka_tool: object) -> None:
    topic = new_topic(admin)
    produce(broker.bootstrap, topic, 60)
    group = f"java-cg-{uuid.uuid4().hex[:6]}"
    procs = [_java_consumer(broker.bootstrap, topic, group) for _ in range(2)]
    outputs: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while _assignment_sizes(broker.bootstrap, group) != [3, 3]:
            assert time.monotonic() < deadline, (_assignment_sizes(broker.bootstrap, group), [p.poll() for p in procs])
            time.sleep(0.3)
        d = describe(broker.bootstrap, group)
        assert d.group_state == "Stable" and all(m.client_id.startswith("console-consumer") for m in d.members)  # type: ignore[attr-defined]
        procs[0].send_signal(signal.SIGTERM)  # the console consumer closes: leave with epoch -1
        procs[0].wait(30)
        deadline = time.monotonic() + 20
        while _assignment_sizes(broker.bootstrap, group) != [PARTITIONS]:
            assert time.monotonic() < deadline, _assignment_sizes(broker.bootstrap, group)
            time.sleep(0.3)
        # the survivor reads what it took over: wait for its auto-commits to cover all 60 records before stopping it
        deadline = time.monotonic() + 45
        while _committed_total(admin, group) < 60:
            assert time.monotonic() < deadline, f"committed {_committed_total(admin, group)} of 60"
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                out, _ = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
            outputs.append(out)
    values = {line.split("\t")[-1] for out in outputs for line in out.splitlines() if line.startswith("Partition:")}
    assert values == {str(i) for i in range(60)}


def strom_consumer(bootstrap: str, group: str, **conf: object) -> object:
    import strom

    return strom.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer", "auto.offset.reset": "earliest", **conf}
    )


def test_strom_consumers_speak_the_consumer_protocol_beside_librdkafka(broker: BrokerProcess, admin: AdminClient) -> None:
    """Strom's own consumer with group.protocol=consumer (KIP-848), as librdkafka 2.4+: two Strom members and a
    librdkafka one share the partitions the coordinator assigns, read every record once, commit with their
    member epochs, and a leaving Strom member's partitions move to the others."""
    topic = new_topic(admin)
    produce(broker.bootstrap, topic, 60)
    group = f"cg-{uuid.uuid4().hex[:6]}"
    seen: list[bytes] = []
    ours = [strom_consumer(broker.bootstrap, group) for _ in range(2)]
    theirs = consumer(broker.bootstrap, group)
    members: list[object] = [*ours, theirs]
    for c in members:
        c.subscribe([topic])  # type: ignore[attr-defined]
    poll_until(members, split(members), timeout=60, seen=seen)  # type: ignore[arg-type]
    d = describe(broker.bootstrap, group)
    assert len(d.members) == 3  # type: ignore[attr-defined]
    poll_until(members, lambda: len(set(seen)) >= 60, timeout=60, seen=seen)  # type: ignore[arg-type]
    assert sorted(int(v) for v in set(seen)) == list(range(60))
    for c in ours:
        c.commit(asynchronous=False)  # type: ignore[attr-defined]
    leaver = ours.pop(0)
    leaver.close()  # type: ignore[attr-defined]
    rest: list[object] = [*ours, theirs]
    poll_until(rest, split(rest), timeout=30)  # type: ignore[arg-type]
    for c in rest:
        c.close()  # type: ignore[attr-defined]
    assert describe(broker.bootstrap, group).group_state == "Empty"  # type: ignore[attr-defined]


def test_strom_consumer_pattern_joins_once_a_topic_matches(broker: BrokerProcess, admin: AdminClient) -> None:
    """A pattern that matches nothing yet keeps the KIP-848 member out of the group (an empty first heartbeat
    is INVALID_REQUEST); it joins when a matching topic appears."""
    prefix = f"pat{uuid.uuid4().hex[:6]}"
    c = strom_consumer(broker.bootstrap, f"cg-{prefix}", **{"metadata.max.age.ms": 500})
    c.subscribe([f"^{prefix}-.*"])  # type: ignore[attr-defined]
    for _ in range(10):
        assert c.poll(0.1) is None  # type: ignore[attr-defined]
    topic = f"{prefix}-a"
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(10)
    produce(broker.bootstrap, topic, 4)
    got = 0
    deadline = time.monotonic() + 30
    while got < 4 and time.monotonic() < deadline:
        msg = c.poll(0.2)  # type: ignore[attr-defined]
        if msg is not None and msg.error() is None:
            got += 1
    c.close()  # type: ignore[attr-defined]
    assert got == 4
