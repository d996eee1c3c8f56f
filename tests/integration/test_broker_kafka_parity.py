"""Broker behaviours real clients rely on, checked on the wire against Apache Kafka 3.9 side by side: each test
sends the same requests to a Strom broker and to Kafka and expects the same answers."""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.errors import ErrorCode
from strom.protocol.records import BatchBuilder
from strom.protocol.schema import (
    alter_configs,
    consumer_group_heartbeat,
    describe_cluster,
    fetch,
    find_coordinator,
    incremental_alter_configs,
    join_group,
    list_offsets,
    produce,
)
from strom.testing.broker import BrokerProcess
from strom.transport.connection import BrokerConnection


@pytest.fixture(scope="module")
def strom() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides={"group.initial.rebalance.delay.ms": "3000"}).start()  # Kafka's default, as the reference runs
    yield b
    b.close()


@pytest.fixture(params=["strom", pytest.param("kafka", marks=pytest.mark.java)])
def bootstrap(request: pytest.FixtureRequest) -> str:
    """The broker under test: Strom, then Apache Kafka 3.9 (the reference) for the same checks."""
    server = request.getfixturevalue("strom" if request.param == "strom" else "apache_kafka")
    return str(server.bootstrap)


def send(bootstrap: str, *requests: Any, version: int | None = None) -> list[Any]:
    """Sends the requests one after another on one connection; their responses."""

    async def go() -> list[Any]:
        host, port = bootstrap.rsplit(":", 1)
        conn = BrokerConnection(host, int(port))
        await conn.connect()
        try:
            return [await conn.send(r, version=version) for r in requests]
        finally:
            conn.close()

    return asyncio.run(go())


def new_topic(bootstrap: str, config: dict[str, str] | None = None, partitions: int = 1) -> str:
    topic = f"parity-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1, config=config or {})])[topic].result(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # Kafka's brokers learn the leaders a moment after the controller
        known = admin.list_topics(topic, timeout=10).topics.get(topic)
        if known is not None and known.error is None and len(known.partitions) == partitions:
            if all(p.leader >= 0 for p in known.partitions.values()):
                break
        time.sleep(0.1)
    for _ in range(100):  # and accept writes a moment after they advertise them
        [probe] = send(bootstrap, list_offsets_request(topic, -1, partitions))
        if all(p.error_code == 0 for p in probe.topics[0].partitions):
            break
        time.sleep(0.1)
    return topic


def list_offsets_request(topic: str, timestamp: int, partitions: int = 1) -> list_offsets.ListOffsetsRequest:
    wanted = [list_offsets.ListOffsetsPartition(partition_index=p, timestamp=timestamp) for p in range(partitions)]
    return list_offsets.ListOffsetsRequest(replica_id=-1, topics=[list_offsets.ListOffsetsTopic(name=topic, partitions=wanted)])


def produce_request(topic: str, records: bytes, acks: int = -1) -> produce.ProduceRequest:
    return produce.ProduceRequest(
        transactional_id=None,
        acks=acks,
        timeout_ms=10_000,
        topic_data=[produce.TopicProduceData(name=topic, partition_data=[produce.PartitionProduceData(index=0, records=records)])],
    )


# ---- Produce: per-record errors (KIP-467) ----------------------------------------------------------------------


def test_keyless_records_in_a_compacted_topic_are_listed_by_index(bootstrap: str) -> None:
    topic = new_topic(bootstrap, {"cleanup.policy": "compact"})
    b = BatchBuilder()
    keyless = [3, 17, 42, 99]
    for i in range(100):
        b.append(b"v%d" % i, key=None if i in keyless else b"k%d" % i)
    [response] = send(bootstrap, produce_request(topic, b.build()))
    part = response.responses[0].partition_responses[0]
    text = f"Compacted topic cannot accept message without key in topic partition {topic}-0"
    assert part.error_code == ErrorCode.INVALID_RECORD
    assert [(e.batch_index, e.batch_index_error_message) for e in part.record_errors] == [(i, text) for i in keyless]
    shown = ", ".join(f"RecordError(batchIndex={i}, message='{text}')" for i in keyless[:3])
    assert part.error_message == (
        "One or more records have been rejected due to 4 record errors in total, "
        f"and only showing the first three errors at most: [{shown}]"
    )
    assert part.base_offset == -1 and part.log_start_offset == 0


