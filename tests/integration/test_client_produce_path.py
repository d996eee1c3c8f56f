"""strom.Producer's produce() fast path end to end: records appended from the application's thread straight
into open batches, delivery reports served a batch at a time. Independent readers (confluent-kafka and
kcat) must see every record once, in produce order per partition, at the offsets the callbacks reported.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

import strom
from strom.testing.broker import BrokerProcess

Reports = dict[int, list[tuple[int, bytes, bytes]]]  # partition -> (offset, key, value) in report order

RECORDS = 100_000
PARTITIONS = 3


@pytest.fixture(scope="module")
def produced(strom_broker: BrokerProcess) -> Iterator[tuple[str, str, Reports]]:
    """100k keyed records produced once by strom.Producer; per partition, (offset, key, value) as the
    delivery callbacks reported them, in callback order."""
    bootstrap = strom_broker.bootstrap
    topic = f"fast-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    reports: Reports = defaultdict(list)
    errors: list[object] = []
    producer_threads: set[int] = set()

    def on_delivery(err: object, msg: strom.Message) -> None:
        producer_threads.add(threading.get_ident())
        if err is not None:
            errors.append(err)
        else:
            reports[msg.partition()].append((msg.offset(), msg.key(), msg.value()))

    p = strom.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(RECORDS):
        while True:
            try:
                # keys spread records over the partitions; every 10th is keyless (sticky partition)
                p.produce(topic, b"value-%d" % i, None if i % 10 == 0 else b"key-%d" % (i % 997), on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(120) == 0
    p.close()
    assert errors == []
    assert producer_threads == {threading.get_ident()}  # callbacks ran in the application's thread
    yield bootstrap, topic, reports


def test_every_delivery_callback_ran_once_with_consecutive_offsets(
    produced: tuple[str, str, Reports],
) -> None:
    _, _, reports = produced
    assert sum(len(r) for r in reports.values()) == RECORDS
    for partition, got in reports.items():
        assert [offset for offset, _, _ in got] == list(range(len(got))), f"partition {partition}"
    seq = [int(v.split(b"-")[1]) for r in reports.values() for _, _, v in r]
    assert sorted(seq) == list(range(RECORDS))
    for got in reports.values():  # produce order within each partition
        order = [int(v.split(b"-")[1]) for _, _, v in got]
        assert order == sorted(order)


def test_confluent_kafka_reads_every_record_at_its_reported_offset(
    produced: tuple[str, str, Reports],
) -> None:
    bootstrap, topic, reports = produced
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": f"chk-{uuid.uuid4().hex[:6]}", "enable.auto.commit": False})
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    read: Reports = defaultdict(list)
    deadline = time.monotonic() + 120
    count = 0
    while count < RECORDS and time.monotonic() < deadline:
        for m in c.consume(1000, 1):
            assert m.error() is None, m.error()
            read[m.partition()].append((m.offset(), m.key(), m.value()))
            count += 1
    c.close()
    assert dict(read) == dict(reports)


def test_kcat_reads_the_same_records(produced: tuple[str, str, Reports], kcat: str) -> None:
    bootstrap, topic, reports = produced
    out = subprocess.run(
        [kcat, "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p %o %k %s\n"],
        capture_output=True,
        check=True,
        timeout=180,
    ).stdout.decode()
    read: Reports = defaultdict(list)
    for line in out.splitlines():
        partition, offset, key, value = line.split(" ")
        read[int(partition)].append((int(offset), key.encode() or None, value.encode()))  # type: ignore[arg-type]
    expected = {p: [(o, k, v) for o, k, v in r] for p, r in reports.items()}
    assert dict(read) == expected
