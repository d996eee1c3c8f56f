"""Transactions on a Strom broker with confluent-kafka (librdkafka): the transactional producer's commit and
abort, read_committed vs read_uncommitted consumers, a zombie fenced by its successor, offsets committed
inside a transaction (consume-transform-produce), and a broker kill -9 in the middle of a transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from strom.testing.broker import BrokerProcess


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides={"transaction.abort.timed.out.transaction.cleanup.interval.ms": "500"}).start()
    yield b
    b.close()


def _topic(bootstrap: str, partitions: int = 1) -> str:
    name = f"txn-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the result is in
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(20)
    return name


def _producer(bootstrap: str, txn_id: str | None = None, **conf: object) -> ck.Producer:
    p = ck.Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id or f"tx-{uuid.uuid4().hex[:8]}", "linger.ms": 5, **conf})
    p.init_transactions(30)
    return p


def _read(bootstrap: str, topic: str, level: str, seconds: float = 3.0, partitions: int = 1) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of every record a consumer at `level` gets within `seconds`."""
    c = ck.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"r-{uuid.uuid4().hex[:6]}", "isolation.level": level, "enable.auto.commit": False}
    )
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m = c.poll(0.1)
        if m is not None and m.error() is None:
            out.append((m.partition(), m.offset(), m.value()))
    c.close()
    return out


def _latest(bootstrap: str, topic: str, committed: bool) -> int:
    level = ck.IsolationLevel.READ_COMMITTED if committed else ck.IsolationLevel.READ_UNCOMMITTED
    tp = ck.TopicPartition(topic, 0)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    result = admin.list_offsets({tp: OffsetSpec.latest()}, isolation_level=level)
    return int(result[tp].result(20).offset)


def test_commit_and_abort_seen_by_read_committed_and_read_uncommitted(broker: BrokerProcess) -> None:
    topic = _topic(broker.bootstrap)
    p = _producer(broker.bootstrap)
    p.begin_transaction()
    for i in range(3):
        p.produce(topic, b"c%d" % i)
    p.commit_transaction(20)
    p.begin_transaction()
    for i in range(2):
        p.produce(topic, b"a%d" % i)
    assert p.flush(20) == 0  # in the log, then aborted
    p.abort_transaction(20)
    p.begin_transaction()
    p.produce(topic, b"c3")
    p.commit_transaction(20)

    committed = _read(broker.bootstrap, topic, "read_committed")
    assert [v for _, _, v in committed] == [b"c0", b"c1", b"c2", b"c3"]
    everything = _read(broker.bootstrap, topic, "read_uncommitted")
    assert [v for _, _, v in everything] == [b"c0", b"c1", b"c2", b"a0", b"a1", b"c3"]
    # offsets: 3 records, COMMIT marker, 2 records, ABORT marker, 1 record, COMMIT marker
    assert [o for _, o, _ in everything] == [0, 1, 2, 4, 5, 7]
    assert _latest(broker.bootstrap, topic, committed=True) == _latest(broker.bootstrap, topic, committed=False) == 9


def test_open_transaction_holds_back_read_committed(broker: BrokerProcess) -> None:
    topic = _topic(broker.bootstrap)
    plain = ck.Producer({"bootstrap.servers": broker.bootstrap})
    plain.produce(topic, b"before")
    plain.flush(10)
    p = _producer(broker.bootstrap)
    p.begin_transaction()
    p.produce(topic, b"open")
    assert p.flush(20) == 0
    plain.produce(topic, b"after")  # past the open transaction: hidden from read_committed until it ends
    plain.flush(10)
    assert _latest(broker.bootstrap, topic, committed=True) == 1  # the last stable offset
    assert _latest(broker.bootstrap, topic, committed=False) == 3
    assert [v for _, _, v in _read(broker.bootstrap, topic, "read_committed", 1.5)] == [b"before"]
    p.commit_transaction(20)
    assert [v for _, _, v in _read(broker.bootstrap, topic, "read_committed")] == [b"before", b"open", b"after"]
    assert _latest(broker.bootstrap, topic, committed=True) == 4


