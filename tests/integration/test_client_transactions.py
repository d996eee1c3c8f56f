"""Strom's transactional producer against Apache Kafka 3.9 and Strom: commits and aborts as read_committed
consumers (confluent-kafka's and Strom's) see them, a consume-transform-produce loop that is exactly once
across a crash, a zombie fenced by a newer producer with the same transactional.id, and the errors an
application gets (abortable, fatal, wrong state, bad configuration)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import confluent_kafka as ck
import pytest

import strom
from strom import TopicPartition
from strom.aio import AIOProducer
from strom.client.transactions import TransactionError
from tests.integration.client_peers import PEERS, make_topic, serve


@pytest.fixture(scope="module", params=PEERS)
def bootstrap(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from serve(request)


def txn_producer(bootstrap: str, txn_id: str | None = None, **conf: Any) -> strom.Producer:
    p = strom.Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id or f"tx-{uuid.uuid4().hex[:8]}", **conf})
    p.init_transactions(60)
    return p


def read_all(consumer: Any, want: int, seconds: float = 60.0, settle: float = 1.0) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of everything the consumer returns until `want` arrived and `settle` s pass quietly."""
    out: list[tuple[int, int, bytes]] = []
    deadline = time.monotonic() + seconds
    quiet_until = None
    while time.monotonic() < deadline:
        msgs = consumer.consume(100, 0.2)
        for m in msgs:
            assert m.error() is None, m.error()
            out.append((m.partition(), m.offset(), m.value()))
        if len(out) >= want:
            if msgs:
                quiet_until = time.monotonic() + settle
            elif quiet_until is None:
                quiet_until = time.monotonic() + settle
            elif time.monotonic() >= quiet_until:
                break
    return out


def strom_reader(bootstrap: str, topic: str, partitions: int, level: str = "read_committed") -> strom.Consumer:
    c = strom.Consumer({"bootstrap.servers": bootstrap, "isolation.level": level, "fetch.max.wait.ms": 100})
    c.assign([TopicPartition(topic, p, strom.OFFSET_BEGINNING) for p in range(partitions)])
    return c


def confluent_reader(bootstrap: str, topic: str, partitions: int) -> ck.Consumer:
    c = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{uuid.uuid4().hex[:6]}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 100,
        }
    )
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    return c


def test_commit_and_abort_as_read_committed_consumers_see_them(bootstrap: str) -> None:
    topic = make_topic(bootstrap, 2, "txn")
    reports: list[tuple[bytes, Any]] = []

    def report(err: Any, msg: Any) -> None:
        reports.append((msg.value(), err))

    p = txn_producer(bootstrap, on_delivery=report)
    p.begin_transaction()
    for i in range(10):
        p.produce(topic, b"c1-%d" % i, partition=i % 2)
    p.commit_transaction(60)
    assert [e for _, e in reports] == [None] * 10  # commit flushed and served every report

    p.begin_transaction()
    for i in range(5):
        p.produce(topic, b"ab-%d" % i, partition=i % 2)
    assert p.flush(20) == 0  # written to the log, then aborted
    p.abort_transaction(30)

    p.begin_transaction()
    for i in range(3):
        p.produce(topic, b"gone-%d" % i, partition=0)
    p.abort_transaction(30)  # never sent, or sent and aborted: either way never visible

    p.begin_transaction()
    for i in range(4):
        p.produce(topic, b"c2-%d" % i, partition=i % 2)
    p.commit_transaction(60)
    p.close()

    committed = sorted([b"c1-%d" % i for i in range(10)] + [b"c2-%d" % i for i in range(4)])
    for reader in (strom_reader(bootstrap, topic, 2), confluent_reader(bootstrap, topic, 2)):
        got = read_all(reader, len(committed))
        reader.close()
        assert sorted(v for _, _, v in got) == committed
        for part in (0, 1):  # per partition in offset order, the first transaction before the last
            values = [v for p_, _, v in sorted(got) if p_ == part]
            assert values == sorted(values, key=lambda v: (v[:2] != b"c1", int(v.split(b"-")[1])))
    everything = read_all(strom_reader(bootstrap, topic, 2, "read_uncommitted"), 19, settle=0.5)
    values = {v for _, _, v in everything}
    assert {b"ab-%d" % i for i in range(5)} <= values  # the aborted records are in the log, just hidden


