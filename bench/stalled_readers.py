"""Well-behaved clients beside stalled readers: a normal producer and consumer on a broker that also holds N
connections which pipeline Fetch requests for a MiB of records each and never read an answer (slow consumers).
The broker must neither buffer their answers without bound nor slow everyone else down. Strom's broker and
Apache Kafka 3.9 side by side in one run, N = 0, 50, 200 by default.

Per broker and N: the first acknowledgement of a new producer right after the stalled readers sent their
requests, produce throughput (confluent-kafka, acks=all, 200 B records, as fast as it goes), fetch
throughput (a consumer draining them from offset 0), and at a steady 500 records/s the p50/p99 of the
producer's acknowledgement and of produce-to-consume (end to end), and the broker's RSS.

    python bench/stalled_readers.py [--stalled 0,50,200] [--records 50000] [--rounds 1] [--brokers strom,kafka]
"""

from __future__ import annotations

import argparse
import socket
import struct
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import psutil
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.headers import RequestHeader, encode_request_header
from strom.protocol.schema.fetch import FetchPartition, FetchRequest, FetchTopic

if TYPE_CHECKING:
    from strom.testing.apache_kafka import ApacheKafka
    from strom.testing.broker import BrokerProcess

FETCH_VERSION = 11  # topics by name, not flexible: every broker since Kafka 2.3 takes it
VALUE = b"x" * 200


def fetch_requests(topic: str, count: int) -> bytes:
    """`count` pipelined Fetch requests for 1 MiB from offset 0 of `topic`-0, answered at once."""
    out = bytearray()
    for i in range(count):
        frame = bytearray()
        encode_request_header(frame, RequestHeader(1, FETCH_VERSION, i, "stalled-reader"))
        request = FetchRequest(
            replica_id=-1,
            max_wait_ms=0,
            min_bytes=1,
            max_bytes=1 << 20,
            topics=[FetchTopic(topic=topic, partitions=[FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1 << 20)])],
        )
        frame += request.encode(FETCH_VERSION)
        out += struct.pack(">i", len(frame)) + frame
    return bytes(out)


class StalledReaders:
    """N connections that send Fetch requests until the broker stops taking them, and never read."""

    def __init__(self, port: int, topic: str, count: int) -> None:
        self.socks: list[socket.socket] = []
        self.sent = 0
        burst = fetch_requests(topic, 200)
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            self.socks.append(s)
        deadline = time.monotonic() + 3
        offsets = [0] * count
        while time.monotonic() < deadline and self.socks:
            progress = False
            for i, s in enumerate(self.socks):
                try:
                    n = s.send(burst[offsets[i] % len(burst) :])
                    offsets[i] += n
                    progress = progress or n > 0
                except (BlockingIOError, InterruptedError):
                    pass
            if not progress:
                break
            time.sleep(0.01)
        self.sent = sum(offsets) // (len(burst) // 200)

    def close(self) -> None:
        for s in self.socks:
            s.close()


def produce_throughput(bootstrap: str, topic: str, records: int) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    t0 = time.perf_counter()
    for i in range(records):
        while True:
            try:
                producer.produce(topic, VALUE)
                break
            except BufferError:
                producer.poll(0.01)
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(300) == 0
    return records / (time.perf_counter() - t0)


