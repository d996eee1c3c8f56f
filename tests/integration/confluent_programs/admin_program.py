"""An AdminClient program in confluent-kafka's idiom: create topics and partitions, describe configs."""

import sys

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

broker, topic = sys.argv[1], sys.argv[2]
a = AdminClient({"bootstrap.servers": broker})

for name, f in a.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)], operation_timeout=30).items():
    f.result()
    print("created", name)
try:
    a.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result()
except KafkaException as e:
    err = e.args[0]
    print("again:", err.name(), err.code() == KafkaError.TOPIC_ALREADY_EXISTS, err.fatal(), isinstance(err, KafkaError))

md = a.list_topics(timeout=10)
print("partitions", sorted(md.topics[topic].partitions), md.topics[topic].error)
for name, f in a.create_partitions([NewPartitions(topic, 3)], validate_only=False).items():
    print("create_partitions", name, f.result())
print("partitions", sorted(a.list_topics(topic, timeout=10).topics[topic].partitions))

for res, f in a.describe_configs([ConfigResource("topic", topic)]).items():
    configs = f.result()
    print("config", res.name, configs["cleanup.policy"].name, configs["cleanup.policy"].value)
