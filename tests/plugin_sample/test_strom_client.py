"""Strom's own client, and a broker with its own configuration from kafka_broker_factory."""

from strom import Consumer, Producer
from strom.admin import AdminClient


def test_strom_client_round_trip(kafka_broker, kafka_topic):
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    for i in range(10):
        producer.produce(kafka_topic, value=f"record-{i}".encode())
    assert producer.flush(10) == 0
    consumer = Consumer({"bootstrap.servers": kafka_broker.bootstrap_servers, "group.id": "strom", "auto.offset.reset": "earliest"})
    consumer.subscribe([kafka_topic])
    got = []
    while len(got) < 10:
        msg = consumer.poll(10)
        assert msg is not None, "no record within 10 s"
        got.append(msg.value())
    consumer.close()
    assert got == [f"record-{i}".encode() for i in range(10)]


def test_factory_broker_takes_broker_configs(kafka_broker_factory):
    broker = kafka_broker_factory(auto_create_topics_enable=False, num_partitions=4)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    topic = broker.create_topic(partitions=4)
    assert len(admin.list_topics(topic, timeout=10).topics[topic].partitions) == 4
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "message.timeout.ms": 2000})
    errors = []
    producer.produce("never-created", b"x", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(10)
    assert errors and errors[0] is not None  # no auto-creation on this broker
    admin.close()


def test_a_factory_broker_restarts_with_its_data(kafka_broker_factory):
    broker = kafka_broker_factory()
    topic = broker.create_topic()
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    producer.produce(topic, b"kept")
    assert producer.flush(10) == 0
    broker.stop()
    broker.start()
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "restart", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    msg = consumer.poll(15)
    consumer.close()
    assert msg is not None and msg.value() == b"kept"