def first_ack_ms(bootstrap: str, topic: str) -> float:
    """A new producer's first acknowledged record, right after the stalled readers sent their requests: how
    long the broker stays busy with what they asked for."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    t0 = time.perf_counter()
    producer.produce(topic, VALUE)
    assert producer.flush(120) == 0
    return (time.perf_counter() - t0) * 1000


def fetch_throughput(bootstrap: str, topic: str, records: int) -> float:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:8]}", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got, t0, deadline = 0, 0.0, time.monotonic() + 300
    while got < records and time.monotonic() < deadline:
        n = len([m for m in consumer.consume(1000, 1.0) if m.error() is None])
        if n and not t0:
            t0 = time.perf_counter()
        got += n
    seconds = time.perf_counter() - t0
    consumer.close()
    assert got >= records, got
    return got / seconds


def paced_latencies(bootstrap: str, topic: str, rate: float, seconds: float) -> tuple[list[float], list[float]]:
    """Acknowledgement and end-to-end latencies (ms) of records produced at `rate`/s for `seconds`."""
    acks: list[float] = []
    e2e: list[float] = []
    total = int(rate * seconds)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:8]}", "fetch.wait.max.ms": 100})
    consumer.assign([TopicPartition(topic, 0, 0)])
    done = threading.Event()

    def consume() -> None:
        while not done.is_set() and len(e2e) < total:
            for m in consumer.consume(500, 0.2):
                if m.error() is None:
                    e2e.append((time.perf_counter() - float(m.value().decode())) * 1000)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    time.sleep(1.0)  # the consumer's first fetch is in the broker before the first record
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})

    def delivered(err: Any, msg: Any) -> None:
        if err is None:
            acks.append((time.perf_counter() - float(msg.value().decode())) * 1000)

    start = time.perf_counter()
    for i in range(total):
        wait = start + i / rate - time.perf_counter()
        if wait > 0:
            producer.poll(wait)
        producer.produce(topic, repr(time.perf_counter()).encode(), callback=delivered)
        producer.poll(0)
    producer.flush(60)
    deadline = time.monotonic() + 30
    while len(e2e) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    reader.join(10)
    consumer.close()
    return acks, e2e


def create_topic(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})  # held until the answer: a dropped client fails its futures
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_broker(name: str) -> BrokerProcess | ApacheKafka:
    if name == "strom":
        from strom.testing.broker import BrokerProcess

        return BrokerProcess().start()
    from strom.testing.apache_kafka import ApacheKafka

    return ApacheKafka().start()


def broker_pid(broker: BrokerProcess | ApacheKafka) -> int:
    assert broker.proc is not None
    return broker.proc.pid


def one_case(broker: BrokerProcess | ApacheKafka, stalled: int, records: int, stall_topic: str) -> dict[str, float]:
    topic = f"bench-{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, topic)
    rss_before = psutil.Process(broker_pid(broker)).memory_info().rss
    readers = StalledReaders(broker.port, stall_topic, stalled)
    try:
        first_ack = first_ack_ms(broker.bootstrap, topic)
        produced = produce_throughput(broker.bootstrap, topic, records)
        fetched = fetch_throughput(broker.bootstrap, topic, records)
        paced = f"{topic}-paced"
        create_topic(broker.bootstrap, paced)
        acks, e2e = paced_latencies(broker.bootstrap, paced, 500, 4)
        rss = psutil.Process(broker_pid(broker)).memory_info().rss
        return {
            "stalled": stalled,
            "requests sent": readers.sent,
            "first ack ms": first_ack,
            "produce/s": produced,
            "fetch/s": fetched,
            "ack p50": percentile(acks, 0.5),
            "ack p99": percentile(acks, 0.99),
            "e2e p50": percentile(e2e, 0.5),
            "e2e p99": percentile(e2e, 0.99),
            "rss MiB": rss / (1 << 20),
            "rss grew MiB": (rss - rss_before) / (1 << 20),
        }
    finally:
        readers.close()


def prefill(bootstrap: str, topic: str) -> None:
    """A few MiB for the stalled readers to ask for."""
    create_topic(bootstrap, topic)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for _ in range(4000):
        producer.produce(topic, b"s" * 1000)
        producer.poll(0)
    assert producer.flush(120) == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stalled", default="0,50,200")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--brokers", default="strom,kafka")
    args = parser.parse_args()
    counts = [int(n) for n in args.stalled.split(",")]
    brokers = args.brokers.split(",")
    rows: dict[tuple[str, int], list[dict[str, float]]] = {}
    for _ in range(args.rounds):
        for name in brokers:
            broker = start_broker(name)
            try:
                stall_topic = "stalled-readers-data"
                prefill(broker.bootstrap, stall_topic)
                one_case(broker, 0, args.records, stall_topic)  # warm-up (a JVM's JIT), not counted
                for n in counts:
                    row = one_case(broker, n, args.records, stall_topic)
                    rows.setdefault((name, n), []).append(row)
                    print(f"{name:6} " + "  ".join(f"{k} {v:,.1f}" for k, v in row.items()), flush=True)
            finally:
                broker.close()
    keys = ["first ack ms", "produce/s", "fetch/s", "ack p50", "ack p99", "e2e p50", "e2e p99", "rss grew MiB"]
    print("\n| stalled | broker | first ack ms | produce records/s | fetch records/s | ack p50 / p99 ms | e2e p50 / p99 ms | RSS +MiB |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in counts:
        for name in brokers:
            runs = rows[(name, n)]
            med = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in keys}
            print(
                f"| {n} | {name} | {med['first ack ms']:,.0f} | {med['produce/s']:,.0f} | {med['fetch/s']:,.0f} | "
                f"{med['ack p50']:.1f} / {med['ack p99']:.1f} | "
                f"{med['e2e p50']:.1f} / {med['e2e p99']:.1f} | {med['rss grew MiB']:.0f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