def test_consume_transform_produce_is_exactly_once_across_a_crash(bootstrap: str) -> None:
    source, sink = make_topic(bootstrap, 2, "eos-in"), make_topic(bootstrap, 2, "eos-out")
    n = 120
    plain = strom.Producer({"bootstrap.servers": bootstrap})
    for i in range(n):
        plain.produce(source, b"%d" % i, key=b"k%d" % i)
    assert plain.flush(20) == 0
    plain.close()
    group, txn_id = f"eos-{uuid.uuid4().hex[:6]}", f"eos-tx-{uuid.uuid4().hex[:6]}"

    def worker() -> tuple[strom.Consumer, strom.Producer]:
        c = strom.Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            }
        )
        c.subscribe([source])
        return c, txn_producer(bootstrap, txn_id)

    def process(c: strom.Consumer, p: strom.Producer, commit: bool) -> int:
        msgs = [m for m in c.consume(25, 1.0) if m.error() is None]
        if not msgs:
            return 0
        p.begin_transaction()
        for m in msgs:
            p.produce(sink, b"out-" + m.value(), key=m.key())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        if commit:
            p.commit_transaction(60)
        else:
            p.abort_transaction(30)
        return len(msgs)

    c, p = worker()
    done = 0
    deadline = time.monotonic() + 30
    while done < n // 3 and time.monotonic() < deadline:
        done += process(c, p, commit=True)
    assert 0 < done < n
    while not process(c, p, commit=False):  # a failed batch: its output and its offsets vanish together
        assert time.monotonic() < deadline
    c.close()
    p.close()  # the "crash": a new worker with the same transactional.id takes over from the committed offsets

    c, p = worker()
    deadline = time.monotonic() + 40
    while done < n and time.monotonic() < deadline:
        done += process(c, p, commit=True)
    assert done == n
    committed = c.committed([TopicPartition(source, 0), TopicPartition(source, 1)], timeout=10)
    c.close()
    p.close()

    out = read_all(strom_reader(bootstrap, sink, 2), n)
    assert sorted(v for _, _, v in out) == sorted(b"out-%d" % i for i in range(n))  # every input once
    ends = strom.Consumer({"bootstrap.servers": bootstrap})
    total = sum(ends.get_watermark_offsets(TopicPartition(source, part), 10)[1] for part in (0, 1))
    ends.close()
    assert sum(tp.offset for tp in committed) == total == n


def test_a_zombie_is_fenced_by_a_newer_producer_with_the_same_id(bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "zombie")
    txn_id = f"z-{uuid.uuid4().hex[:6]}"
    zombie = txn_producer(bootstrap, txn_id)
    zombie.begin_transaction()
    zombie.produce(topic, b"zombie-1")
    assert zombie.flush(60) == 0

    successor = txn_producer(bootstrap, txn_id)  # bumps the epoch and aborts the zombie's open transaction
    successor.begin_transaction()
    successor.produce(topic, b"live")
    successor.commit_transaction(60)

    with pytest.raises(strom.KafkaException) as raised:
        zombie.produce(topic, b"zombie-2")
        zombie.commit_transaction(60)
    error = raised.value
    assert isinstance(error, TransactionError) and error.fatal() and not error.txn_requires_abort()
    # Kafka >= 3.6 verifies a transactional produce with the coordinator first (KIP-890 part 1): when the zombie's
    # produce gets there before its EndTxn, the verification answers INVALID_TXN_STATE, which is fatal too
    assert error.code() in (
        strom.ErrorCode.PRODUCER_FENCED,
        strom.ErrorCode.INVALID_PRODUCER_EPOCH,
        strom.ErrorCode.INVALID_TXN_STATE,
    )
    with pytest.raises(TransactionError) as again:
        zombie.begin_transaction()  # fatal stays fatal: the only way on is a new producer
    assert again.value.fatal()
    zombie.close()
    successor.close()

    got = read_all(strom_reader(bootstrap, topic, 1), 1)
    assert [v for _, _, v in got] == [b"live"]


