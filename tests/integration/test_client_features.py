"""strom.Producer / Consumer / AdminClient against a Strom broker AND against Apache Kafka 3.9.

Every test runs on both: the client must work on an existing Kafka cluster as well as on Strom.
confluent-kafka (librdkafka) is the independent reader/writer that checks what our client did.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import confluent_kafka as ck
import pytest

import strom
from strom import ConfigResource, NewPartitions, NewTopic, TopicPartition
from strom.client.admin_types import AlterConfigOpType, ConfigEntry, ConsumerGroupTopicPartitions
from tests.integration.client_peers import PEERS, serve, wait_for

SESSION = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}


@pytest.fixture(scope="module", params=PEERS)
def bootstrap(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from serve(request, {"group.min.session.timeout.ms": "1000"})


@pytest.fixture(scope="module")
def admin(bootstrap: str) -> Iterator[strom.AdminClient]:
    a = strom.AdminClient({"bootstrap.servers": bootstrap})
    yield a
    a.close()


@pytest.fixture
def topic(admin: strom.AdminClient) -> Callable[..., str]:
    def make(partitions: int = 3, config: dict[str, str] | None = None) -> str:
        name = f"cl-{uuid.uuid4().hex[:8]}"
        admin.create_topics([NewTopic(name, partitions, 1, config=config)])[name].result(20)
        wait_for(lambda: name in admin.list_topics(name).topics and len(admin.list_topics(name).topics[name].partitions) == partitions)
        return name

    return make


def consume_all(bootstrap: str, topic: str, n: int, **conf: Any) -> list[ck.Message]:
    """Reads n messages with confluent-kafka (the independent reader)."""
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"chk-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest", **conf})
    c.subscribe([topic])
    out: list[ck.Message] = []
    deadline = time.monotonic() + 30
    while len(out) < n and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            out.append(m)
    c.close()
    return out


def poll_members(consumers: list[strom.Consumer], done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, [c.assignment() for c in consumers]
        for c in consumers:
            c.poll(0.1)


# -- producer ------------------------------------------------------------------------------------


def test_produce_keys_headers_timestamps_read_back_by_confluent(bootstrap: str, topic: Callable[..., str]) -> None:
    t = topic(6)
    reports: list[tuple[Any, strom.Message]] = []
    p = strom.Producer({"bootstrap.servers": bootstrap, "linger.ms": 2})
    for i in range(300):
        p.produce(
            t,
            f"v{i}".encode(),
            key=f"k{i % 17}".encode(),
            headers=[("h", b"%d" % i)],
            timestamp=1_700_000_000_000 + i,
            on_delivery=lambda e, m: reports.append((e, m)),
        )
    assert p.flush(30) == 0
    p.close()
    assert len(reports) == 300 and all(e is None for e, _ in reports)
    assert len({(m.partition(), m.offset()) for _, m in reports}) == 300
    # librdkafka's murmur2_random partitioner is Java's: same key, same partition
    ref = ck.Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    ref_parts: dict[bytes, int] = {}
    for i in range(17):
        ref.produce(t, b"ref", key=f"k{i}".encode(), on_delivery=lambda e, m: ref_parts.__setitem__(m.key(), m.partition()))
    ref.flush(30)
    got = consume_all(bootstrap, t, 317)
    ours = [m for m in got if m.value() != b"ref"]
    assert len(ours) == 300
    for m in ours:
        assert m.partition() == ref_parts[m.key()]
        i = int(m.value()[1:])
        assert m.key() == f"k{i % 17}".encode() and m.headers() == [("h", b"%d" % i)]
        assert m.timestamp() == (ck.TIMESTAMP_CREATE_TIME, 1_700_000_000_000 + i)
    # per partition, order is produce order
    by_part: dict[int, list[int]] = {}
    for m in sorted(ours, key=lambda m: (m.partition(), m.offset())):
        by_part.setdefault(m.partition(), []).append(int(m.value()[1:]))
    assert all(v == sorted(v) for v in by_part.values())


def test_idempotent_batches_carry_producer_id_and_contiguous_sequences(bootstrap: str, topic: Callable[..., str]) -> None:
    import asyncio

    from strom.client.cluster import Cluster
    from strom.protocol.records import iter_batch_headers
    from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic

    t = topic(1)
    p = strom.Producer({"bootstrap.servers": bootstrap, "batch.size": 2000, "linger.ms": 1})
    for _i in range(500):
        p.produce(t, b"x" * 50)
    assert p.flush(30) == 0
    p.close()

    async def batches() -> list[Any]:
        cluster = Cluster(bootstrap)
        conn = await cluster.connection(await cluster.leader_for(t, 0))
        req = FetchRequest(
            replica_id=-1,
            max_wait_ms=0,
            min_bytes=1,
            max_bytes=10_000_000,
            isolation_level=0,
            topics=[FetchTopic(topic=t, partitions=[FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=10_000_000)])],
        )
        resp = await conn.send(req, min(conn.version_for(1), 12))
        cluster.close()
        return [h for _, h in iter_batch_headers(resp.responses[0].partitions[0].records)]

    headers = asyncio.run(batches())
    assert len(headers) > 5
    assert len({h.producer_id for h in headers}) == 1 and headers[0].producer_id >= 0
    seq = 0
    for h in headers:
        assert h.base_sequence == seq
        seq += h.records_count
    assert seq == 500


def test_delivery_errors_unknown_partition_and_oversize(bootstrap: str, topic: Callable[..., str]) -> None:
    t = topic(2)
    reports: list[Any] = []
    p = strom.Producer({"bootstrap.servers": bootstrap, "max.request.size": 5000})
    p.produce(t, b"ok", partition=1, on_delivery=lambda e, m: reports.append(("ok", e)))
    p.produce(t, b"bad", partition=7, on_delivery=lambda e, m: reports.append(("part", e)))
    p.produce(t, b"x" * 10000, on_delivery=lambda e, m: reports.append(("big", e)))
    p.flush(20)
    p.close()
    errors = dict(reports)
    assert errors["ok"] is None
    assert errors["part"].code() == strom.ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    assert errors["big"].code() == strom.ErrorCode.MESSAGE_TOO_LARGE


def test_unreachable_broker_fails_within_delivery_timeout() -> None:
    reports: list[Any] = []
    errors: list[strom.KafkaError] = []
    start = time.monotonic()
    p = strom.Producer(
        {
            "bootstrap.servers": "127.0.0.1:1",
            "delivery.timeout.ms": 1500,
            "request.timeout.ms": 1000,
            "linger.ms": 0,
            "max.block.ms": 1500,
            "error_cb": errors.append,
        }
    )
    p.produce("nowhere", b"v", on_delivery=lambda e, m: reports.append(e))
    left = p.flush(10)
    p.close(1)
    assert left == 0 and len(reports) == 1 and reports[0] is not None
    assert time.monotonic() - start < 8
    assert "1/1 brokers are down" in [str(e).split(": ", 1)[-1] for e in errors]  # served to error_cb by poll/flush


# -- consumer ------------------------------------------------------------------------------------


def produce_n(bootstrap: str, t: str, n: int, partitions: int) -> None:
    p = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(n):
        p.produce(t, f"m{i}".encode(), partition=i % partitions, timestamp=1_600_000_000_000 + i * 1000)
    assert p.flush(30) == 0


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "cooperative-sticky"])
def test_group_splits_partitions_with_callbacks_and_leave(bootstrap: str, topic: Callable[..., str], strategy: str) -> None:
    t = topic(4)
    produce_n(bootstrap, t, 200, 4)
    group = f"g-{uuid.uuid4().hex[:6]}"
    events: dict[str, list[tuple[str, list[int]]]] = {"a": [], "b": []}

    def consumer(name: str) -> strom.Consumer:
        c = strom.Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "auto.offset.reset": "earliest",
                "partition.assignment.strategy": strategy,
                **SESSION,
            }
        )
        c.subscribe(
            [t],
            on_assign=lambda c, ps: events[name].append(("assign", [p.partition for p in ps])),
            on_revoke=lambda c, ps: events[name].append(("revoke", [p.partition for p in ps])),
        )
        return c

    a = consumer("a")
    seen: set[tuple[int, int]] = set()
    deadline = time.monotonic() + 30
    while len(seen) < 200:
        assert time.monotonic() < deadline
        m = a.poll(0.5)
        if m is not None:
            seen.add((m.partition(), m.offset()))
    a.commit(asynchronous=False)
    b = consumer("b")

    def split() -> bool:
        pa = {p.partition for p in a.assignment()}
        pb = {p.partition for p in b.assignment()}
        return len(pa) == 2 and len(pb) == 2 and not pa & pb

    poll_members([a, b], split)
    assert events["a"][0] == ("assign", [0, 1, 2, 3])
    if strategy == "cooperative-sticky":
        # incremental: a gives up only the two partitions b takes, never everything
        assert ("revoke", [0, 1, 2, 3]) not in events["a"]
        assert any(e == "revoke" and len(ps) == 2 for e, ps in events["a"])
    else:
        assert ("revoke", [0, 1, 2, 3]) in events["a"]
    # b starts from a's committed offsets: nothing is redelivered
    assert all(b.poll(0.2) is None for _ in range(3))
    a.close()  # LeaveGroup: b takes everything without waiting for the session timeout
    start = time.monotonic()
    poll_members([b], lambda: len(b.assignment()) == 4, timeout=5)
    assert time.monotonic() - start < 5
    b.close()


def test_regex_subscription_picks_up_new_topics(bootstrap: str, topic: Callable[..., str], admin: strom.AdminClient) -> None:
    prefix = f"rx{uuid.uuid4().hex[:6]}"
    first = f"{prefix}-a"
    admin.create_topics([NewTopic(first, 1, 1)])[first].result(20)
    c = strom.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": prefix, "auto.offset.reset": "earliest", "metadata.max.age.ms": 500, **SESSION}
    )
    c.subscribe([f"^{prefix}-.*"])
    poll_members([c], lambda: [p.topic for p in c.assignment()] == [first])
    second = f"{prefix}-b"
    admin.create_topics([NewTopic(second, 2, 1)])[second].result(20)
    poll_members([c], lambda: sorted({p.topic for p in c.assignment()}) == [first, second])
    assert len(c.assignment()) == 3
    c.close()


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_regex_subscription_rebalance_callbacks(bootstrap: str, admin: strom.AdminClient, strategy: str) -> None:
    """A pattern subscription's callbacks follow topics appearing and disappearing (eager: revoke all,
    assign all; cooperative: only the difference)."""
    prefix = f"rc{uuid.uuid4().hex[:6]}"
    first, second = f"{prefix}-a", f"{prefix}-b"
    admin.create_topics([NewTopic(first, 1, 1)])[first].result(20)
    events: list[tuple[str, list[str]]] = []

    def record(kind: str) -> Callable[[Any, list[TopicPartition]], None]:
        return lambda _c, ps: events.append((kind, sorted(f"{p.topic[-1]}{p.partition}" for p in ps)))

    conf = {"group.id": prefix, "partition.assignment.strategy": strategy, "metadata.max.age.ms": 500, **SESSION}
    c = strom.Consumer({"bootstrap.servers": bootstrap, **conf})
    c.subscribe([f"^{prefix}-.*"], on_assign=record("assign"), on_revoke=record("revoke"), on_lost=record("lost"))
    poll_members([c], lambda: ("assign", ["a0"]) in events)
    admin.create_topics([NewTopic(second, 2, 1)])[second].result(20)
    poll_members([c], lambda: len(c.assignment()) == 3)
    poll_members([c], lambda: events[-1][0] == "assign", timeout=5)
    admin.delete_topics([first])[first].result(20)
    poll_members([c], lambda: sorted(f"{p.topic[-1]}{p.partition}" for p in c.assignment()) == ["b0", "b1"])
    poll_members([c], lambda: events[-1][0] == "assign", timeout=5)
    c.close()
    if strategy == "cooperative-sticky":
        # only the difference moves: nothing of a's partition is revoked when b appears
        assert events[:2] == [("assign", ["a0"]), ("assign", ["b0", "b1"])], events
        assert ("revoke", ["a0"]) in events[2:] and ("revoke", ["a0", "b0", "b1"]) not in events, events
    else:
        assert events[:3] == [("assign", ["a0"]), ("revoke", ["a0"]), ("assign", ["a0", "b0", "b1"])], events
        assert events[3:5] == [("revoke", ["a0", "b0", "b1"]), ("assign", ["b0", "b1"])], events
    assert events[-1] == ("revoke", ["b0", "b1"])  # close revokes what is left


def test_static_members_restart_without_a_rebalance(bootstrap: str, topic: Callable[..., str]) -> None:
    """group.instance.id (KIP-345): close() sends no LeaveGroup, and the same instance back within
    session.timeout.ms gets its partitions again while the other member keeps its own untouched."""
    t = topic(4)
    group = f"st-{uuid.uuid4().hex[:6]}"
    events: dict[str, list[tuple[str, list[int]]]] = {"a": [], "b": []}

    def member(name: str) -> strom.Consumer:
        c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.instance.id": f"{group}-{name}", **SESSION})
        c.subscribe(
            [t],
            on_assign=lambda _c, ps: events[name].append(("assign", [p.partition for p in ps])),
            on_revoke=lambda _c, ps: events[name].append(("revoke", [p.partition for p in ps])),
        )
        return c

    a = member("a")
    poll_members([a], lambda: len(a.assignment()) == 4)
    b = member("b")
    poll_members([a, b], lambda: len(a.assignment()) == 2 and len(b.assignment()) == 2)
    poll_members([a, b], lambda: not a.poll(0) and not b.poll(0) and events["a"][-1][0] == "assign", timeout=5)
    share_a = sorted(p.partition for p in a.assignment())
    b_events = list(events["b"])
    a.close()
    end = time.monotonic() + 2.0  # well inside session.timeout.ms (6 s): the group waits for "a"
    while time.monotonic() < end:
        b.poll(0.1)
    assert events["b"] == b_events and len(b.assignment()) == 2  # no rebalance: "a" did not leave
    a = member("a")
    poll_members([a, b], lambda: len(a.assignment()) == 2)
    assert sorted(p.partition for p in a.assignment()) == share_a
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        a.poll(0.1)
        b.poll(0.1)
    assert events["b"] == b_events  # b never gave anything up
    a.close()
    b.close()


def test_offsets_commit_seek_pause_and_times(bootstrap: str, topic: Callable[..., str]) -> None:
    t = topic(2)
    produce_n(bootstrap, t, 100, 2)
    group = f"o-{uuid.uuid4().hex[:6]}"
    commits: list[Any] = []
    c = strom.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "on_commit": lambda err, tps: commits.append((err, tps)),
            **SESSION,
        }
    )
    tp0, tp1 = TopicPartition(t, 0), TopicPartition(t, 1)
    c.assign([TopicPartition(t, 0, strom.OFFSET_BEGINNING), TopicPartition(t, 1, 10)])
    first = c.poll(10)
    assert first is not None
    got = [first]
    deadline = time.monotonic() + 20
    while len(got) < 90 and time.monotonic() < deadline:  # partition 0's start offset may be looked up after 1's data came
        got += c.consume(200, 0.5)
    assert sorted(m.offset() for m in got if m.partition() == 1)[0] == 10
    assert len([m for m in got if m.partition() == 0]) == 50 and len([m for m in got if m.partition() == 1]) == 40
    assert [p.offset for p in c.position([tp0, tp1])] == [50, 50]
    c.commit(offsets=[TopicPartition(t, 0, 20, "meta-0")], asynchronous=False)
    c.commit(message=got[-1])  # async, reported through on_commit
    wait_for(lambda: len(commits) == 2)
    committed = c.committed([tp0, tp1])
    assert committed[0].offset == 20 and committed[0].metadata == "meta-0"
    assert committed[1].offset == got[-1].offset() + 1 or got[-1].partition() == 0
    # offsets_for_times: message i has timestamp 1_600_000_000_000 + i*1000; partition 0 holds even i
    found = c.offsets_for_times([TopicPartition(t, 0, 1_600_000_000_000 + 40_000), TopicPartition(t, 1, 1_600_000_000_000 + 10**9)])
    assert found[0].offset == 20 and found[1].offset == -1
    c.seek(TopicPartition(t, 0, 45))
    c.pause([tp1])
    c.seek(TopicPartition(t, 1, 0))
    got = c.consume(100, 2)
    assert [m.offset() for m in got] == [45, 46, 47, 48, 49]
    c.resume([tp1])
    got = c.consume(100, 5)
    assert [m.offset() for m in got if m.partition() == 1][:3] == [0, 1, 2]
    assert c.get_watermark_offsets(tp0) == (0, 50)
    c.close()


def test_strom_and_confluent_consumers_share_a_group(bootstrap: str, topic: Callable[..., str]) -> None:
    t = topic(4)
    produce_n(bootstrap, t, 400, 4)
    group = f"mix-{uuid.uuid4().hex[:6]}"
    ours = strom.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "range",
            **SESSION,
        }
    )
    theirs = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "range",
            **SESSION,
        }
    )
    ours.subscribe([t])
    theirs.subscribe([t])
    values: dict[str, set[bytes]] = {"ours": set(), "theirs": set()}
    deadline = time.monotonic() + 40
    while len(values["ours"]) + len(values["theirs"]) < 400:
        assert time.monotonic() < deadline, (
            len(values["ours"]),
            len(values["theirs"]),
            ours.assignment(),
            theirs.assignment(),
            ours.position(ours.assignment()),
            theirs.committed(theirs.assignment()),
        )
        m = ours.poll(0.1)
        if m is not None:
            values["ours"].add(m.value())
        m2 = theirs.poll(0.1)
        if m2 is not None and m2.error() is None:
            values["theirs"].add(m2.value())
    mine = {p.partition for p in ours.assignment()}
    other = {p.partition for p in theirs.assignment()}
    assert len(mine) == 2 and len(other) == 2 and not mine & other
    assert not values["ours"] & values["theirs"]
    ours.close()
    theirs.close()


# -- admin ---------------------------------------------------------------------------------------


def test_admin_topics_partitions_configs(bootstrap: str, admin: strom.AdminClient) -> None:
    name = f"adm-{uuid.uuid4().hex[:6]}"
    res = admin.create_topics([NewTopic(name, 2, 1, config={"retention.ms": "3600000"})])
    assert res[name].result(20) is None
    dup = admin.create_topics([NewTopic(name, 2, 1)])[name]
    with pytest.raises(strom.KafkaError) as info:
        dup.result(20)
    assert info.value.code() == strom.ErrorCode.TOPIC_ALREADY_EXISTS
    wait_for(lambda: name in admin.list_topics().topics)
    desc = admin.describe_topics([name])[name].result(20)
    assert [p.id for p in desc.partitions] == [0, 1]
    assert admin.create_partitions([NewPartitions(name, 5)])[name].result(20) is None
    wait_for(lambda: name in admin.list_topics(name).topics and len(admin.list_topics(name).topics[name].partitions) == 5)
    res_key = ConfigResource("topic", name)
    configs = admin.describe_configs([res_key])[res_key].result(20)
    assert configs["retention.ms"].value == "3600000"
    assert configs["cleanup.policy"].value == "delete"
    alter = ConfigResource(
        "topic", name, incremental_configs=[ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET)]
    )
    assert admin.incremental_alter_configs([alter])[alter].result(20) is None
    wait_for(lambda: admin.describe_configs([res_key])[res_key].result(20)["retention.ms"].value == "7200000")
    cluster = admin.describe_cluster().result(20)
    assert cluster.cluster_id and len(cluster.nodes) == 1
    assert admin.delete_topics([name])[name].result(20) is None
    wait_for(lambda: name not in admin.list_topics().topics)


def test_admin_groups_offsets_and_records(bootstrap: str, admin: strom.AdminClient, topic: Callable[..., str]) -> None:
    t = topic(2)
    produce_n(bootstrap, t, 40, 2)
    group = f"ag-{uuid.uuid4().hex[:6]}"
    c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", **SESSION})
    c.subscribe([t])
    poll_members([c], lambda: len(c.assignment()) == 2)
    listed = admin.list_consumer_groups().result(20)
    assert group in {g.group_id for g in listed.valid}
    desc = admin.describe_consumer_groups([group])[group].result(20)
    assert desc.state == "Stable" and len(desc.members) == 1
    assert sorted(tp.partition for tp in desc.members[0].assignment.topic_partitions) == [0, 1]
    c.close()
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(t, 0, 7), TopicPartition(t, 1, 9)])
    admin.alter_consumer_group_offsets([req])[group].result(20)
    offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(20)
    assert {(tp.partition, tp.offset) for tp in offsets.topic_partitions} == {(0, 7), (1, 9)}
    deleted = admin.delete_records([TopicPartition(t, 0, 5)])
    assert next(iter(deleted.values())).result(20).low_watermark == 5
    assert admin.delete_consumer_groups([group])[group].result(20) is None
    missing = admin.describe_consumer_groups([group])[group]
    try:
        assert missing.result(20).state == "Dead"
    except strom.KafkaError as exc:
        assert exc.code() == strom.ErrorCode.GROUP_ID_NOT_FOUND


# -- asyncio -------------------------------------------------------------------------------------


def test_aio_send_and_async_for(bootstrap: str, topic: Callable[..., str]) -> None:
    import asyncio

    from strom.aio import AIOConsumer, AIOProducer

    t = topic(2)

    async def main() -> list[bytes]:
        p = AIOProducer({"bootstrap.servers": bootstrap, "value.serializer": str.encode})
        futs = [await p.send(t, f"a{i}", key=b"k") for i in range(50)]
        mds = await asyncio.gather(*futs)
        assert [md.offset for md in mds] == list(range(50))
        md = await p.send_and_wait(t, "last", key=b"k")
        assert md.offset == 50
        await p.close()
        c = AIOConsumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"aio-{uuid.uuid4().hex[:6]}",
                "auto.offset.reset": "earliest",
                "value.deserializer": bytes.decode,
                **SESSION,
            }
        )
        await c.subscribe([t])
        out = []
        async for msg in c:
            out.append(msg.value())
            if len(out) == 51:
                break
        await c.close()
        return out

    values = asyncio.run(asyncio.wait_for(main(), 60))
    assert values == [f"a{i}" for i in range(50)] + ["last"]


def test_poll_interval_exceeded_loses_partitions_then_rejoins(bootstrap: str, topic: Callable[..., str]) -> None:
    t = topic(2)
    events: list[tuple[str, list[int]]] = []
    c = strom.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"lost-{uuid.uuid4().hex[:6]}",
            "max.poll.interval.ms": 1500,
            **SESSION,
        }
    )
    c.subscribe(
        [t],
        on_assign=lambda c, ps: events.append(("assign", [p.partition for p in ps])),
        on_revoke=lambda c, ps: events.append(("revoke", [p.partition for p in ps])),
        on_lost=lambda c, ps: events.append(("lost", [p.partition for p in ps])),
    )
    poll_members([c], lambda: len(c.assignment()) == 2)
    time.sleep(3)  # no poll for longer than max.poll.interval.ms: the heartbeat thread leaves the group
    poll_members([c], lambda: len(events) >= 3 and len(c.assignment()) == 2)
    assert events[:3] == [("assign", [0, 1]), ("lost", [0, 1]), ("assign", [0, 1])]
    c.close()
