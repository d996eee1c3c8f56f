"""isolation.level against Apache Kafka 3.9 with confluent-kafka's transactional producer (Strom has no
transactions yet): read_committed stops at the last stable offset while a transaction is open, then
delivers committed records in offset order without the aborted ones; neither level returns control
records, and positions move past the commit/abort markers to the log end."""

from __future__ import annotations

import time
import uuid

import confluent_kafka as ck
import pytest

import strom
from strom import NewTopic, TopicPartition

pytestmark = pytest.mark.java


def transactional(bootstrap: str, **conf: str) -> ck.Producer:
    p = ck.Producer({"bootstrap.servers": bootstrap, "transactional.id": f"tx-{uuid.uuid4().hex[:6]}", "linger.ms": 5, **conf})
    p.init_transactions(30)
    return p


def drain(c: strom.Consumer, seconds: float) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for m in c.consume(100, 0.2):
            assert m.error() is None, m.error()
            out.append((m.offset(), m.value()))
    return out


def test_read_committed_waits_for_open_transactions_and_skips_markers(apache_kafka) -> None:  # type: ignore[no-untyped-def]
    bootstrap = apache_kafka.bootstrap
    topic = f"rc-{uuid.uuid4().hex[:8]}"
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(20)
    admin.close()

    def consumer(level: str) -> strom.Consumer:
        c = strom.Consumer({"bootstrap.servers": bootstrap, "isolation.level": level, "fetch.max.wait.ms": 100})
        c.assign([TopicPartition(topic, 0, strom.OFFSET_BEGINNING)])
        return c

    committed_reader, everything_reader = consumer("read_committed"), consumer("read_uncommitted")
    t1 = transactional(bootstrap, **{"compression.type": "gzip"})
    t1.begin_transaction()
    for i in range(3):
        t1.produce(topic, b"open%d" % i)
    assert t1.flush(20) == 0  # in the log, still open: the last stable offset stays at its first record
    plain = ck.Producer({"bootstrap.servers": bootstrap})
    for i in range(3):
        plain.produce(topic, b"plain%d" % i)
    assert plain.flush(20) == 0
    t2 = transactional(bootstrap, **{"compression.type": "lz4"})
    t2.begin_transaction()
    for i in range(2):
        t2.produce(topic, b"t2-%d" % i)
    t2.commit_transaction(20)

    assert drain(committed_reader, 2.0) == []  # nothing past the open transaction's first offset
    assert committed_reader.position([TopicPartition(topic, 0)])[0].offset == 0
    seen = drain(everything_reader, 1.0)
    # read_uncommitted: every data record, no control record (t2's commit marker sits between them)
    assert [v for _, v in seen] == [b"open0", b"open1", b"open2", b"plain0", b"plain1", b"plain2", b"t2-0", b"t2-1"]

    t1.abort_transaction(20)
    t3 = transactional(bootstrap)
    t3.begin_transaction()
    t3.produce(topic, b"t3-0")
    t3.commit_transaction(20)
    got = drain(committed_reader, 3.0)
    assert [v for _, v in got] == [b"plain0", b"plain1", b"plain2", b"t2-0", b"t2-1", b"t3-0"]
    assert [o for o, _ in got] == sorted(o for o, _ in got)
    more = drain(everything_reader, 1.0)
    assert [v for _, v in more] == [b"t3-0"]

    # both stop after the last marker: the log end, where a new record will be read next
    low, high = committed_reader.get_watermark_offsets(TopicPartition(topic, 0))
    assert committed_reader.position([TopicPartition(topic, 0)])[0].offset == high
    assert everything_reader.position([TopicPartition(topic, 0)])[0].offset == high
    assert high == 3 + 3 + 2 + 1 + 1 + 1 + 1  # open, plain, t2, its commit, the abort, t3, its commit
    for c in (committed_reader, everything_reader):
        c.close()
