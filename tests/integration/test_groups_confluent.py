"""Consumer groups on a real Strom broker, driven by confluent-kafka (librdkafka) consumers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.broker import BrokerProcess

PARTITIONS = 6
SESSION_MS = 3000
ASSIGNORS = ["range", "roundrobin", "cooperative-sticky"]


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides={"group.min.session.timeout.ms": "1000"}).start()
    yield b
    b.close()


def new_topic(bootstrap: str, partitions: int = PARTITIONS) -> str:
    topic = f"grp-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(10)
    return topic


def consumer(bootstrap: str, group: str, **conf: object) -> ck.Consumer:
    return ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": SESSION_MS,
            "heartbeat.interval.ms": 300,
            **conf,
        }
    )


def owned(c: ck.Consumer) -> set[int]:
    return {tp.partition for tp in c.assignment()}


def poll_until(members: list[ck.Consumer], done: Callable[[], bool], timeout: float = 30.0) -> float:
    """Polls every member in turn (rebalance callbacks run inside poll) until done(); returns seconds."""
    start = time.monotonic()
    while not done():
        assert time.monotonic() - start < timeout, [sorted(owned(c)) for c in members]
        for c in members:
            msg = c.poll(0.02)
            assert msg is None or msg.error() is None or msg.error().code() == ck.KafkaError._PARTITION_EOF, msg.error()
    return time.monotonic() - start


def balanced(members: list[ck.Consumer], partitions: int = PARTITIONS) -> Callable[[], bool]:
    def check() -> bool:
        sets = [owned(c) for c in members]
        union = set().union(*sets)
        sizes = [len(s) for s in sets]
        return sum(sizes) == partitions and union == set(range(partitions)) and max(sizes) - min(sizes) <= 1

    return check


@pytest.mark.parametrize("assignor", ASSIGNORS)
def test_two_then_three_members_split_six_partitions(broker: BrokerProcess, assignor: str) -> None:
    topic = new_topic(broker.bootstrap)
    group = f"split-{assignor}-{uuid.uuid4().hex[:6]}"
    members = [consumer(broker.bootstrap, group, **{"partition.assignment.strategy": assignor}) for _ in range(2)]
    try:
        for c in members:
            c.subscribe([topic])
        poll_until(members, balanced(members))
        assert sorted(len(owned(c)) for c in members) == [3, 3]
        third = consumer(broker.bootstrap, group, **{"partition.assignment.strategy": assignor})
        members.append(third)
        third.subscribe([topic])
        took = poll_until(members, balanced(members))
        assert sorted(len(owned(c)) for c in members) == [2, 2, 2]
        print(f"rebalance to 3 members ({assignor}): {took:.2f}s")
    finally:
        for c in members:
            c.close()


MEMBER_SCRIPT = textwrap.dedent(
    """
    import sys, confluent_kafka as ck
    c = ck.Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "session.timeout.ms": SESSION,
                     "heartbeat.interval.ms": 300, "enable.auto.commit": False, "group.instance.id": sys.argv[4] or None})
    c.subscribe([sys.argv[3]])
    told = False
    while True:
        c.poll(0.05)
        if c.assignment() and not told:
            print("assigned", len(c.assignment()), flush=True)
            told = True
    """
).replace("SESSION", str(SESSION_MS))


def spawn_member(bootstrap: str, group: str, topic: str, instance: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", MEMBER_SCRIPT, bootstrap, group, topic, instance], stdout=subprocess.PIPE, text=True)


def kill_9(proc: subprocess.Popen[str] | None) -> None:
    if proc is not None:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_member_killed_9_is_replaced_after_session_timeout(broker: BrokerProcess) -> None:
    topic = new_topic(broker.bootstrap)
    group = f"kill9-{uuid.uuid4().hex[:6]}"
    proc = spawn_member(broker.bootstrap, group, topic)
    survivor = consumer(broker.bootstrap, group)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("assigned")
        survivor.subscribe([topic])
        poll_until([survivor], lambda: len(owned(survivor)) == 3)
        proc.kill()
        proc.wait()
        killed_at = time.monotonic()
        poll_until([survivor], lambda: len(owned(survivor)) == PARTITIONS, timeout=SESSION_MS / 1000 + 15)
        took = time.monotonic() - killed_at
        # the dead member is noticed by its missing heartbeats, not before its session timeout
        assert SESSION_MS / 1000 - 0.5 <= took <= SESSION_MS / 1000 + 10, took
    finally:
        kill_9(proc)
        survivor.close()


def test_static_member_restart_within_session_timeout_causes_no_rebalance(broker: BrokerProcess) -> None:
    topic = new_topic(broker.bootstrap)
    group = f"static-{uuid.uuid4().hex[:6]}"
    events: list[str] = []
    stayer = consumer(broker.bootstrap, group, **{"group.instance.id": "stayer"})
    stayer.subscribe(
        [topic],
        on_assign=lambda c, ps: events.append(f"assign {len(ps)}"),
        on_revoke=lambda c, ps: events.append(f"revoke {len(ps)}"),
    )
    first = spawn_member(broker.bootstrap, group, topic, "mover")
    second = None
    try:
        poll_until([stayer], lambda: len(owned(stayer)) == 3)
        assert first.stdout is not None and first.stdout.readline().startswith("assigned 3")
        settled = list(events)
        first.kill()  # kill -9: no LeaveGroup, the static member's session keeps its partitions
        first.wait()
        second = spawn_member(broker.bootstrap, group, topic, "mover")
        assert second.stdout is not None and second.stdout.readline().startswith("assigned 3")
        end = time.monotonic() + SESSION_MS / 1000 + 1  # past the old incarnation's session timeout
        while time.monotonic() < end:
            stayer.poll(0.1)
        assert events == settled and len(owned(stayer)) == 3
    finally:
        kill_9(first)
        kill_9(second)
        stayer.close()


def produce(bootstrap: str, topic: str, n: int) -> None:
    producer = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(n):
        producer.produce(topic, key=b"%d" % i, value=b"v%d" % i)
    assert producer.flush(30) == 0


def read_all(members: list[ck.Consumer], n: int, timeout: float = 30.0) -> list[bytes]:
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        for c in members:
            msg = c.poll(0.05)
            if msg is not None and msg.error() is None:
                got.append(msg.value())
    return got


def test_two_groups_each_read_every_message(broker: BrokerProcess) -> None:
    topic = new_topic(broker.bootstrap)
    names = [f"{g}-{uuid.uuid4().hex[:6]}" for g in ("alpha", "beta")]
    groups = [[consumer(broker.bootstrap, name) for _ in range(2)] for name in names]
    everyone = [c for members in groups for c in members]
    try:
        for c in everyone:
            c.subscribe([topic])
        poll_until(everyone, lambda: all(balanced(members)() for members in groups))
        produce(broker.bootstrap, topic, 600)
        expected = sorted(b"v%d" % i for i in range(600))
        for members in groups:  # each group splits the partitions, and together its members read each message once
            assert sorted(read_all(members, 600)) == expected
    finally:
        for c in everyone:
            c.close()


def test_committed_offsets_and_group_survive_broker_kill_9(strom_broker_factory: Callable[..., BrokerProcess]) -> None:
    b = strom_broker_factory(group_min_session_timeout_ms="1000")
    topic = new_topic(b.bootstrap)
    produce(b.bootstrap, topic, 300)
    group = f"durable-{uuid.uuid4().hex[:6]}"
    c = consumer(b.bootstrap, group)
    c.subscribe([topic])
    got = read_all([c], 300)
    assert len(got) == 300
    c.commit(asynchronous=False)
    committed = {tp.partition: tp.offset for tp in c.committed([ck.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)}
    c.close()
    b.kill()  # kill -9, default flush policy: the page cache keeps what the broker appended
    b.start()
    c = consumer(b.bootstrap, group)
    try:
        after = {tp.partition: tp.offset for tp in c.committed([ck.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)}
        assert after == committed and sum(after.values()) == 300
        c.subscribe([topic])
        produce(b.bootstrap, topic, 10)
        assert sorted(read_all([c], 10)) == sorted(b"v%d" % i for i in range(10))  # resumes, no replay
    finally:
        c.close()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    listed = admin.list_consumer_groups().result(10)
    assert group in {g.group_id for g in listed.valid}
