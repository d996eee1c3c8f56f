"""confluent-kafka's API, to the letter: the same confluent-style code runs with `confluent_kafka` and with
`strom` as the module (against one Strom broker), and both must behave alike."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import confluent_kafka
import confluent_kafka.admin
import pytest

import strom
import strom.admin
from strom.testing.broker import BrokerProcess
from tests.integration.client_peers import make_topic

CLIENTS = [pytest.param(confluent_kafka, id="confluent_kafka"), pytest.param(strom, id="strom")]


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    broker = BrokerProcess(overrides={"group.min.session.timeout.ms": "1000"}).start()
    yield broker.bootstrap
    broker.close()


def _produce(bootstrap: str, topic: str, n: int, partition: int = 0) -> None:
    p = strom.Producer({"bootstrap.servers": bootstrap})
    for i in range(n):
        p.produce(topic, f"v{i}".encode(), partition=partition)
    assert p.flush(30) == 0
    p.close()


def _consumer(ck: ModuleType, bootstrap: str, **conf: Any) -> Any:
    return ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            **conf,
        }
    )


@pytest.mark.parametrize("ck", CLIENTS)
def test_commit_with_nothing_new_to_commit_raises_no_offset(ck: ModuleType, bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "noofs")
    _produce(bootstrap, topic, 3)
    c = _consumer(ck, bootstrap, **{"enable.auto.commit": False})
    c.subscribe([topic])
    got = _poll_values(c, 3)
    assert got == [b"v0", b"v1", b"v2"]
    assert [(tp.partition, tp.offset) for tp in c.commit(asynchronous=False)] == [(0, 3)]
    with pytest.raises(ck.KafkaException) as raised:
        c.commit(asynchronous=False)
    assert raised.value.args[0].code() == ck.KafkaError._NO_OFFSET
    c.close()


def _poll_values(c: Any, n: int, timeout: float = 30) -> list[bytes]:
    out: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            out.append(m.value())
    return out


def _collect_eof(c: Any, partitions: int, timeout: float = 30) -> tuple[list[bytes], dict[int, int]]:
    values: list[bytes] = []
    eof: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while len(eof) < partitions and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error() is None:
            values.append(m.value())
        else:
            assert m.error().code() == m.error()._PARTITION_EOF, m.error()
            eof[m.partition()] = m.offset()
    return values, eof


@pytest.mark.parametrize("ck", CLIENTS)
def test_enable_partition_eof_gives_one_event_per_partition_at_its_end(ck: ModuleType, bootstrap: str) -> None:
    topic = make_topic(bootstrap, 2, "eof")
    _produce(bootstrap, topic, 2, partition=0)
    c = _consumer(ck, bootstrap, **{"enable.partition.eof": True})
    c.subscribe([topic])
    values, eof = _collect_eof(c, 2)
    assert values == [b"v0", b"v1"] and eof == {0: 2, 1: 0}
    _produce(bootstrap, topic, 1, partition=1)  # new data: the partition reaches its (new) end again
    values, eof = _collect_eof(c, 1)
    assert values == [b"v0"] and eof == {1: 1}
    c.close()


@pytest.mark.parametrize("ck", CLIENTS)
def test_queue_buffering_max_messages_bounds_the_producer_queue(ck: ModuleType, bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "qmax")
    p = ck.Producer({"bootstrap.servers": bootstrap, "queue.buffering.max.messages": 3, "queue.buffering.max.ms": 60000})
    for _ in range(3):
        p.produce(topic, b"x")
    with pytest.raises(BufferError):
        p.produce(topic, b"x")
    assert p.flush(30) == 0
    p.produce(topic, b"x")  # room again once delivered
    assert p.flush(30) == 0


def _stats_documents(ck: ModuleType, bootstrap: str, topic: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One statistics document of a producer and one of a consumer (statistics.interval.ms=1000)."""
    docs: dict[str, list[str]] = {"p": [], "c": []}
    p = ck.Producer({"bootstrap.servers": bootstrap, "statistics.interval.ms": 1000, "stats_cb": docs["p"].append})
    for _ in range(5):
        p.produce(topic, b"12345")
    p.flush(30)
    c = _consumer(ck, bootstrap, **{"statistics.interval.ms": 1000, "stats_cb": docs["c"].append})
    c.subscribe([topic])
    deadline = time.monotonic() + 30
    got = 0
    while (len(docs["c"]) < 2 or len(docs["p"]) < 2 or got < 5) and time.monotonic() < deadline:
        m = c.poll(0.2)
        got += m is not None and m.error() is None
        p.poll(0)
    c.close()
    p.flush(1)
    return json.loads(docs["p"][-1]), json.loads(docs["c"][-1])


def test_stats_cb_gives_librdkafkas_statistics_document(bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "stats")
    ours = _stats_documents(strom, bootstrap, topic)
    theirs = _stats_documents(confluent_kafka, bootstrap, topic)
    for mine, ref, kind in zip(ours, theirs, ("producer", "consumer"), strict=True):
        assert mine["type"] == kind and isinstance(mine["client_id"], str)
        assert set(mine) <= set(ref), set(mine) - set(ref)  # only librdkafka's field names
        for key in (
            "name",
            "ts",
            "time",
            "age",
            "replyq",
            "msg_cnt",
            "msg_size",
            "msg_max",
            "msg_size_max",
            "tx",
            "tx_bytes",
            "rx",
            "rx_bytes",
        ):
            assert key in mine and isinstance(mine[key], type(ref[key])), key
        assert mine["tx"] > 0 and mine["rx"] > 0 and mine["tx_bytes"] > 0
        broker = next(iter(mine["brokers"].values()))
        assert set(broker) <= set(next(iter(ref["brokers"].values())))
        partition = mine["topics"][topic]["partitions"]["0"]
        assert set(partition) <= set(ref["topics"][topic]["partitions"]["0"])
    assert ours[0]["txmsgs"] == 5 and ours[0]["txmsg_bytes"] >= 25
    assert ours[1]["rxmsgs"] >= 5 and ours[1]["topics"][topic]["partitions"]["0"]["hi_offset"] >= 5
    assert set(ours[1]["cgrp"]) <= set(theirs[1]["cgrp"]) and ours[1]["cgrp"]["assignment_size"] == 1