def _record_code(got: dict[int, int], index: int, err: Any, _msg: Any) -> None:
    got[index] = 0 if err is None else err.code()


def test_strom_producer_reports_rejected_records_as_confluent_kafka_does(bootstrap: str) -> None:
    """The same six records, two keyless, to a compacted topic from both clients: the same error code per record
    (INVALID_RECORD for the keyless ones, _INVALID_DIFFERENT_RECORD for the rest of their batch)."""
    import strom

    topic = new_topic(bootstrap, {"cleanup.policy": "compact"})
    codes: dict[str, dict[int, int]] = {}
    for name, producer_class in (("confluent", ck.Producer), ("strom", strom.Producer)):
        got = codes[name] = {}
        producer = producer_class({"bootstrap.servers": bootstrap, "linger.ms": 200, "retries": 0})
        for i in range(6):
            report = functools.partial(_record_code, got, i)
            producer.produce(topic, value=b"v%d" % i, key=None if i in (1, 4) else b"k", on_delivery=report)
        assert producer.flush(30) == 0
    different, invalid = ck.KafkaError._INVALID_DIFFERENT_RECORD, ErrorCode.INVALID_RECORD
    assert codes["confluent"] == {0: different, 1: invalid, 2: different, 3: different, 4: invalid, 5: different}
    assert codes["strom"] == codes["confluent"]


# ---- Fetch: the response-wide max_bytes (KIP-74) ---------------------------------------------------------------

BATCH_RECORDS, RECORD_BYTES, BATCHES = 10, 10_000, 30  # 30 batches of ~100 KB


def fill(bootstrap: str, topic: str, partition_count: int = 1) -> None:
    """BATCHES batches of ~100 KB into each partition."""
    requests = []
    for n in range(BATCHES):
        b = BatchBuilder()
        for i in range(BATCH_RECORDS):
            b.append(b"%d-%d-" % (n, i) + b"x" * RECORD_BYTES, key=b"k")
        data = b.build()
        parts = [produce.PartitionProduceData(index=p, records=data) for p in range(partition_count)]
        requests.append(
            produce.ProduceRequest(
                transactional_id=None, acks=-1, timeout_ms=10_000, topic_data=[produce.TopicProduceData(name=topic, partition_data=parts)]
            )
        )
    for response in send(bootstrap, *requests):
        assert {p.error_code for p in response.responses[0].partition_responses} == {0}


def fetch_request(topic: str, max_bytes: int, partition_max_bytes: int, partitions: int = 1) -> fetch.FetchRequest:
    wanted = [fetch.FetchPartition(partition=p, fetch_offset=0, partition_max_bytes=partition_max_bytes) for p in range(partitions)]
    return fetch.FetchRequest(
        max_wait_ms=0,
        min_bytes=1,
        max_bytes=max_bytes,
        session_id=0,
        session_epoch=-1,
        topics=[fetch.FetchTopic(topic=topic, partitions=wanted)],
    )


def record_bytes(response: fetch.FetchResponse) -> list[int]:
    return [len(p.records or b"") for t in response.responses for p in t.partitions]


def test_fetch_response_is_capped_at_the_request_max_bytes(bootstrap: str) -> None:
    """confluent-kafka's fetch.max.bytes=1000000 with max.partition.fetch.bytes=20000000: the response holds
    1,000,000 bytes of records (the last batch cut short, as Kafka's file slices are), not the partition's 20 MB."""
    topic = new_topic(bootstrap)
    fill(bootstrap, topic)
    [response] = send(bootstrap, fetch_request(topic, 1_000_000, 20_000_000), version=12)
    assert record_bytes(response) == [1_000_000]


