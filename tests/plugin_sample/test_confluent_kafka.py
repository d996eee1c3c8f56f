"""confluent-kafka against the session's broker: the README's example."""

from confluent_kafka import Consumer, Producer


def test_produce_and_consume(kafka_broker, kafka_topic):
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    producer.produce(kafka_topic, key=b"k", value=b"hello")
    assert producer.flush(10) == 0

    consumer = Consumer({"bootstrap.servers": kafka_broker.bootstrap_servers, "group.id": "readme", "auto.offset.reset": "earliest"})
    consumer.subscribe([kafka_topic])
    msg = consumer.poll(10)
    consumer.close()
    assert msg is not None and msg.error() is None
    assert (msg.key(), msg.value()) == (b"k", b"hello")
