"""The portable CI slice (issue 20): a broker and clients with STROM_PORTABLE=1, so every Windows twin runs on
every commit here -- the asyncio event loop (uvloop never imported), fetch responses copied through the
transport instead of sendfile, seek+write appends instead of pwritev, the byte-range log.dirs lock, stop
signals through signal.signal, and segments renamed `.deleted` and unlinked only after their files close."""

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.testing.broker import BrokerProcess

pytestmark = pytest.mark.portable

N = 3000

CLIENT = """
import json, sys, time
import strom

bootstrap, mode, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
out = []
if mode == "produce":
    p = strom.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(n):
        p.produce(topic, key=b"k%d" % (i % 7), value=b"v%d-" % i + b"x" * 1000)
    assert p.flush(30) == 0
else:
    group = sys.argv[5]
    c = strom.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    deadline = time.monotonic() + float(sys.argv[6])
    while len(out) < n and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            out.append([m.partition(), m.offset(), m.value().split(b"-")[0].decode()])
    c.commit(asynchronous=False) if out else None
    c.close()
print(json.dumps({"records": out, "uvloop_imported": "uvloop" in sys.modules}))
"""


def client(broker: BrokerProcess, *args: object) -> list[list[object]]:
    """Strom's sync client in a process of its own with STROM_PORTABLE=1 (its loop thread on asyncio)."""
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, broker.bootstrap, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=90,
        env=portable_env(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["uvloop_imported"] is False
    return result["records"]  # type: ignore[no-any-return]


def portable_env() -> dict[str, str]:
    import os

    return {**os.environ, "STROM_PORTABLE": "1"}


@pytest.fixture
def portable(monkeypatch):
    """Brokers started in this test inherit STROM_PORTABLE=1."""
    monkeypatch.setenv("STROM_PORTABLE", "1")
    made: list[BrokerProcess] = []

    def make(**overrides: str) -> BrokerProcess:
        broker = BrokerProcess(overrides={k.replace("_", "."): v for k, v in overrides.items()})
        made.append(broker)
        return broker.start()

    yield make
    for broker in made:
        broker.close()


def assert_portable_broker(broker: BrokerProcess) -> None:
    first = (broker.base / "logs" / "server.log").read_text()
    assert "Platform (STROM_PORTABLE=1): event loop asyncio, fetch copy through the transport" in first
    assert "uvloop" not in Path(f"/proc/{broker.proc.pid}/maps").read_text()  # type: ignore[union-attr]


def test_produce_consume_tools_group_and_restart_recovery(portable):
    broker = portable(num_partitions="3")
    assert_portable_broker(broker)
    client(broker, "produce", "t", N)
    tool = subprocess.run(
        [sys.executable, "-m", "strom.cli.kafka_topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic", "t"],
        capture_output=True,
        text=True,
        timeout=60,
        env=portable_env(),
    )
    assert tool.returncode == 0 and "PartitionCount: 3" in tool.stdout, tool.stderr
    first = client(broker, "consume", "t", N, "g", 30)
    assert sorted(int(v[1:]) for _, _, v in first) == list(range(N))
    for p in range(3):  # per partition: offsets 0.. in order, values in produce order
        mine = [(o, int(v[1:])) for part, o, v in first if part == p]
        assert [o for o, _ in mine] == list(range(len(mine))) and [i for _, i in mine] == sorted(i for _, i in mine)
    broker.kill()  # kill -9: recovery scans the tail, the lock of the dead process is gone
    broker.start()
    assert_portable_broker(broker)
    client(broker, "produce", "t", 10)
    after = client(broker, "consume", "t", 10, "g", 30)  # the group resumes at its committed offsets
    assert sorted(int(v[1:]) for _, _, v in after) == list(range(10))
    assert len(client(broker, "consume", "t", N + 10, "fresh", 30)) == N + 10
    assert broker.stop() == 0  # SIGTERM through signal.signal: a clean stop
    assert (broker.base / "logs" / "server.log").read_text().count("shut down completed") == 1


def log_files(broker: BrokerProcess, topic: str, pattern: str) -> list[str]:
    return sorted(p.name for p in (broker.base / "data" / f"{topic}-0").glob(pattern))


def wait_for(check, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_retention_and_compaction_delete_segments_after_closing_them(portable):
    broker = portable(log_retention_check_interval_ms="200", log_cleaner_backoff_ms="200", log_segment_delete_delay_ms="500")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    retained, compacted = f"ret-{uuid.uuid4().hex[:6]}", f"cmp-{uuid.uuid4().hex[:6]}"
    futures = admin.create_topics(
        [
            NewTopic(retained, 1, config={"segment.bytes": "4096", "retention.bytes": "8192"}),
            NewTopic(compacted, 1, config={"cleanup.policy": "compact", "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.01"}),
        ]
    )
    for f in futures.values():
        f.result(10)
    producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 2, "batch.size": 1000})
    for i in range(600):
        producer.produce(retained, key=b"k", value=b"r%d-" % i + b"x" * 50)
        producer.produce(compacted, key=b"key-%d" % (i % 12), value=b"c%d-" % i + b"x" * 50)
    assert producer.flush(20) == 0

    # retention: the oldest segments go, through `.deleted`, and their files are gone after the delay
    wait_for(lambda: log_files(broker, retained, "*.log")[0] != "00000000000000000000.log")
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "x"})
    low, high = consumer.get_watermark_offsets(ck.TopicPartition(retained, 0), timeout=10)
    consumer.close()
    assert 0 < low < high == 600
    wait_for(lambda: not log_files(broker, retained, "*.deleted"))

    # compaction: the cleaner's swap renames open segments; the latest value of every key survives
    def compacted_values() -> list[tuple[bytes, bytes]]:
        c = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "y", "enable.auto.commit": False})
        c.assign([ck.TopicPartition(compacted, 0, ck.OFFSET_BEGINNING)])
        got, idle = [], time.monotonic()
        while time.monotonic() - idle < 1.0:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                got.append((m.key(), m.value().split(b"-")[0]))
                idle = time.monotonic()
        c.close()
        return got

    wait_for(lambda: len(compacted_values()) < 300, 30)
    latest = dict(compacted_values())
    assert latest == {b"key-%d" % k: b"c%d" % (588 + k) for k in range(12)}
    wait_for(lambda: not log_files(broker, compacted, "*.deleted") and not log_files(broker, compacted, "*.swap"))
    assert broker.proc is not None
    broker.proc.send_signal(signal.SIGINT)  # Ctrl-C: through signal.signal too, a clean stop
    assert broker.proc.wait(30) == 0
    assert "shut down completed" in (broker.base / "logs" / "server.log").read_text()
