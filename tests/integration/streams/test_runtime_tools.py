"""The pieces of the Streams runtime that talk to a broker on their own: an assignor object in the client's group
protocol (user data both ways), internal topic creation, and kafka-streams-application-reset."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

import pytest

from strom import Consumer, Producer
from strom.admin import AdminClient, NewTopic
from strom.cli import kafka_streams_application_reset as reset
from strom.client.consumer_protocol import Assignment, Subscription
from strom.client.types import TopicPartition
from strom.streams.runtime.internal_topics import (
    InternalTopicError,
    InternalTopicManager,
    changelog_topic_config,
    repartition_topic_config,
)
from strom.testing.broker import BrokerProcess


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    with BrokerProcess() as b:
        yield b


@pytest.fixture(scope="module")
def admin(broker: BrokerProcess) -> Iterator[AdminClient]:
    a = AdminClient({"bootstrap.servers": broker.bootstrap})
    yield a
    a.close()


class EchoAssignor:
    """Gives every partition to the member whose user data sorts first, and tells each what the others sent."""

    name = "echo"

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.got: list[tuple[bytes | None, int]] = []

    def subscription_user_data(self, topics: list[str]) -> bytes | None:
        return self.tag.encode()

    def assign(self, subscriptions: Mapping[str, Subscription], partitions: Mapping[str, int]) -> dict[str, Assignment]:
        first = min(subscriptions, key=lambda m: subscriptions[m].user_data or b"")
        everyone = b",".join(sorted(s.user_data or b"" for s in subscriptions.values()))
        tps = [(t, p) for t, n in partitions.items() for p in range(n)]
        return {m: Assignment(tps if m == first else [], everyone) for m in subscriptions}

    def on_assignment(self, assignment: Assignment, generation: int) -> None:
        self.got.append((assignment.user_data, generation))


def test_an_assignor_object_runs_the_group_with_user_data(broker: BrokerProcess, admin: AdminClient) -> None:
    admin.create_topics([NewTopic("echo-in", 2, 1)])["echo-in"].result(30)
    assignors = [EchoAssignor("b"), EchoAssignor("a")]
    consumers = [
        Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "echo", "partition.assignment.strategy": [a]}) for a in assignors
    ]
    try:
        for c in consumers:
            c.subscribe(["echo-in"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for c in consumers:
                c.poll(0.1)
            if all(a.got and a.got[-1][0] == b"a,b" for a in assignors) and len(consumers[1].assignment()) == 2:
                break
        assert assignors[0].got[-1][0] == b"a,b" and assignors[1].got[-1][0] == b"a,b"
        assert sorted((tp.topic, tp.partition) for tp in consumers[1].assignment()) == [("echo-in", 0), ("echo-in", 1)]
        assert consumers[0].assignment() == []
    finally:
        for c in consumers:
            c.close()


def test_internal_topics_are_created_with_java_configs_and_checked(admin: AdminClient) -> None:
    manager = InternalTopicManager(admin, replication_factor=1)
    manager.make_ready(
        {
            "it-app-agg-repartition": (repartition_topic_config("it-app-agg-repartition"), 3),
            "it-app-store-changelog": (changelog_topic_config("it-app-store-changelog"), 3),
            "it-app-win-changelog": (changelog_topic_config("it-app-win-changelog", windowed_retention_ms=90000000), 3),
        }
    )
    assert manager.partition_counts(["it-app-agg-repartition", "it-app-store-changelog"]) == {
        "it-app-agg-repartition": 3,
        "it-app-store-changelog": 3,
    }
    from strom.admin import ConfigResource, ResourceType

    resources = [
        ConfigResource(ResourceType.TOPIC, t) for t in ("it-app-store-changelog", "it-app-win-changelog", "it-app-agg-repartition")
    ]
    configs = {r.name: f.result(30) for r, f in admin.describe_configs(resources).items()}
    assert configs["it-app-store-changelog"]["cleanup.policy"].value == "compact"
    assert configs["it-app-win-changelog"]["cleanup.policy"].value == "compact,delete"
    assert configs["it-app-win-changelog"]["retention.ms"].value == "90000000"
    assert configs["it-app-agg-repartition"]["retention.ms"].value == "-1"
    with pytest.raises(InternalTopicError, match="has invalid partitions: expected: 2; actual: 3"):
        manager.make_ready({"it-app-store-changelog": (changelog_topic_config("it-app-store-changelog"), 2)})


def test_application_reset_tool(broker: BrokerProcess, admin: AdminClient, capsys: pytest.CaptureFixture[str]) -> None:
    admin.create_topics([NewTopic("rs-input", 2, 1), NewTopic("rs-app-counts-changelog", 2, 1), NewTopic("rs-app-x-repartition", 1, 1)])
    time.sleep(0.5)
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(10):
        p.produce("rs-input", str(i).encode(), partition=i % 2)
    p.flush(30)
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "rs-app"})
    c.commit(offsets=[TopicPartition("rs-input", 0, 5), TopicPartition("rs-input", 1, 4)], asynchronous=False)
    c.close()
    args = ["--bootstrap-server", broker.bootstrap, "--application-id", "rs-app", "--input-topics", "rs-input"]
    assert reset.main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "----Dry run displays the actions which will be performed when running Streams Reset Tool----" in out
    assert "Deleting inferred internal topics [rs-app-counts-changelog, rs-app-x-repartition]" in out
    assert "rs-app-counts-changelog" in admin.list_topics(timeout=30).topics  # a dry run changes nothing
    assert reset.main([*args, "--to-offset", "2"]) == 0
    out = capsys.readouterr().out
    assert "Topic: rs-input Partition: 0 Offset: 2" in out and "Topic: rs-input Partition: 1 Offset: 2" in out
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "rs-app-counts-changelog" in admin.list_topics(timeout=30).topics:
        time.sleep(0.1)
    assert "rs-app-counts-changelog" not in admin.list_topics(timeout=30).topics
    assert reset.main(args) == 0  # --to-earliest is the default
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "rs-app"})
    committed = c.committed([TopicPartition("rs-input", 0), TopicPartition("rs-input", 1)], timeout=30)
    c.close()
    assert [tp.offset for tp in committed] == [0, 0]
    assert reset.main(["--bootstrap-server", broker.bootstrap, "--application-id", "rs-app", "--input-topics", "nope"]) == 1
    assert "Following input topics are not found, skipping them\nTopic: nope" in capsys.readouterr().out