def test_zombie_producer_is_fenced_by_a_new_one(broker: BrokerProcess) -> None:
    topic = _topic(broker.bootstrap)
    txn_id = f"zombie-{uuid.uuid4().hex[:6]}"
    zombie = _producer(broker.bootstrap, txn_id)
    zombie.begin_transaction()
    zombie.produce(topic, b"zombie")
    assert zombie.flush(20) == 0
    successor = _producer(broker.bootstrap, txn_id)  # bumps the epoch: the zombie's transaction is aborted
    successor.begin_transaction()
    successor.produce(topic, b"successor")
    successor.commit_transaction(20)
    with pytest.raises(ck.KafkaException) as caught:
        zombie.produce(topic, b"late")  # still in its (aborted) transaction
        zombie.commit_transaction(10)
    assert caught.value.args[0].fatal(), caught.value
    assert [v for _, _, v in _read(broker.bootstrap, topic, "read_committed")] == [b"successor"]
    assert b"late" not in [v for _, _, v in _read(broker.bootstrap, topic, "read_uncommitted", 1.5)]


def _consume_transform_produce(bootstrap: str, source: str, sink: str, group: str, commit: bool) -> int:
    c = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    c.subscribe([source])
    p = _producer(bootstrap)
    seen = []
    deadline = time.monotonic() + 20
    while len(seen) < 10 and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            seen.append(m)
    assert len(seen) == 10
    p.begin_transaction()
    for m in seen:
        p.produce(sink, m.value().upper())
    p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 20)
    if commit:
        p.commit_transaction(20)
    else:
        p.abort_transaction(20)
    c.close()
    return len(seen)


def _committed(bootstrap: str, group: str, topic: str) -> int:
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    [tp] = c.committed([ck.TopicPartition(topic, 0)], 10)
    c.close()
    return int(tp.offset)


def test_send_offsets_to_transaction_commits_offsets_with_the_output(broker: BrokerProcess) -> None:
    source, sink = _topic(broker.bootstrap), _topic(broker.bootstrap)
    plain = ck.Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(10):
        plain.produce(source, b"v%d" % i)
    plain.flush(10)
    group = f"ctp-{uuid.uuid4().hex[:6]}"
    _consume_transform_produce(broker.bootstrap, source, sink, group, commit=False)
    assert _committed(broker.bootstrap, group, source) == ck.OFFSET_INVALID  # aborted: nothing committed
    assert _read(broker.bootstrap, sink, "read_committed", 1.0) == []
    _consume_transform_produce(broker.bootstrap, source, sink, group, commit=True)  # reads all 10 again
    assert _committed(broker.bootstrap, group, source) == 10
    assert [v for _, _, v in _read(broker.bootstrap, sink, "read_committed")] == [b"V%d" % i for i in range(10)]


def test_kill9_mid_transaction_aborts_after_restart_and_unblocks_read_committed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    b = BrokerProcess(log_dir=tmp_path, overrides={"transaction.abort.timed.out.transaction.cleanup.interval.ms": "300"}).start()
    try:
        topic = _topic(b.bootstrap)
        group = f"k9-{uuid.uuid4().hex[:6]}"
        committed = _producer(b.bootstrap)
        committed.begin_transaction()
        committed.produce(topic, b"kept")
        committed.commit_transaction(20)
        hanging = _producer(b.bootstrap, **{"transaction.timeout.ms": 4000})
        hanging.begin_transaction()
        hanging.produce(topic, b"lost")
        assert hanging.flush(20) == 0
        c = ck.Consumer({"bootstrap.servers": b.bootstrap, "group.id": group})
        offsets = [ck.TopicPartition(topic, 0, 1)]
        hanging.send_offsets_to_transaction(offsets, c.consumer_group_metadata(), 20)
        c.close()
        b.kill()
        b.start()
        started = time.monotonic()
        plain = ck.Producer({"bootstrap.servers": b.bootstrap})
        plain.produce(topic, b"after")
        plain.flush(20)
        values = [v for _, _, v in _read(b.bootstrap, topic, "read_committed", 10.0)]
        assert values == [b"kept", b"after"], values
        assert time.monotonic() - started < 15
        assert _committed(b.bootstrap, group, topic) == ck.OFFSET_INVALID  # the transaction's offsets went with it
        assert _latest(b.bootstrap, topic, committed=True) == _latest(b.bootstrap, topic, committed=False)
        hanging.purge()
    finally:
        b.close()


