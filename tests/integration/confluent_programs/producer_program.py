"""A Producer program in confluent-kafka's idiom: delivery callbacks, poll(), flush(), len()."""

import sys

from confluent_kafka import KafkaError, Producer

broker, topic = sys.argv[1], sys.argv[2]
p = Producer({"bootstrap.servers": broker, "queue.buffering.max.ms": 10, "message.timeout.ms": 30000, "error_cb": print})
reports = []


def delivery_callback(err, msg):
    if err:
        reports.append(("failed", err.code(), err.name()))
    else:
        reports.append((msg.topic(), msg.partition(), msg.offset(), msg.value(), msg.error(), msg.timestamp()[0]))


for i in range(10):
    p.produce(topic, f"line {i}".encode(), partition=i % 2, callback=delivery_callback)
    p.poll(0)
print("queued", 0 < len(p) <= 10)
print("left after flush", p.flush(30))
for report in sorted(reports):
    print(report)
print("constants", KafkaError._MSG_TIMED_OUT, KafkaError._PARTITION_EOF, KafkaError.MSG_SIZE_TOO_LARGE)