def test_a_first_batch_larger_than_max_bytes_comes_whole_and_alone(bootstrap: str) -> None:
    topic = new_topic(bootstrap, partitions=2)
    fill(bootstrap, topic, partition_count=2)
    [response] = send(bootstrap, fetch_request(topic, 50_000, 20_000_000, partitions=2), version=12)
    first_batch = len(send(bootstrap, fetch_request(topic, 1_000_000, 1, partitions=1), version=12)[0].responses[0].partitions[0].records)
    assert first_batch > 50_000
    assert record_bytes(response) == [first_batch, 0]


def test_confluent_consumer_with_a_small_fetch_max_bytes_progresses(bootstrap: str) -> None:
    topic = new_topic(bootstrap)
    fill(bootstrap, topic)
    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "fetch.max.bytes": 1_000_000,
            "max.partition.fetch.bytes": 20_000_000,
            "receive.message.max.bytes": 1_200_000,
        }
    )
    consumer.subscribe([topic])
    seen = 0
    try:
        deadline = time.monotonic() + 60
        while seen < BATCHES * BATCH_RECORDS and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen += 1
    finally:
        consumer.close()
    assert seen == BATCHES * BATCH_RECORDS


# ---- JoinGroup: pending member ids (KIP-394) ---------------------------------------------------------------------


def join_request(group: str, member_id: str = "") -> join_group.JoinGroupRequest:
    protocols = [join_group.JoinGroupRequestProtocol(name="range", metadata=b"\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff")]
    return join_group.JoinGroupRequest(
        group_id=group,
        session_timeout_ms=30_000,
        rebalance_timeout_ms=20_000,
        member_id=member_id,
        protocol_type="consumer",
        protocols=protocols,
    )


def test_a_pending_member_id_still_joins_after_a_generation_completed_without_it(bootstrap: str) -> None:
    """B gets MEMBER_ID_REQUIRED while A waits out the initial rebalance delay; the generation completes with
    A alone; B's join with its id is then accepted (Kafka keeps pending ids until their session timeout) and
    both land in the next generation."""
    group = f"pending-{uuid.uuid4().hex[:8]}"
    host, port = bootstrap.rsplit(":", 1)

    async def go() -> tuple[Any, Any, Any]:
        a, b = BrokerConnection(host, int(port)), BrokerConnection(host, int(port))
        await a.connect()
        await b.connect()
        try:
            while (first := await a.send(join_request(group), version=5)).error_code != ErrorCode.MEMBER_ID_REQUIRED:
                assert first.error_code in (ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR), first
                await a.send(find_coordinator.FindCoordinatorRequest(key=group), version=3)  # Kafka creates __consumer_offsets
                await asyncio.sleep(0.2)
            a_id = first.member_id
            a_first = asyncio.ensure_future(a.send(join_request(group, a_id), version=5, timeout=60))
            await asyncio.sleep(0.2)
            b_required = await b.send(join_request(group), version=5)
            assert b_required.error_code == ErrorCode.MEMBER_ID_REQUIRED
            gen1 = await a_first  # the initial delay (3 s) ends with A alone
            b_join = asyncio.ensure_future(b.send(join_request(group, b_required.member_id), version=5, timeout=60))
            await asyncio.sleep(0.5)
            a_join = asyncio.ensure_future(a.send(join_request(group, a_id), version=5, timeout=60))
            return gen1, await b_join, await a_join
        finally:
            a.close()
            b.close()

    gen1, b_joined, a_joined = asyncio.run(go())
    assert (gen1.error_code, gen1.generation_id, len(gen1.members)) == (0, 1, 1)
    assert (b_joined.error_code, a_joined.error_code) == (0, 0)
    assert b_joined.generation_id == a_joined.generation_id == 2 and len(a_joined.members or b_joined.members) == 2


# ---- ListOffsets: MAX_TIMESTAMP (KIP-734) -------------------------------------------------------------------------


