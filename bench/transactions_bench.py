"""Transactions, Strom vs Apache Kafka 3.9, same client (confluent-kafka), same settings.

    .venv/bin/python bench/transactions_bench.py [--seconds 5] [--partitions 3] [--records 1000]

Two figures per broker:
- small transactions per second: begin, one record to each partition, commit (the commit waits for the
  markers), back to back -- the round trips of AddPartitionsToTxn, Produce and EndTxn;
- records per second in large transactions (--records 100-byte records spread over the partitions per
  transaction), against the same producer without transactions (idempotent, acks=all) as the baseline;
and the time a read_committed consumer takes to read everything committed.
"""

from __future__ import annotations

import argparse
import time
import uuid

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.apache_kafka import KAFKA_VERSION, ApacheKafka
from strom.testing.broker import BrokerProcess


def _topic(bootstrap: str, partitions: int) -> str:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = f"txbench-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
    return topic


def small_commits(bootstrap: str, seconds: float, partitions: int) -> float:
    topic = _topic(bootstrap, partitions)
    p = ck.Producer({"bootstrap.servers": bootstrap, "transactional.id": f"small-{uuid.uuid4().hex[:6]}", "linger.ms": 0})
    p.init_transactions(60)
    n = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        p.begin_transaction()
        for part in range(partitions):
            p.produce(topic, b"x" * 100, partition=part)
        p.commit_transaction(30)
        n += 1
    return n / (time.monotonic() - start)


def throughput(bootstrap: str, seconds: float, partitions: int, records: int, transactional: bool) -> tuple[float, str]:
    topic = _topic(bootstrap, partitions)
    conf: dict[str, object] = {"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True, "acks": "all"}
    if transactional:
        conf["transactional.id"] = f"big-{uuid.uuid4().hex[:6]}"
    p = ck.Producer(conf)
    if transactional:
        p.init_transactions(60)
    payload = b"x" * 100
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if transactional:
            p.begin_transaction()
        for i in range(records):
            while True:
                try:
                    p.produce(topic, payload, partition=i % partitions)
                    break
                except BufferError:
                    p.poll(0.01)
        if transactional:
            p.commit_transaction(60)
        else:
            p.flush(60)
        sent += records
    return sent / (time.monotonic() - start), topic


def read_committed(bootstrap: str, topic: str, partitions: int, expected: int) -> float:
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"rc-{uuid.uuid4().hex[:6]}", "isolation.level": "read_committed"})
    c.assign([ck.TopicPartition(topic, part, ck.OFFSET_BEGINNING) for part in range(partitions)])
    got = 0
    start = time.monotonic()
    while got < expected and time.monotonic() - start < 120:
        got += sum(1 for m in c.consume(1000, 0.5) if m.error() is None)
    took = time.monotonic() - start
    c.close()
    return got / took


def run(bootstrap: str, args: argparse.Namespace) -> dict[str, float]:
    small = small_commits(bootstrap, args.seconds, args.partitions)
    big, topic = throughput(bootstrap, args.seconds, args.partitions, args.records, True)
    plain, _ = throughput(bootstrap, args.seconds, args.partitions, args.records, False)
    expected = int(big * args.seconds * 0.9)
    return {"small": small, "big": big, "plain": plain, "read": read_committed(bootstrap, topic, args.partitions, expected)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--records", type=int, default=1000)
    args = ap.parse_args()
    with BrokerProcess() as strom:
        ours = run(strom.bootstrap, args)
    kafka = ApacheKafka()
    try:
        kafka.start()
        theirs = run(kafka.bootstrap, args)
    finally:
        kafka.close()
    print(
        f"| broker | transactions/s (1 record x {args.partitions} partitions) | records/s in transactions of {args.records} "
        "| records/s idempotent, no transaction | read_committed records/s |"
    )
    print("|---|---|---|---|---|")
    for name, r in (("Strom", ours), (f"Kafka {KAFKA_VERSION}", theirs)):
        print(f"| {name} | {r['small']:.0f} | {r['big']:.0f} | {r['plain']:.0f} | {r['read']:.0f} |")


if __name__ == "__main__":
    main()
