"""kafka-python against the session's broker, on a topic of its own with three partitions."""

from kafka import KafkaConsumer, KafkaProducer


def test_keys_keep_their_partition(kafka_broker):
    topic = kafka_broker.create_topic(partitions=3)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    sent = [producer.send(topic, key=b"same-key", value=str(i).encode()).get(timeout=10) for i in range(5)]
    producer.close()
    assert len({m.partition for m in sent}) == 1
    assert [m.offset for m in sent] == [0, 1, 2, 3, 4]

    consumer = KafkaConsumer(
        topic, bootstrap_servers=kafka_broker.bootstrap_servers, auto_offset_reset="earliest", consumer_timeout_ms=10000
    )
    values = []
    for record in consumer:
        values.append(record.value)
        if len(values) == 5:
            break
    consumer.close()
    assert values == [b"0", b"1", b"2", b"3", b"4"]