def max_timestamp_after(bootstrap: str, batches: list[list[int]], config: dict[str, str] | None = None) -> tuple[int, int, int]:
    """(error, timestamp, offset) ListOffsets MAX_TIMESTAMP answers after producing one batch per list of stamps."""
    topic = new_topic(bootstrap, config)
    for stamps in batches:
        b = BatchBuilder()
        for ts in stamps:
            b.append(b"v", key=b"k", timestamp=ts)
        [response] = send(bootstrap, produce_request(topic, b.build()))
        assert response.responses[0].partition_responses[0].error_code == 0
        time.sleep(0.01)  # LogAppendTime: a later batch, a later time
    wanted = [list_offsets.ListOffsetsTopic(name=topic, partitions=[list_offsets.ListOffsetsPartition(partition_index=0, timestamp=-3)])]
    [response] = send(bootstrap, list_offsets.ListOffsetsRequest(replica_id=-1, topics=wanted), version=7)
    part = response.topics[0].partitions[0]
    return part.error_code, part.timestamp, part.offset


def test_max_timestamp_is_the_offset_of_the_record_that_has_it(bootstrap: str) -> None:
    now = int(time.time() * 1000)
    batches = [[now, now + 5000, now + 3000, now + 5000, now + 1000], [now + 2000, now + 4000]]
    assert max_timestamp_after(bootstrap, batches) == (0, now + 5000, 1)  # the first record stamped now+5000


def test_max_timestamp_with_log_append_time_is_the_last_batch_base_offset(bootstrap: str) -> None:
    """Every record of a LogAppendTime batch carries the batch's time: its first record has the max."""
    error, _, offset = max_timestamp_after(bootstrap, [[1, 2, 3], [4, 5]], {"message.timestamp.type": "LogAppendTime"})
    assert (error, offset) == (0, 3)


# ---- AlterConfigs / IncrementalAlterConfigs -------------------------------------------------------------------------

TOPIC_RESOURCE, BROKER_RESOURCE, SET = 2, 4, 0


def alter(bootstrap: str, resource_type: int, name: str, configs: dict[str, str], incremental: bool = True) -> tuple[int, str | None]:
    """(error code, message) of one resource's AlterConfigs (or IncrementalAlterConfigs SET) with validate_only."""
    if incremental:
        entries = [incremental_alter_configs.AlterableConfig(name=k, config_operation=SET, value=v) for k, v in configs.items()]
        resource: Any = incremental_alter_configs.AlterConfigsResource(resource_type=resource_type, resource_name=name, configs=entries)
        request: Any = incremental_alter_configs.IncrementalAlterConfigsRequest(resources=[resource], validate_only=True)
    else:
        plain = [alter_configs.AlterableConfig(name=k, value=v) for k, v in configs.items()]
        resource = alter_configs.AlterConfigsResource(resource_type=resource_type, resource_name=name, configs=plain)
        request = alter_configs.AlterConfigsRequest(resources=[resource], validate_only=True)
    [response] = send(bootstrap, request)
    return response.responses[0].error_code, response.responses[0].error_message


def broker_id(bootstrap: str) -> str:
    [cluster] = send(bootstrap, describe_cluster.DescribeClusterRequest())
    return str(cluster.brokers[0].broker_id)


@pytest.mark.parametrize("incremental", [True, False])
def test_deprecated_topic_configs_are_accepted(bootstrap: str, incremental: bool) -> None:
    topic = new_topic(bootstrap)
    assert alter(bootstrap, TOPIC_RESOURCE, topic, {"message.format.version": "2.8"}, incremental) == (0, None)
    assert alter(bootstrap, TOPIC_RESOURCE, topic, {"message.format.version": "0.10.2-IV0"}, incremental) == (0, None)
    assert alter(bootstrap, TOPIC_RESOURCE, topic, {"message.format.version": "banana"}, incremental)[0] == ErrorCode.INVALID_CONFIG


@pytest.mark.parametrize(
    "key, value",
    [
        ("sasl.kerberos.min.time.before.relogin", "60000"),
        ("listener.name.plaintext.sasl.enabled.mechanisms", "PLAIN"),
        ("max.connections", "1000"),
        ("log.cleaner.threads", "2"),
        ("num.replica.fetchers", "2"),
        ("producer.id.expiration.ms", "100000"),
        ("log.retention.ms", "100000"),
    ],
)
def test_dynamic_broker_configs_kafka_allows_are_accepted(bootstrap: str, key: str, value: str) -> None:
    assert alter(bootstrap, BROKER_RESOURCE, broker_id(bootstrap), {key: value}) == (0, None)


