"""Transactions on a Strom broker judged by Apache Kafka 3.9's Java clients and tools: the Java
transactional producer (kafka-producer-perf-test --transactional-id), the Java read_committed consumer
skipping an aborted transaction, kafka-transactions.sh (list, describe, describe-producers, abort of a
hanging transaction through WriteTxnMarkers), and kafka-dump-log.sh decoding Strom's __transaction_state
records and .txnindex files."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import confluent_kafka as ck
import pytest

from strom.testing.broker import BrokerProcess

pytestmark = pytest.mark.java

TXN_TOOL = "org.apache.kafka.tools.TransactionsCommand"


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess().start()
    yield b
    b.close()


def _run(kafka_tool, tool: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = kafka_tool(tool, list(args))
    assert result.returncode == 0, result.stderr[-2000:]
    return str(result.stdout)


def _rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("\t")] for line in text.strip().splitlines()[1:]]


def _console(kafka_tool, bootstrap: str, topic: str, level: str, expected: int) -> list[str]:  # type: ignore[no-untyped-def]
    result = kafka_tool(
        "kafka-console-consumer.sh",
        [
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--from-beginning",
            "--isolation-level",
            level,
            "--max-messages",
            str(expected),
            "--timeout-ms",
            "8000",
        ],
    )
    return [line for line in result.stdout.splitlines() if line]


def test_java_transactional_producer_and_kafka_transactions_tool(broker: BrokerProcess, kafka_tool) -> None:  # type: ignore[no-untyped-def]
    topic = f"jtx-{uuid.uuid4().hex[:6]}"
    txn_id = f"java-{uuid.uuid4().hex[:6]}"
    _run(kafka_tool, "kafka-topics.sh", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic, "--partitions", "2")
    out = _run(
        kafka_tool,
        "kafka-producer-perf-test.sh",
        "--topic",
        topic,
        "--num-records",
        "2000",
        "--record-size",
        "50",
        "--throughput",
        "-1",
        "--transactional-id",
        txn_id,
        "--transaction-duration-ms",
        "100",
        "--producer-props",
        f"bootstrap.servers={broker.bootstrap}",
    )
    assert "2000 records sent" in out
    assert len(_console(kafka_tool, broker.bootstrap, topic, "read_committed", 2000)) == 2000

    listed = {row[0]: row for row in _rows(_run(kafka_tool, TXN_TOOL, "--bootstrap-server", broker.bootstrap, "list"))}
    assert listed[txn_id][3] == "CompleteCommit"
    [described] = _rows(_run(kafka_tool, TXN_TOOL, "--bootstrap-server", broker.bootstrap, "describe", "--transactional-id", txn_id))
    assert described[1:3] == [txn_id, listed[txn_id][2]] and described[4] == "CompleteCommit"
    producers = _rows(
        _run(kafka_tool, TXN_TOOL, "--bootstrap-server", broker.bootstrap, "describe-producers", "--topic", topic, "--partition", "0")
    )
    assert [(row[0], row[5]) for row in producers] == [(listed[txn_id][2], "None")]  # no open transaction

    # Kafka's own decoder reads Strom's __transaction_state records
    segments = [p for p in (broker.base / "data").glob("__transaction_state-*/*.log") if p.stat().st_size]
    decoded = "".join(
        _run(kafka_tool, "kafka-dump-log.sh", "--files", str(p), "--transaction-log-decoder", "--print-data-log") for p in segments
    )
    assert f"transactionalId={txn_id}" in decoded
    assert "state=PrepareCommit" in decoded and "state=CompleteCommit" in decoded and "state=Ongoing" in decoded


def test_java_read_committed_consumer_skips_aborted_and_tool_aborts_a_hanging_transaction(broker: BrokerProcess, kafka_tool) -> None:  # type: ignore[no-untyped-def]
    topic = f"jab-{uuid.uuid4().hex[:6]}"
    _run(kafka_tool, "kafka-topics.sh", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic, "--partitions", "1")
    p = ck.Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": f"tx-{uuid.uuid4().hex[:6]}", "linger.ms": 5})
    p.init_transactions(30)
    for values, commit in (([b"c0", b"c1"], True), ([b"a0", b"a1", b"a2"], False), ([b"c2"], True)):
        p.begin_transaction()
        for v in values:
            p.produce(topic, v)
        assert p.flush(20) == 0
        p.commit_transaction(20) if commit else p.abort_transaction(20)
    assert _console(kafka_tool, broker.bootstrap, topic, "read_committed", 3) == ["c0", "c1", "c2"]
    assert _console(kafka_tool, broker.bootstrap, topic, "read_uncommitted", 6) == ["c0", "c1", "a0", "a1", "a2", "c2"]
    [index] = [f for f in (broker.base / "data" / f"{topic}-0").glob("*.txnindex")]
    dumped = _run(kafka_tool, "kafka-dump-log.sh", "--files", str(index))
    assert "firstOffset: 3 lastOffset: 6" in dumped, dumped

    # a transaction left open (its producer gone): describe shows it, `abort` writes the marker directly
    hanging = ck.Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": f"hang-{uuid.uuid4().hex[:6]}"})
    hanging.init_transactions(30)
    hanging.begin_transaction()
    hanging.produce(topic, b"hanging")
    assert hanging.flush(20) == 0
    producers = _rows(
        _run(kafka_tool, TXN_TOOL, "--bootstrap-server", broker.bootstrap, "describe-producers", "--topic", topic, "--partition", "0")
    )
    start = [row for row in producers if row[5] != "None"]
    assert [row[5] for row in start] == ["9"]
    _run(kafka_tool, TXN_TOOL, "--bootstrap-server", broker.bootstrap, "abort", "--topic", topic, "--partition", "0", "--start-offset", "9")
    plain = ck.Producer({"bootstrap.servers": broker.bootstrap})
    plain.produce(topic, b"after")
    plain.flush(10)
    assert _console(kafka_tool, broker.bootstrap, topic, "read_committed", 4) == ["c0", "c1", "c2", "after"]
    hanging.purge()
