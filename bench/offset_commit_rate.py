"""Synchronous offset commits per second, Strom vs Apache Kafka 3.9, same client (confluent-kafka), same settings.

    .venv/bin/python bench/offset_commit_rate.py [--seconds 5] [--partitions 6]

One consumer of a group owning every partition of a topic commits one offset per partition per request,
waiting for each answer (commit(asynchronous=False)), for a fixed time: the rate is OffsetCommit round trips
per second through the coordinator, including the append to __consumer_offsets.
"""

from __future__ import annotations

import argparse
import time
import uuid

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.apache_kafka import KAFKA_VERSION, ApacheKafka
from strom.testing.broker import BrokerProcess


def rate(bootstrap: str, seconds: float, partitions: int) -> float:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = f"commits-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"rate-{uuid.uuid4().hex[:6]}", "enable.auto.commit": False})
    c.assign([ck.TopicPartition(topic, p) for p in range(partitions)])
    for _ in range(100):  # warm up: coordinator found, __consumer_offsets loaded (Kafka answers NOT_COORDINATOR until then)
        try:
            c.commit(offsets=[ck.TopicPartition(topic, p, 0) for p in range(partitions)], asynchronous=False)
            break
        except ck.KafkaException:
            time.sleep(0.2)
    n = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        n += 1
        c.commit(offsets=[ck.TopicPartition(topic, p, n) for p in range(partitions)], asynchronous=False)
    took = time.monotonic() - start
    c.close()
    return n / took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--partitions", type=int, default=6)
    args = ap.parse_args()
    with BrokerProcess() as strom:
        strom_rate = rate(strom.bootstrap, args.seconds, args.partitions)
    kafka = ApacheKafka()
    try:
        kafka.start()
        kafka_rate = rate(kafka.bootstrap, args.seconds, args.partitions)
    finally:
        kafka.close()
    print(f"| broker | synchronous OffsetCommit requests/s ({args.partitions} partitions each) |")
    print("|---|---|")
    print(f"| Strom | {strom_rate:.0f} |")
    print(f"| Kafka {KAFKA_VERSION} | {kafka_rate:.0f} |")


if __name__ == "__main__":
    main()
