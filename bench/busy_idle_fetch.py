"""A consumer reading a busy topic beside an idle one on the same broker: records/s draining N records of
700 B from one partition while also assigned an empty partition, next to the same consumer reading the busy
topic alone. Strom's broker and Apache Kafka 3.9 side by side, with Strom's client, kafka-python, the Java
consumer (kafka-clients 3.9) and confluent-kafka, all at their defaults (fetch.max.wait.ms 500,
max.partition.fetch.bytes 1 MiB). The clock starts at the first record (group joins are left out).

A consumer that leaves partitions with buffered records out of its next fetch (the Java consumer and
kafka-python do) sends a fetch of the idle partition alone, which waits fetch.max.wait.ms in the broker's
purgatory, and the busy partition cannot be fetched until it returns: about one max.partition.fetch.bytes
per fetch.max.wait.ms, on either broker.

    python bench/busy_idle_fetch.py [--records 50000] [--rounds 1] [--brokers strom,kafka]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from confluent_kafka import Consumer as CkConsumer
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

if TYPE_CHECKING:
    from strom.testing.apache_kafka import ApacheKafka
    from strom.testing.broker import BrokerProcess

VALUE = b"v" * 700
JAVA_DRAIN = """
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
public class Drain {
  public static void main(String[] a) {
    Properties p = new Properties();
    p.put("bootstrap.servers", a[0]);
    p.put("group.id", a[2]);
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    int n = Integer.parseInt(a[1]);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      c.subscribe(Arrays.asList(a).subList(3, a.length));
      long t0 = 0; int got = 0; long deadline = System.currentTimeMillis() + 300000;
      while (got < n && System.currentTimeMillis() < deadline) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(1000));
        if (!rs.isEmpty() && t0 == 0) t0 = System.nanoTime();
        got += rs.count();
      }
      System.out.printf("%d %.3f%n", got, (System.nanoTime() - t0) / 1e9);
    }
  }
}
"""
Drain = Callable[[str, int, list[str]], tuple[int, float]]


def make_topics(bootstrap: str, records: int) -> tuple[str, str]:
    busy, idle = f"busy-{uuid.uuid4().hex[:6]}", f"idle-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(busy, 1, 1), NewTopic(idle, 1, 1)]).values():
        future.result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i in range(records):
        producer.produce(busy, VALUE, key=str(i).encode())
        if i % 10000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    return busy, idle


def _group() -> str:
    return f"bench-{uuid.uuid4().hex[:8]}"


def drain_strom(bootstrap: str, records: int, topics: list[str]) -> tuple[int, float]:
    from strom.client.sync_consumer import Consumer

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": _group(), "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe(topics)
    return _drain(lambda: len([m for m in c.consume(1000, 1.0) if m.error() is None]), records, c.close)


def drain_confluent(bootstrap: str, records: int, topics: list[str]) -> tuple[int, float]:
    c = CkConsumer({"bootstrap.servers": bootstrap, "group.id": _group(), "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe(topics)
    return _drain(lambda: len([m for m in c.consume(1000, 1.0) if m.error() is None]), records, c.close)


def drain_kafka_python(bootstrap: str, records: int, topics: list[str]) -> tuple[int, float]:
    from kafka import KafkaConsumer

    c = KafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=_group(), auto_offset_reset="earliest", enable_auto_commit=False)
    return _drain(lambda: sum(len(batch) for batch in c.poll(1000).values()), records, c.close)


def drain_java(bootstrap: str, records: int, topics: list[str]) -> tuple[int, float]:
    from strom.testing.apache_kafka import kafka_libs

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "Drain.java"
        source.write_text(JAVA_DRAIN)
        cmd = ["java", "-cp", f"{kafka_libs()}/*", str(source), bootstrap, str(records), _group(), *topics]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    got, seconds = out.stdout.split()[-2:]
    return int(got), float(seconds)


def _drain(step: Callable[[], int], records: int, close: Callable[[], object]) -> tuple[int, float]:
    got, t0, deadline = 0, 0.0, time.monotonic() + 300
    while got < records and time.monotonic() < deadline:
        n = step()
        if n and not t0:
            t0 = time.perf_counter()
        got += n
    seconds = time.perf_counter() - t0
    close()
    return got, seconds


CLIENTS: dict[str, Drain] = {
    "strom": drain_strom,
    "kafka-python": drain_kafka_python,
    "java": drain_java,
    "confluent-kafka": drain_confluent,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--brokers", default="strom,kafka")
    args = parser.parse_args()
    rows: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(args.rounds):
        for broker_name in args.brokers.split(","):
            broker: BrokerProcess | ApacheKafka
            if broker_name == "strom":
                from strom.testing.broker import BrokerProcess

                broker = BrokerProcess().start()
            else:
                from strom.testing.apache_kafka import ApacheKafka

                broker = ApacheKafka().start()
            try:
                busy, idle = make_topics(broker.bootstrap, args.records)
                for client, drain in CLIENTS.items():
                    for label, topics in (("busy alone", [busy]), ("busy + idle", [busy, idle])):
                        got, seconds = drain(broker.bootstrap, args.records, topics)
                        assert got >= args.records, (client, label, got)
                        rate = got / seconds
                        rows.setdefault((client, label, broker_name), []).append(rate)
                        print(f"{broker_name:6} {client:16} {label:12} {rate:>12,.0f} records/s", flush=True)
            finally:
                broker.close()
    brokers = args.brokers.split(",")
    print("\n| client | topics | " + " | ".join(f"{b} records/s" for b in brokers) + " |")
    print("|---|---|" + "---:|" * len(brokers))
    for client in CLIENTS:
        for label in ("busy alone", "busy + idle"):
            rates = [sorted(rows[(client, label, b)])[len(rows[(client, label, b)]) // 2] for b in brokers]
            print(f"| {client} | {label} | " + " | ".join(f"{r:,.0f}" for r in rates) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
