"""A log dir that fills up, on a live broker with two log dirs (the second a 512 KiB tmpfs).

As Kafka: the produce that hits ENOSPC gets KAFKA_STORAGE_ERROR, the full log dir goes offline (its partitions
answer KAFKA_STORAGE_ERROR, Metadata shows them leaderless, DescribeLogDirs reports the dir's error), the broker
stays up and keeps serving the other dir, and after space is freed and a restart every acknowledged record of
both dirs reads back as it was acknowledged."""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.errors import ErrorCode
from strom.protocol.records import BatchBuilder, iter_all_records
from strom.protocol.schema.describe_log_dirs import DescribeLogDirsRequest
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic
from strom.protocol.schema.metadata import MetadataRequest, MetadataRequestTopic
from strom.protocol.schema.produce import PartitionProduceData, ProduceRequest, TopicProduceData
from strom.testing.broker import BrokerProcess
from strom.testing.disk_faults import small_filesystem
from strom.transport.connection import BrokerConnection

pytestmark = pytest.mark.timeout(120)

TOPIC = "disk-full"
VALUE = b"v" * 1000


def batch(tag: int) -> bytes:
    b = BatchBuilder()
    for i in range(16):
        b.append(VALUE + b"%d.%d" % (tag, i), key=b"k%d" % i, timestamp=1_700_000_000_000)
    return b.build()


async def call(port: int, request, version: int):
    conn = BrokerConnection("127.0.0.1", port)
    await conn.connect()
    try:
        return await conn.send(request, version=version)
    finally:
        conn.close()


def produce(port: int, partition: int, tag: int) -> tuple[int, int]:
    request = ProduceRequest(
        acks=-1,
        timeout_ms=10_000,
        topic_data=[TopicProduceData(name=TOPIC, partition_data=[PartitionProduceData(index=partition, records=batch(tag))])],
    )
    response = asyncio.run(call(port, request, 8))
    p = response.responses[0].partition_responses[0]
    return p.error_code, p.base_offset


def fetch(port: int, partition: int, offset: int = 0) -> tuple[int, list[tuple[int, bytes]]]:
    request = FetchRequest(
        replica_id=-1,
        max_wait_ms=0,
        min_bytes=0,
        max_bytes=64 << 20,
        topics=[
            FetchTopic(topic=TOPIC, partitions=[FetchPartition(partition=partition, fetch_offset=offset, partition_max_bytes=64 << 20)])
        ],
    )
    p = asyncio.run(call(port, request, 11)).responses[0].partitions[0]
    records = [(r.offset, r.value) for _, r in iter_all_records(bytes(p.records or b""))]
    return p.error_code, records


def read_all(port: int, partition: int) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    while True:
        code, records = fetch(port, partition, out[-1][0] + 1 if out else 0)
        assert code == 0
        if not records:
            return out
        out += records


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("diskfull")
    with small_filesystem(base / "small", 512 * 1024) as small:
        yield base / "big", small


def test_a_full_log_dir_goes_offline_and_everything_acknowledged_survives_a_restart(dirs):
    big, small = dirs
    broker = BrokerProcess(overrides={"log.dirs": f"{big},{small}", "log.flush.interval.messages": "1"})
    broker.start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(TOPIC, 2, 1)])[TOPIC].result(20)
        # a new partition goes to the log dir with fewer partitions: one of each
        full, other = (0, 1) if (small / f"{TOPIC}-0").is_dir() else (1, 0)
        assert (small / f"{TOPIC}-{full}").is_dir() and (big / f"{TOPIC}-{other}").is_dir()
        acked: dict[int, list[int]] = {0: [], 1: []}
        full_at = None
        for tag in range(200):
            for partition in (other, full):
                code, base = produce(broker.port, partition, tag)
                if code == 0:
                    acked[partition].append(base)
                elif partition == full:
                    assert code == ErrorCode.KAFKA_STORAGE_ERROR
                    full_at = tag
            if full_at is not None:
                break
        assert full_at is not None and 10 < len(acked[full]) < 40, acked[full]
        print(f"acknowledged before the dir filled: {len(acked[full]) * 16} records on it, {len(acked[other]) * 16} on the other")
        # the dir is offline: no more appends or reads there, the other dir carries on, the broker stays up
        assert produce(broker.port, full, 999)[0] == ErrorCode.KAFKA_STORAGE_ERROR
        assert fetch(broker.port, full)[0] == ErrorCode.KAFKA_STORAGE_ERROR
        assert produce(broker.port, other, 999)[0] == 0
        acked[other].append(acked[other][-1] + 16)
        assert broker.proc is not None and broker.proc.poll() is None
        meta = asyncio.run(call(broker.port, MetadataRequest(topics=[MetadataRequestTopic(name=TOPIC)]), 9))
        parts = {p.partition_index: p for p in meta.topics[0].partitions}
        assert parts[other].leader_id == broker_id(broker) and parts[other].error_code == 0
        assert parts[full].leader_id == -1 and parts[full].error_code == ErrorCode.LEADER_NOT_AVAILABLE
        assert parts[full].offline_replicas == [broker_id(broker)]
        described = asyncio.run(call(broker.port, DescribeLogDirsRequest(topics=None), 2))
        errors = {r.log_dir: r.error_code for r in described.results}
        assert errors == {str(big.resolve()): 0, str(small.resolve()): ErrorCode.KAFKA_STORAGE_ERROR}
        out = server_log(broker)
        assert f"Error while appending records of {TOPIC}-{full} in dir {small}" in out
        assert f"Stopping serving replicas in dir {small}" in out
        assert broker.stop() == 0  # a clean shutdown with one dir offline
        # space freed, restarted: every acknowledged record reads back, and the dir takes appends again
        subprocess.run(["mount", "-o", "remount,size=4m", str(small)], check=True)
        broker.start()
        for partition in (0, 1):
            records = read_all(broker.port, partition)
            assert [o for o, _ in records] == list(range(len(acked[partition]) * 16)), partition
            assert [o for o, _ in records[::16]] == acked[partition]
            assert all(v.startswith(VALUE) for _, v in records)
        assert produce(broker.port, full, 1000) == (0, len(acked[full]) * 16)
    except BaseException:
        print(server_log(broker)[-6000:])
        raise
    finally:
        broker.close()


def broker_id(broker: BrokerProcess) -> int:
    return int(broker.overrides.get("broker.id", 0))


def server_log(broker: BrokerProcess) -> str:
    return (broker.base / "logs" / "server.log").read_text(errors="replace")
