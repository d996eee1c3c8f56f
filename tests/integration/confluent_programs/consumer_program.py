"""A Consumer program in confluent-kafka's idiom: logger, default.topic.config, on_assign, partition EOF
events, KafkaException(msg.error()), a synchronous commit and close()."""

import logging
import sys

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

broker, group, topic = sys.argv[1], sys.argv[2], sys.argv[3]
conf = {
    "bootstrap.servers": broker,
    "group.id": group,
    "session.timeout.ms": 6000,
    "enable.partition.eof": True,
    "enable.auto.commit": False,
    "default.topic.config": {"auto.offset.reset": "smallest"},
}
logger = logging.getLogger("consumer")
c = Consumer(conf, logger=logger)


def print_assignment(consumer, partitions):
    print("assigned", sorted((p.topic == topic, p.partition) for p in partitions))


c.subscribe([topic], on_assign=print_assignment)
values, ends = [], {}
for _ in range(200):
    msg = c.poll(timeout=0.5)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            ends[msg.partition()] = msg.offset()
            if len(ends) == 3:
                break
            continue
        raise KafkaException(msg.error())
    values.append((msg.partition(), msg.offset(), msg.value()))
print("values", sorted(values))
print("ends", sorted(ends.items()))
# (an untouched partition: librdkafka lists it with OFFSET_INVALID and commits nothing, Strom commits its position)
print("committed", sorted((tp.partition, tp.offset) for tp in c.commit(asynchronous=False) if tp.offset > 0))
print("position", sorted((tp.partition, tp.offset) for tp in c.position([TopicPartition(topic, 0), TopicPartition(topic, 1)])))
c.close()
