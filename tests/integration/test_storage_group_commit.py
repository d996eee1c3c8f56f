"""Group commit under real clients: the broker writes the produce appends of one event-loop tick together,
and still answers none before its bytes are in the page cache. Four confluent-kafka producers write to
one partition at once (so requests share ticks), acks=1 and no fsync (Kafka's default flush policy); the
broker is killed with SIGKILL right after the last acknowledgement: every acknowledged record is there
after the restart, at the offset it was acknowledged with."""

import threading
import time
import uuid

import confluent_kafka as ck
from confluent_kafka.admin import AdminClient, NewTopic

PRODUCERS = 4
PER_PRODUCER = 1500


def test_kill_9_after_acks_loses_no_group_committed_record(strom_broker_factory):
    broker = strom_broker_factory()
    topic = f"group-commit-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
    acked: dict[int, bytes] = {}
    lock = threading.Lock()

    def on_delivery(err, msg) -> None:
        if err is None:
            with lock:
                acked[msg.offset()] = msg.value()

    def produce(n: int) -> None:
        producer = ck.Producer({"bootstrap.servers": broker.bootstrap, "acks": "1", "linger.ms": 0, "max.in.flight": 5})
        for i in range(PER_PRODUCER):
            producer.produce(topic, value=b"p%d-%d" % (n, i), on_delivery=on_delivery)
            producer.poll(0)
        assert producer.flush(30) == 0

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(PRODUCERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    broker.kill()  # SIGKILL: what was only in a Python buffer would be gone, the page cache is not
    assert len(acked) == PRODUCERS * PER_PRODUCER
    broker.start()
    consumer = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "gc", "enable.auto.commit": False})
    consumer.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    got: dict[int, bytes] = {}
    deadline = time.monotonic() + 30
    while len(got) < len(acked) and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got[msg.offset()] = msg.value()
    consumer.close()
    assert got == acked
    assert sorted(got) == list(range(len(acked)))