@pytest.mark.parametrize(
    "key, message",
    [
        ("log.dirs", "Cannot update these configs dynamically: Set(log.dirs)"),
        ("broker.id", "Cannot update these configs dynamically: Set(broker.id)"),
        ("log.message.format.version", "Cannot update these configs dynamically: Set(log.message.format.version)"),
        (
            "ssl.keystore.location",
            "These security configs can be dynamically updated only per-listener using the listener prefix: HashSet(ssl.keystore.location)",
        ),
    ],
)
def test_static_broker_configs_are_refused_dynamically(bootstrap: str, key: str, message: str) -> None:
    assert alter(bootstrap, BROKER_RESOURCE, broker_id(bootstrap), {key: "1"}) == (ErrorCode.INVALID_REQUEST, message)


def test_per_broker_configs_are_refused_at_the_cluster_default(bootstrap: str) -> None:
    assert alter(bootstrap, BROKER_RESOURCE, "", {"sasl.kerberos.min.time.before.relogin": "60000"}) == (
        ErrorCode.INVALID_REQUEST,
        "Cannot update these configs at default cluster level, broker id must be specified: Set(sasl.kerberos.min.time.before.relogin)",
    )
    assert alter(bootstrap, BROKER_RESOURCE, "", {"log.cleaner.threads": "2"}) == (0, None)


# ---- log.dirs lock ---------------------------------------------------------------------------------------------------


def test_a_second_broker_on_the_same_log_dirs_refuses_to_start(strom: BrokerProcess) -> None:
    log_dirs = strom.overrides["log.dirs"]
    second = BrokerProcess(overrides={"log.dirs": log_dirs})
    args = [sys.executable, "-m", "strom.broker.main", os.devnull]
    for k, v in second.overrides.items():
        args += ["--override", f"{k}={v}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, env=dict(os.environ, STROM_DAEMON="1"))
    second.close()
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        f"ERROR: Failed to acquire lock on file .lock in {log_dirs}. A Kafka instance in another process or thread is using this directory."
    )


# ---- KIP-848: SubscribedTopicRegex ------------------------------------------------------------------------------------


def test_a_consumer_group_regex_matches_internal_topics(strom: BrokerProcess) -> None:
    """As Kafka 4.0 (franz-go's Test848RegexBrokerResolves): the regex resolves over every topic the member may
    describe, __consumer_offsets included."""
    group = f"regex-{uuid.uuid4().hex[:8]}"

    async def go() -> set[int]:
        host, port = strom.bootstrap.rsplit(":", 1)
        conn = BrokerConnection(host, int(port))
        await conn.connect()
        try:
            while (await conn.send(find_coordinator.FindCoordinatorRequest(key=group), version=3)).error_code:
                await asyncio.sleep(0.2)  # __consumer_offsets exists from here on
            request = consumer_group_heartbeat.ConsumerGroupHeartbeatRequest(
                group_id=group,
                member_id=str(uuid.uuid4()),
                member_epoch=0,
                rebalance_timeout_ms=30_000,
                subscribed_topic_regex="__consumer_off.*",
                topic_partitions=[],
            )
            deadline = time.monotonic() + 20
            while True:
                response = await conn.send(request)
                assert response.error_code == 0, response
                owned = {p for t in (response.assignment.topic_partitions if response.assignment else []) for p in t.partitions}
                if owned or time.monotonic() > deadline:
                    return owned
                request = consumer_group_heartbeat.ConsumerGroupHeartbeatRequest(
                    group_id=group, member_id=response.member_id, member_epoch=response.member_epoch
                )
                await asyncio.sleep(0.3)
        finally:
            conn.close()

    assert asyncio.run(go()) == set(range(5))  # offsets.topic.num.partitions of the test broker