def test_a_failed_record_makes_the_transaction_abortable(bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "abortable")
    errors: list[Any] = []
    p = txn_producer(bootstrap, on_delivery=lambda err, msg: errors.append(err))
    p.begin_transaction()
    p.produce(topic, b"first")
    p.produce(topic, b"x" * 2_000_000)  # over max.request.size: this record fails, so the transaction cannot commit
    with pytest.raises(TransactionError) as raised:
        p.commit_transaction(60)
    assert raised.value.txn_requires_abort() and not raised.value.fatal()
    assert any(e is not None and e.code() == strom.ErrorCode.MESSAGE_TOO_LARGE for e in errors)
    with pytest.raises(TransactionError):
        p.produce(topic, b"more")  # nothing new until the abort
    p.abort_transaction(30)

    p.begin_transaction()  # the same producer carries on
    p.produce(topic, b"second")
    p.commit_transaction(60)
    p.close()
    got = read_all(strom_reader(bootstrap, topic, 1), 1)
    assert [v for _, _, v in got] == [b"second"]


def test_calls_in_the_wrong_state_and_bad_configuration_are_clear_errors(bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "states")
    p = strom.Producer({"bootstrap.servers": bootstrap, "transactional.id": f"s-{uuid.uuid4().hex[:6]}"})
    for call in (p.begin_transaction, lambda: p.produce(topic, b"x"), lambda: p.commit_transaction(5)):
        with pytest.raises(TransactionError, match="INVALID_TXN_STATE.*Uninitialized"):
            call()
    p.init_transactions(30)
    with pytest.raises(TransactionError, match="produce is not valid in state Ready"):
        p.produce(topic, b"x")
    with pytest.raises(TransactionError, match="commit_transaction is not valid in state Ready"):
        p.commit_transaction(5)
    p.begin_transaction()
    with pytest.raises(TransactionError, match="begin_transaction is not valid in state InTransaction"):
        p.begin_transaction()
    with pytest.raises(TransactionError, match="not an offset to commit"):
        p.send_offsets_to_transaction([TopicPartition(topic, 0, -1)], strom.client.types.ConsumerGroupMetadata("g"), 5)
    p.commit_transaction(10)  # an empty transaction: nothing to tell the coordinator
    p.close()

    plain = strom.Producer({"bootstrap.servers": bootstrap})
    with pytest.raises(TransactionError, match="needs 'transactional.id'"):
        plain.init_transactions(5)
    plain.close()
    for bad in ({"enable.idempotence": False}, {"acks": "1"}, {"transactional.id": ""}):
        with pytest.raises(strom.ConfigError, match="transactional.id"):
            strom.Producer({"bootstrap.servers": bootstrap, "transactional.id": "t", **bad})


def test_asyncio_producer_transactions(bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "aio-txn")

    async def run() -> None:
        p = AIOProducer({"bootstrap.servers": bootstrap, "transactional.id": f"a-{uuid.uuid4().hex[:6]}"})
        await p.init_transactions(30)
        p.begin_transaction()
        aborted = await p.send(topic, b"aborted")
        await aborted
        await p.abort_transaction(30)
        p.begin_transaction()
        fut = await p.send(topic, b"committed")
        await p.commit_transaction(60)
        assert (await fut).offset >= 1  # after the aborted record (and its marker)
        await p.close()

    asyncio.run(run())
    got = read_all(strom_reader(bootstrap, topic, 1), 1)
    assert [v for _, _, v in got] == [b"committed"]


