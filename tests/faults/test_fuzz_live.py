"""Bad input at a live broker: mutated requests (see test_fuzz_sansio.py), each on its own connection, many
connections at once. The broker never crashes or hangs (a health connection gets its ApiVersions answered
throughout, and produce/consume work at the end), its memory stays bounded, no handler raises (a handler error
is logged as "Error processing"), and each refused request is one countable "Closing connection" line."""

from __future__ import annotations

import asyncio
import re
import struct
import time
from collections import Counter

import confluent_kafka as ck
import psutil
import pytest

from strom.protocol.headers import RequestHeader, encode_request_header
from strom.protocol.schema.api_versions import ApiVersionsRequest
from strom.testing.broker import BrokerProcess
from strom.testing.request_fuzzer import mutated_requests, schema_requests

from .record_captures import load_captures

pytestmark = pytest.mark.timeout(1200)

PROBE_ID = 0x7FFF0000


def probe_frame() -> bytes:
    out = bytearray()
    encode_request_header(out, RequestHeader(18, 0, PROBE_ID, "probe"))
    out += ApiVersionsRequest().encode(0)
    return struct.pack(">i", len(out)) + bytes(out)


async def send_one(port: int, frame: bytes, outcomes: Counter[str], wait_s: float) -> None:
    """One mutated request then an ApiVersions probe on a fresh connection: the broker answers the probe (the
    request was served or answered), or closes the connection (it refused the request), or is still busy
    with it when we give up (a long poll, a join that waits: we hang up, as clients do)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        outcomes["connect failed"] += 1
        return
    try:
        writer.write(struct.pack(">i", len(frame)) + frame + probe_frame())
        await writer.drain()
        buf = b""
        while True:
            chunk = await asyncio.wait_for(reader.read(1 << 16), wait_s)
            if not chunk:
                outcomes["closed by broker"] += 1
                return
            buf += chunk
            pos = 0
            while len(buf) - pos >= 8:
                size, correlation = struct.unpack_from(">ii", buf, pos)
                if len(buf) - pos - 4 < size:
                    break
                if correlation == PROBE_ID:
                    outcomes["answered"] += 1
                    return
                pos += 4 + size
    except TimeoutError:
        outcomes["still busy, hung up"] += 1
    except OSError:
        outcomes["reset by broker"] += 1
    finally:
        writer.close()


async def health(port: int, stop: asyncio.Event, worst: list[float]) -> None:
    """ApiVersions on one long-lived connection every 50 ms: the round trip is the broker's responsiveness."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while not stop.is_set():
            started = time.monotonic()
            writer.write(probe_frame())
            size = struct.unpack(">i", await asyncio.wait_for(reader.readexactly(4), 30))[0]
            await reader.readexactly(size)
            worst[0] = max(worst[0], time.monotonic() - started)
            await asyncio.sleep(0.05)
    finally:
        writer.close()


async def campaign(port: int, count: int, concurrency: int) -> tuple[Counter[str], float]:
    seeds = load_captures() + schema_requests()
    outcomes: Counter[str] = Counter()
    stop = asyncio.Event()
    worst = [0.0]
    checker = asyncio.ensure_future(health(port, stop, worst))
    slots = asyncio.Semaphore(concurrency)

    async def one(frame: bytes) -> None:
        async with slots:
            await send_one(port, frame, outcomes, 1.0)

    pending: set[asyncio.Future[None]] = set()
    for _, frame in mutated_requests(seeds, count, seed=7):
        await slots.acquire()
        slots.release()
        task = asyncio.ensure_future(one(frame))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    stop.set()
    await checker
    return outcomes, worst[0]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with BrokerProcess(tmp_path_factory.mktemp("fuzz"), overrides={"auto.create.topics.enable": "true"}) as b:
        yield b


def rss_mib(broker: BrokerProcess) -> float:
    assert broker.proc is not None
    return psutil.Process(broker.proc.pid).memory_info().rss / (1 << 20)


@pytest.mark.parametrize("count", [2_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_mutated_requests_at_a_live_broker(broker, count):
    rss_start = rss_mib(broker)
    outcomes, worst_probe_s = asyncio.run(campaign(broker.port, count, 32))
    rss_end = rss_mib(broker)
    log = (broker.base / "logs" / "server.log").read_text(errors="replace")
    closing = len(re.findall(r"WARNING Closing connection from", log))
    errors = re.findall(r"ERROR Error processing (\S+ v\d+)", log)
    print(
        f"{count} mutated requests: {dict(outcomes)}; worst health round trip {worst_probe_s * 1000:.0f} ms; "
        f"RSS {rss_start:.0f} -> {rss_end:.0f} MiB; {closing} 'Closing connection' lines; handler errors {Counter(errors)}"
    )
    assert broker.proc is not None and broker.proc.poll() is None
    assert errors == []
    assert sum(outcomes.values()) == count and outcomes["connect failed"] == 0
    assert outcomes["closed by broker"] > count // 3 and outcomes["answered"] > count // 10
    assert closing >= outcomes["closed by broker"]  # every refusal is one countable line
    assert worst_probe_s < 5.0
    assert rss_end - rss_start < 200
    # still a working broker
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce("after-fuzz", value=b"ok")
    assert producer.flush(20) == 0
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "after-fuzz", "auto.offset.reset": "earliest"})
    consumer.subscribe(["after-fuzz"])
    msg = consumer.poll(20)
    assert msg is not None and msg.value() == b"ok"
    consumer.close()


def test_a_partition_count_in_the_millions_is_refused(broker):
    """What stopped the 100,000-request run: CreatePartitions to 16,777,216 built that many partition logs (CreateTopics
    already refused such a count). Both now answer INVALID_PARTITIONS at once."""
    from strom.protocol.errors import ErrorCode
    from strom.protocol.schema.create_partitions import CreatePartitionsRequest, CreatePartitionsTopic
    from strom.protocol.schema.create_topics import CreatableTopic, CreateTopicsRequest
    from strom.transport.connection import BrokerConnection

    async def run() -> list[int]:
        conn = BrokerConnection("127.0.0.1", broker.port)
        await conn.connect()
        try:
            created = await conn.send(
                CreateTopicsRequest(topics=[CreatableTopic(name="grow", num_partitions=1, replication_factor=1)]), version=4
            )
            grown = await asyncio.wait_for(
                conn.send(CreatePartitionsRequest(topics=[CreatePartitionsTopic(name="grow", count=2**24)], timeout_ms=5000), version=1), 10
            )
            big = await conn.send(
                CreateTopicsRequest(topics=[CreatableTopic(name="big", num_partitions=2**24, replication_factor=1)]), version=4
            )
            return [created.topics[0].error_code, grown.results[0].error_code, big.topics[0].error_code]
        finally:
            conn.close()

    rss_before = rss_mib(broker)
    assert asyncio.run(run()) == [0, ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_PARTITIONS]
    assert rss_mib(broker) - rss_before < 20
