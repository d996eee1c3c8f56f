"""Three brokers and ZooKeeper: acks=all keeps working with one broker stopped (min.insync.replicas=2)."""

from confluent_kafka import Consumer, Producer


def test_acks_all_with_a_broker_down(kafka_cluster):
    topic = kafka_cluster.create_topic(partitions=1, replication_factor=3)
    stopped = kafka_cluster.brokers[2]
    stopped.stop()
    try:
        producer = Producer({"bootstrap.servers": kafka_cluster.bootstrap_servers, "acks": "all"})
        for i in range(3):
            producer.produce(topic, str(i).encode())
        assert producer.flush(60) == 0
    finally:
        stopped.start()
    consumer = Consumer({"bootstrap.servers": kafka_cluster.bootstrap_servers, "group.id": "cluster", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got = []
    while len(got) < 3:
        msg = consumer.poll(30)
        assert msg is not None, "no record within 30 s"
        got.append(msg.value())
    consumer.close()
    assert got == [b"0", b"1", b"2"]