def test_socket_keepalive_enable_sets_so_keepalive(bootstrap: str) -> None:
    p = strom.Producer({"bootstrap.servers": bootstrap, "socket.keepalive.enable": True})
    p.list_topics(timeout=20)
    socks = [c._transport.get_extra_info("socket") for c in p._aio.cluster.connections()]
    assert socks and all(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) for s in socks)
    p.close()


def test_debug_turns_the_contexts_loggers_to_debug(bootstrap: str) -> None:
    p = strom.Producer({"bootstrap.servers": bootstrap, "debug": "msg,eos"})
    assert logging.getLogger("strom.client.sender").level == logging.DEBUG
    assert logging.getLogger("strom.client.transactions").level == logging.DEBUG
    p.close()
    with pytest.raises(strom.KafkaException, match="unknown context"):
        strom.Producer({"bootstrap.servers": bootstrap, "debug": "nonsense"})


PROGRAMS = Path(__file__).parent / "confluent_programs"
# `import strom as confluent_kafka`: the same program, with Strom's modules under confluent-kafka's names
SHIM = (
    "import runpy, sys, strom, strom.admin; "
    "sys.modules['confluent_kafka'] = strom; sys.modules['confluent_kafka.admin'] = strom.admin; "
    "path = sys.argv[1]; sys.argv = sys.argv[1:]; runpy.run_path(path, run_name='__main__')"
)
REFERENCE = "import runpy, sys; path = sys.argv[1]; sys.argv = sys.argv[1:]; runpy.run_path(path, run_name='__main__')"


def _run(program: str, shim: str, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", shim, str(PROGRAMS / program), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


def test_confluent_style_programs_run_unchanged_under_import_strom_as_confluent_kafka(bootstrap: str) -> None:
    """Each program runs on confluent-kafka, then on Strom through the shim; they must print the same."""
    for run in ("ck", "strom"):
        shim = REFERENCE if run == "ck" else SHIM
        topic = f"prog-{run}-{uuid.uuid4().hex[:6]}"
        out = {
            "admin": _run("admin_program.py", shim, bootstrap, topic),
            "producer": _run("producer_program.py", shim, bootstrap, topic),
            "consumer": _run("consumer_program.py", shim, bootstrap, f"g-{topic}", topic),
        }
        outputs = {k: [line.replace(topic, "<topic>") for line in v] for k, v in out.items()}
        if run == "ck":
            expected = outputs
        else:
            assert outputs == expected


@pytest.mark.parametrize("ck", CLIENTS)
def test_store_offsets_decides_what_commit_sends(ck: ModuleType, bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "store")
    _produce(bootstrap, topic, 3)
    conf = {"enable.auto.offset.store": False, "enable.auto.commit": False}
    group = f"g-{uuid.uuid4().hex[:8]}"
    c = _consumer(ck, bootstrap, **{**conf, "group.id": group})
    c.subscribe([topic])
    msgs: list[Any] = []
    deadline = time.monotonic() + 30
    while len(msgs) < 3 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            msgs.append(m)
    c.store_offsets(message=msgs[1])  # processed up to the second record
    assert [(tp.partition, tp.offset) for tp in c.commit(asynchronous=False)] == [(0, 2)]
    with pytest.raises(ck.KafkaException) as raised:
        c.commit(asynchronous=False)
    assert raised.value.args[0].code() == ck.KafkaError._NO_OFFSET
    c.close()
    again = _consumer(ck, bootstrap, **{"group.id": group})
    again.subscribe([topic])
    assert _poll_values(again, 1) == [b"v2"]
    again.close()


@pytest.mark.parametrize("ck", CLIENTS)
def test_purge_fails_records_not_sent_with_purge_queue(ck: ModuleType, bootstrap: str) -> None:
    topic = make_topic(bootstrap, 1, "purge")
    p = ck.Producer({"bootstrap.servers": bootstrap, "queue.buffering.max.ms": 60000})
    p.list_topics(topic, timeout=20)
    reports: list[Any] = []
    for _ in range(3):
        p.produce(topic, b"x", on_delivery=lambda err, msg: reports.append(err.code() if err else None))
    p.purge(in_flight=False)
    deadline = time.monotonic() + 20
    while len(reports) < 3 and time.monotonic() < deadline:
        p.poll(0.1)
    assert reports == [ck.KafkaError._PURGE_QUEUE] * 3 and len(p) == 0
    if ck is strom:  # the producer goes on (librdkafka may still purge a record produced right after purge())
        p.produce(topic, b"y", on_delivery=lambda err, msg: reports.append(err))
        assert p.flush(30) == 0 and reports[-1] is None


def test_cluster_id_is_the_same_for_both_clients(bootstrap: str) -> None:
    ids = set()
    for ck, admin_module in ((confluent_kafka, confluent_kafka.admin), (strom, strom.admin)):
        admin = admin_module.AdminClient({"bootstrap.servers": bootstrap})
        p = ck.Producer({"bootstrap.servers": bootstrap})
        c = _consumer(ck, bootstrap)
        ids |= {admin.cluster_id(timeout=20), p.cluster_id(timeout=20), c.cluster_id(timeout=20)}
        c.close()
    assert len(ids) == 1 and None not in ids