def test_on_the_wire_partitions_join_the_transaction_before_their_first_batch(bootstrap: str) -> None:
    """Through a recording proxy: FindCoordinator(key_type 1), InitProducerId with the id, every Produce
    only after AddPartitionsToTxn named its partitions, transactional batches, EndTxn last; a connection
    cut under AddPartitionsToTxn and under EndTxn is retried (the coordinator may already have acted)."""
    from strom.protocol.records import read_batch_header
    from strom.testing.kafka_proxy import DROP, Exchange, KafkaProxy

    topic = make_topic(bootstrap, 3, "wire")
    host, port = bootstrap.rsplit(":", 1)
    proxy = KafkaProxy(host, int(port)).start()
    cut: set[int] = set()

    def cut_first(exchange: Exchange) -> Any:
        if exchange.api_key in (24, 26) and exchange.api_key not in cut:
            cut.add(exchange.api_key)
            return DROP
        return None

    proxy.on_request = cut_first
    try:
        p = txn_producer(proxy.bootstrap)
        for round_ in range(2):
            p.begin_transaction()
            for i in range(9):
                p.produce(topic, b"r%d-%d" % (round_, i), partition=i % 3)
            p.commit_transaction(60)
        p.close()
        assert cut == {24, 26}

        reqs = list(proxy.requests)
        finds = [e.message for e in reqs if e.api_key == 10]
        assert any(getattr(f, "key_type", 0) == 1 for f in finds)
        inits = [e.message for e in reqs if e.api_key == 22]
        assert inits and all(i.transactional_id is not None for i in inits)
        producer_id = proxy.responses_of(22)[-1].producer_id
        added: set[tuple[str, int]] = set()
        ends = 0
        for e in reqs:
            if e.api_key == 24:
                for t in e.message.v3_and_below_topics:
                    added |= {(t.name, q) for q in t.partitions}
            elif e.api_key == 0:
                assert e.message.transactional_id is not None
                for t in e.message.topic_data:
                    for part in t.partition_data:
                        assert (t.name, part.index) in added, "Produce before AddPartitionsToTxn"
                        header = read_batch_header(part.records)
                        assert header.is_transactional and header.producer_id == producer_id
            elif e.api_key == 26:
                assert e.message.committed
                ends += 1
                added.clear()  # the next transaction adds its partitions again
        assert ends >= 3  # two commits, one of them sent twice after the cut
    finally:
        proxy.close()
    got = read_all(strom_reader(bootstrap, topic, 3), 18)
    assert sorted(v for _, _, v in got) == sorted(b"r%d-%d" % (r, i) for r in range(2) for i in range(9))


def test_after_a_batch_fails_the_abort_bumps_the_epoch_and_the_producer_carries_on(bootstrap: str) -> None:
    """A batch the broker rejects (over the topic's max.message.bytes) spends sequence numbers: the abort
    is followed by InitProducerId with the live id and epoch (KIP-360), then sequences start at 0 again."""
    topic = f"bump-{uuid.uuid4().hex[:8]}"
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([strom.NewTopic(topic, 1, 1, config={"max.message.bytes": "2000"})])[topic].result(20)
    admin.close()
    errors: list[Any] = []
    p = txn_producer(bootstrap, on_delivery=lambda err, msg: errors.append(err))
    pid, epoch = p._aio.txn.producer_id, p._aio.txn.producer_epoch  # type: ignore[union-attr]
    p.begin_transaction()
    p.produce(topic, b"ok")
    assert p.flush(20) == 0
    p.produce(topic, b"y" * 5000)
    with pytest.raises(TransactionError) as raised:
        p.commit_transaction(60)
    assert raised.value.txn_requires_abort()
    assert errors[0] is None and errors[1].code() in (strom.ErrorCode.MESSAGE_TOO_LARGE, strom.ErrorCode.RECORD_LIST_TOO_LARGE)
    p.abort_transaction(30)
    assert (p._aio.txn.producer_id, p._aio.txn.producer_epoch) == (pid, epoch + 1)  # type: ignore[union-attr]
    p.begin_transaction()
    p.produce(topic, b"after")
    p.commit_transaction(60)
    p.close()
    got = read_all(strom_reader(bootstrap, topic, 1), 1)
    assert [v for _, v in [(o, v) for _, o, v in got]] == [b"after"]


def test_producer_perf_test_commits_a_transaction_per_duration(bootstrap: str) -> None:
    """kafka-producer-perf-test.sh --transactional-id --transaction-duration-ms, as Kafka's tool: the
    records arrive in several committed transactions (one commit marker each), all readable read_committed."""
    import subprocess
    from pathlib import Path

    topic = make_topic(bootstrap, 1, "perf-txn")
    script = Path(__file__).resolve().parents[2] / "bin" / "kafka-producer-perf-test.sh"
    out = subprocess.run(
        [
            str(script), "--topic", topic, "--num-records", "3000", "--record-size", "50", "--throughput", "3000",
            "--transactional-id", f"perf-{uuid.uuid4().hex[:6]}", "--transaction-duration-ms", "200",
            "--producer-props", f"bootstrap.servers={bootstrap}",
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1].startswith("3000 records sent")
    got = read_all(strom_reader(bootstrap, topic, 1), 3000, settle=0.5)
    assert len(got) == 3000
    ends = strom.Consumer({"bootstrap.servers": bootstrap})
    high = ends.get_watermark_offsets(TopicPartition(topic, 0), 10)[1]
    ends.close()
    assert 3000 + 3 <= high <= 3000 + 15  # about one commit marker per 200 ms over ~1 s of sending
