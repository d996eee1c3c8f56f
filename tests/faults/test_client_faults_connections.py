"""Client faults at the connection level, against one live broker: clients that never read their responses
(the broker must stop reading their requests rather than buffer answers without bound), and 500 connections
opened and dropped in a loop, mid-request or not (no leak of fds or memory, the broker keeps serving)."""

from __future__ import annotations

import os
import socket
import struct
import time
import urllib.request

import confluent_kafka as ck
import psutil
import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from strom.protocol.headers import RequestHeader, encode_request_header
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic
from strom.protocol.schema.metadata import MetadataRequest
from strom.testing.broker import BrokerProcess, free_port

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    metrics = free_port()
    with BrokerProcess(
        tmp_path_factory.mktemp("clientfaults"), overrides={"metrics.prometheus.listener": f"http://127.0.0.1:{metrics}"}
    ) as b:
        b.metrics_url = f"http://127.0.0.1:{metrics}/metrics"  # type: ignore[attr-defined]
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        names = [f"slow-consumer-topic-with-a-long-name-{i:03d}" for i in range(10)]  # each Metadata answer about a KiB
        for future in admin.create_topics([NewTopic(n, 1, 1) for n in names]).values():
            future.result(30)
        yield b


def process(broker: BrokerProcess) -> psutil.Process:
    assert broker.proc is not None
    return psutil.Process(broker.proc.pid)


def metadata_requests(count: int) -> bytes:
    out = bytearray()
    for i in range(count):
        frame = bytearray()
        encode_request_header(frame, RequestHeader(3, 9, i, "slow-reader"))
        frame += MetadataRequest(topics=None).encode(9)
        out += struct.pack(">i", len(frame)) + frame
    return bytes(out)


def test_clients_that_never_read_their_responses_do_not_grow_the_broker(broker):
    """Ten connections each pipeline Metadata requests (answers of ~5 KiB) and never read: without
    back-pressure the broker reads every request the kernel hands it, queues handlers and answers for all
    of them, and is then busy for minutes with answers nobody reads (it starved the producer below)."""
    rss_before = process(broker).memory_info().rss
    burst = metadata_requests(1000)
    socks = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", broker.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        socks.append(s)
    sent = [0] * len(socks)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        for i, s in enumerate(socks):
            try:
                sent[i] += s.send(burst[sent[i] % len(burst) :])
            except BlockingIOError:
                pass
        time.sleep(0.01)
    grown_mib = (process(broker).memory_info().rss - rss_before) / (1 << 20)
    requests_sent = sum(sent) // (len(burst) // 1000)
    print(f"{requests_sent} requests sent by clients that never read; broker RSS grew {grown_mib:.1f} MiB")
    assert grown_mib < 32
    # the broker still answers everyone else, and a stalled client that finally reads gets its answers in order
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce("after-slow", value=b"ok")
    assert producer.flush(20) == 0
    s = socks[0]
    s.setblocking(True)
    s.settimeout(20)
    size, correlation = struct.unpack(">ii", s.recv(8, socket.MSG_WAITALL))
    assert correlation == 0
    for s in socks:
        s.close()


def socket_fds(pid: int) -> int:
    """The broker's open sockets: what a leaked connection keeps (its segment and index files come and go with
    the topics the other tests write, and are not what this test is about)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except FileNotFoundError:  # closed meanwhile
            pass
    return count


def test_500_connections_opened_and_dropped_leak_nothing(broker):
    proc = process(broker)
    fds_before, rss_before = socket_fds(proc.pid), proc.memory_info().rss
    half_request = metadata_requests(1)[:-3]
    for i in range(500):
        s = socket.create_connection(("127.0.0.1", broker.port))
        if i % 3 == 1:
            s.sendall(half_request)  # dropped mid-request
        elif i % 3 == 2:
            s.sendall(metadata_requests(5))  # dropped with answers on their way
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
        s.close()
    deadline = time.monotonic() + 10
    while socket_fds(proc.pid) > fds_before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    grown_mib = (proc.memory_info().rss - rss_before) / (1 << 20)
    sockets_after = socket_fds(proc.pid)
    print(f"500 connections dropped: sockets {fds_before} -> {sockets_after}, RSS grew {grown_mib:.1f} MiB")
    assert sockets_after <= fds_before + 2 and grown_mib < 32
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce("after-churn", value=b"ok")
    assert producer.flush(20) == 0


def fetch_requests(topic: str, count: int) -> bytes:
    out = bytearray()
    for i in range(count):
        frame = bytearray()
        encode_request_header(frame, RequestHeader(1, 11, i, "stalled-consumer"))
        partition = FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1 << 20)
        frame += FetchRequest(
            max_wait_ms=0, min_bytes=1, max_bytes=1 << 20, topics=[FetchTopic(topic=topic, partitions=[partition])]
        ).encode(11)
        out += struct.pack(">i", len(frame)) + frame
    return bytes(out)


def bytes_out(url: str, topic: str) -> float:
    with urllib.request.urlopen(url, timeout=30) as resp:
        text = resp.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "kafka_server_brokertopicmetrics_bytesout_total" and sample.labels.get("topic") == topic:
                return sample.value
    return 0.0


def test_stalled_consumers_cost_the_broker_one_fetch_each(broker):
    """50 connections pipeline 200 Fetch requests of a MiB each and never read. As a muted Kafka channel, each
    costs the broker one fetch: it read 100 of them per connection before (5,000 fetches, 5 GB of answers
    nobody reads; with 200 such clients a producer beside them waited seconds for its first answer)."""
    topic = "stalled-consumers"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
    for _ in range(1500):
        producer.produce(topic, b"s" * 1000)
    assert producer.flush(30) == 0
    burst = fetch_requests(topic, 200)
    socks = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", broker.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        socks.append(s)
        try:
            s.send(burst)
        except BlockingIOError:
            pass
    time.sleep(2)
    fetched_mib = bytes_out(broker.metrics_url, topic) / (1 << 20)
    print(f"50 stalled consumers pipelining 200 fetches each: the broker read {fetched_mib:.0f} MiB for them")
    assert fetched_mib < 50 * 4
    producer.produce("after-stalled-fetches", value=b"ok")
    assert producer.flush(20) == 0
    s = socks[0]  # it reads at last: its answers come, in order
    s.setblocking(True)
    s.settimeout(20)
    size, correlation = struct.unpack(">ii", s.recv(8, socket.MSG_WAITALL))
    assert correlation == 0 and size > 1000
    for s in socks:
        s.close()