def test_offset_fetch_require_stable_reports_offsets_of_an_open_transaction(broker: BrokerProcess) -> None:
    """KIP-447: while a transaction holds offsets of a group partition, OffsetFetch with require_stable
    answers UNSTABLE_OFFSET_COMMIT for it (a read_committed consumer waits); without, the last committed."""
    import asyncio

    from strom.protocol.errors import ErrorCode
    from strom.protocol.schema import offset_fetch
    from strom.transport.connection import BrokerConnection

    topic = _topic(broker.bootstrap)
    group = f"stable-{uuid.uuid4().hex[:6]}"
    p = _producer(broker.bootstrap)
    c = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    p.begin_transaction()
    p.send_offsets_to_transaction([ck.TopicPartition(topic, 0, 5)], c.consumer_group_metadata(), 20)

    async def fetch(require_stable: bool) -> tuple[int, int]:
        host, port = broker.bootstrap.split(":")
        conn = BrokerConnection(host, int(port))
        await conn.connect()
        try:
            request = offset_fetch.OffsetFetchRequest(
                group_id=group,
                topics=[offset_fetch.OffsetFetchRequestTopic(name=topic, partition_indexes=[0])],
                require_stable=require_stable,
            )
            response = await conn.send(request, version=7)
        finally:
            conn.close()
        [part] = response.topics[0].partitions
        return int(part.error_code), int(part.committed_offset)

    assert asyncio.run(fetch(True)) == (ErrorCode.UNSTABLE_OFFSET_COMMIT, -1)
    assert asyncio.run(fetch(False)) == (0, -1)
    p.commit_transaction(20)
    assert asyncio.run(fetch(True)) == (0, 5)
    c.close()


def test_restart_completes_a_transaction_caught_between_prepare_commit_and_its_markers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The coordinator stored PrepareCommit, then the broker died before any marker: after the restart the
    markers are written and the transaction is committed (Kafka's loadTransactionsForTxnTopicPartition)."""
    from strom.coordination.offsets import partition_for
    from strom.coordination.transaction_records import parse_txn_key, parse_txn_value, txn_key, txn_value
    from strom.coordination.transactions import PREPARE_COMMIT
    from strom.protocol.records import BatchBuilder, iter_all_records
    from strom.storage.clock import SystemClock
    from strom.storage.config import LogConfig
    from strom.storage.log import PartitionLog

    b = BrokerProcess(log_dir=tmp_path).start()
    try:
        topic = _topic(b.bootstrap, partitions=2)
        txn_id = f"prep-{uuid.uuid4().hex[:6]}"
        p = _producer(b.bootstrap, txn_id)
        p.begin_transaction()
        for i in range(4):
            p.produce(topic, b"p%d" % i, partition=i % 2)
        assert p.flush(20) == 0
        b.kill()
        p.purge()
        # what the coordinator writes at EndTxn(commit) before the markers: PrepareCommit
        state_dir = tmp_path / "data" / f"__transaction_state-{partition_for(txn_id, 5)}"
        lg = PartitionLog.open(state_dir, LogConfig(cleanup_policy="compact"), SystemClock())
        last = [parse_txn_value(r.value) for _, r in iter_all_records(lg.read_bytes(0)) if parse_txn_key(r.key) == txn_id][-1]
        parts = {t.topic: list(t.partition_ids) for t in last.transaction_partitions}
        assert parts == {topic: [0, 1]}
        value = txn_value(last.producer_id, last.producer_epoch, last.transaction_timeout_ms, PREPARE_COMMIT, parts, 1, 1)
        builder = BatchBuilder()
        builder.append(value, key=txn_key(txn_id))
        lg.append_as_leader(builder.build(), 0)
        lg.close()
        b.start()
        values = sorted(v for _, _, v in _read(b.bootstrap, topic, "read_committed", 3.0, partitions=2))
        assert values == [b"p0", b"p1", b"p2", b"p3"]
    finally:
        b.close()
