"""A transactional producer killed with kill -9 in the middle of a transaction, again and again: each time a
new producer with the same transactional.id fences it (the open transaction is aborted by the coordinator), and
a read_committed consumer reads every committed transaction's records once, in order, and nothing of the
killed ones (judged by the history checker)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.broker import BrokerProcess
from strom.testing.faults.checker import check
from strom.testing.faults.history import History

pytestmark = pytest.mark.timeout(300)

# a child process: transactions of 5 records, each line of stdout is what happened; it kills itself (kill -9)
# with three records of its third transaction sent -- the parent reading its pipe would lag behind it
PRODUCER = r"""
import os, signal, sys, confluent_kafka as ck
bootstrap, topic, txid, prefix = sys.argv[1:5]
p = ck.Producer({"bootstrap.servers": bootstrap, "transactional.id": txid, "linger.ms": 0})
p.init_transactions(30)
print("ready", flush=True)
n = 0
while True:
    p.begin_transaction()
    values = [f"{prefix}-{n}-{i}" for i in range(5)]
    for v in values:
        print("send", n, v, flush=True)
        p.produce(topic, value=v.encode(), partition=0)
        p.flush(10)
        if n == 2 and v.endswith("-2"):
            os.kill(os.getpid(), signal.SIGKILL)
    p.commit_transaction(30)
    print("commit", n, flush=True)
    n += 1
"""


def test_producers_killed_mid_transaction_leave_only_committed_records(tmp_path):
    history = History(seed=19)
    topic = f"txn-kill-{uuid.uuid4().hex[:6]}"
    txid = f"tx-{topic}"
    with BrokerProcess(tmp_path / "broker") as broker:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(20)
        for round_ in range(3):
            child = subprocess.Popen(
                [sys.executable, "-c", PRODUCER, broker.bootstrap, topic, txid, f"r{round_}"], stdout=subprocess.PIPE, text=True
            )
            assert child.stdout is not None
            killed = None
            for line in child.stdout:
                kind, *rest = line.split()
                if kind == "send":
                    n, value = rest
                    history.send("producer", topic, 0, value, txn=f"{round_}-{n}")
                    killed = n
                elif kind == "commit":
                    history.txn_end("producer", f"{round_}-{rest[0]}", committed=True)
                    killed = None
            child.stdout.close()
            assert killed == "2"
            history.fault("kill -9", f"producer round {round_} in transaction {killed}")
            child.wait()
            # the next producer with this transactional.id fences the dead one: its open transaction is aborted
            fencer = ck.Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": txid})
            fencer.init_transactions(30)
            history.txn_end("producer", f"{round_}-{killed}", committed=False)
            del fencer
        consumer = ck.Consumer(
            {
                "bootstrap.servers": broker.bootstrap,
                "group.id": f"g-{topic}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
            }
        )
        consumer.assign([ck.TopicPartition(topic, 0, 0)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == ck.KafkaError._PARTITION_EOF:
                    break
                raise AssertionError(msg.error())
            history.consume("reader", topic, 0, msg.offset(), msg.value().decode(), read_committed=True)
        consumer.close()
    report = check(history)
    read = [e for e in history.events("consume")]
    print(f"{len(history.events('send'))} sent, {len(read)} read under read_committed; checker: {report}")
    assert report.aborted_read_count == 0 and report.lost_count == 0 and report.duplicated_count == 0 and report.reordered_count == 0
    assert len(read) == 3 * 2 * 5  # two committed transactions of five records per round
