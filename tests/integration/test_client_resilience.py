"""strom's client when the broker dies: kill -9 mid-stream and restart; the idempotent producer retries
with the same sequences, so every acknowledged record is there once, in order; the consumer resumes."""

from __future__ import annotations

import threading
import time
import uuid

import strom
from strom import NewTopic, TopicPartition
from strom.testing.broker import BrokerProcess


def test_broker_kill_and_restart_mid_stream() -> None:
    broker = BrokerProcess().start()
    try:
        topic = f"res-{uuid.uuid4().hex[:6]}"
        admin = strom.AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(20)
        admin.close()
        errors: list[object] = []
        acked: list[tuple[int, int, bytes]] = []
        p = strom.Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 2, "request.timeout.ms": 3000, "retry.backoff.ms": 50})

        def report(err: object, msg: strom.Message) -> None:
            if err is not None:
                errors.append(err)
            else:
                acked.append((msg.partition() or 0, msg.offset() or 0, msg.value()))

        def restart() -> None:
            time.sleep(0.5)
            broker.kill()
            time.sleep(1.0)
            broker.start()

        killer = threading.Thread(target=restart)
        killer.start()
        n = 4000
        for i in range(n):
            p.produce(topic, b"%06d" % i, key=b"k%d" % (i % 2), on_delivery=report)
            if i % 100 == 0:
                p.poll(0)
                time.sleep(0.02)
        killer.join()
        assert p.flush(60) == 0
        p.close()
        assert errors == []
        assert len(acked) == n

        c = strom.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": topic})
        c.assign([TopicPartition(topic, 0, strom.OFFSET_BEGINNING), TopicPartition(topic, 1, strom.OFFSET_BEGINNING)])
        got: dict[int, list[bytes]] = {0: [], 1: []}
        deadline = time.monotonic() + 30
        while sum(map(len, got.values())) < n and time.monotonic() < deadline:
            for m in c.consume(1000, 1):
                got[m.partition() or 0].append(m.value())
        c.close()
        values = sorted(v for vs in got.values() for v in vs)
        assert values == [b"%06d" % i for i in range(n)]  # each once
        for vs in got.values():
            assert vs == sorted(vs)  # in order per partition
        offsets = {(part, off) for part, off, _ in acked}
        assert len(offsets) == n
    finally:
        broker.close()
