"""Fetch responses go out with sendfile; a slow reader fills the socket, and the broker must resume
exactly where it stopped (writer callback), keeping every byte and the order of responses."""

import hashlib

from confluent_kafka import Consumer, Producer


def test_large_fetches_to_a_slow_reader_arrive_intact(strom_broker_factory):
    broker = strom_broker_factory(socket_send_buffer_bytes="8192")  # tiny: every fetch response stalls
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "batch.size": 262144})
    count = 6000
    for i in range(count):
        producer.produce("zc", value=hashlib.sha256(str(i).encode()).digest() * 64, key=str(i).encode())  # 2 KiB
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "zc",
            "auto.offset.reset": "earliest",
            "socket.receive.buffer.bytes": 4096,
            "fetch.max.bytes": 4 << 20,
            "max.partition.fetch.bytes": 2 << 20,
        }
    )
    consumer.subscribe(["zc"])
    seen = []
    try:
        while len(seen) < count:
            msg = consumer.poll(10)
            assert msg is not None, f"stalled after {len(seen)} records"
            assert msg.error() is None, msg.error()
            seen.append((msg.offset(), msg.key(), msg.value()))
    finally:
        consumer.close()
    assert [o for o, _, _ in seen] == list(range(count))
    for i, (_, key, value) in enumerate(seen):
        assert key == str(i).encode()
        assert value == hashlib.sha256(str(i).encode()).digest() * 64
