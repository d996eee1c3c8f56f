"""What a new user hit first (issue 14, "Correctness"), against a real Strom broker, with confluent-kafka as the
reference where the two clients are compared: a consumer subscribed before its topic exists, a pattern
subscription that must pick up a new topic, and error delivery reports that name their topic and partition."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import confluent_kafka as ck
import pytest

import strom
from strom import NewTopic
from strom.testing.broker import BrokerProcess

CLIENTS = [pytest.param(strom, id="strom"), pytest.param(ck, id="confluent")]


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    broker = BrokerProcess(overrides={"auto.create.topics.enable": "true"}).start()
    yield broker.bootstrap
    broker.close()


def _create_and_fill(bootstrap: str, topic: str, records: int, partitions: int = 2) -> None:
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(20)
    admin.close()
    producer = strom.Producer({"bootstrap.servers": bootstrap})
    for i in range(records):
        producer.produce(topic, b"v%d" % i, key=b"k%d" % i)
    assert producer.flush(30) == 0
    producer.close()


def _code(error: Any) -> int:
    return int(error.code() if callable(error.code) else error.code)


def _consume(consumer: Any, wanted: int, timeout: float, on_idle: Any = None) -> tuple[list[Any], list[Any], float]:
    """(records, error messages, seconds until the last record) polling for up to `timeout` seconds."""
    start = time.monotonic()
    records: list[Any] = []
    errors: list[Any] = []
    while len(records) < wanted and time.monotonic() - start < timeout:
        if on_idle is not None:
            on_idle(time.monotonic() - start)
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        (errors if msg.error() else records).append(msg)
    return records, errors, time.monotonic() - start


@pytest.mark.parametrize("client", CLIENTS)
def test_subscribe_before_the_topic_exists(bootstrap: str, client: Any) -> None:
    """The consumer reports the missing topic once (an error message from poll()), does not create it
    (allow.auto.create.topics is false by default, as librdkafka's), and gets the records within seconds
    of the topic's creation, as confluent-kafka does."""
    topic = f"late-{uuid.uuid4().hex[:8]}"
    consumer = client.Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{topic}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    created: list[float] = []

    def create_after_two_seconds(elapsed: float) -> None:
        if not created and elapsed >= 2:
            admin = strom.AdminClient({"bootstrap.servers": bootstrap})
            assert topic not in admin.list_topics(timeout=10).topics  # subscribing did not create it
            admin.close()
            _create_and_fill(bootstrap, topic, 30)
            created.append(elapsed)

    records, errors, took = _consume(consumer, 30, 60, create_after_two_seconds)
    consumer.close()
    assert len(records) == 30
    assert took - created[0] < 15
    assert len(errors) == 1
    (error,) = errors
    assert error.topic() == topic
    assert _code(error.error()) == 3  # UNKNOWN_TOPIC_OR_PART
    assert f"Subscribed topic not available: {topic}: Broker: Unknown topic or partition" in str(error.error())


def test_subscribe_creates_the_topic_when_allowed(bootstrap: str) -> None:
    topic = f"auto-{uuid.uuid4().hex[:8]}"
    consumer = strom.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"g-{topic}", "allow.auto.create.topics": True, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    deadline = time.monotonic() + 20
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(0.2)
    assert consumer.assignment() and consumer.assignment()[0].topic == topic
    consumer.close()


def test_pattern_subscription_picks_up_a_new_topic(bootstrap: str) -> None:
    """A regex subscription sees a matching topic created later on its next metadata refresh
    (metadata.max.age.ms, librdkafka's topic.metadata.refresh.interval.ms) and rejoins."""
    prefix = f"pat-{uuid.uuid4().hex[:8]}"
    consumer = strom.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{prefix}",
            "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 1000,
        }
    )
    consumer.subscribe([f"^{prefix}-.*"])
    created: list[float] = []

    def create(elapsed: float) -> None:
        if not created and elapsed >= 1:
            _create_and_fill(bootstrap, f"{prefix}-a", 10, partitions=1)
            created.append(elapsed)

    records, errors, took = _consume(consumer, 10, 60, create)
    consumer.close()
    assert len(records) == 10 and not errors
    assert took - created[0] < 15


@pytest.mark.parametrize("client", CLIENTS)
def test_error_delivery_report_names_topic_and_partition(bootstrap: str, client: Any) -> None:
    """A record the broker rejects (larger than the topic's max.message.bytes) fails with its topic and partition."""
    topic = f"small-{uuid.uuid4().hex[:8]}"
    admin = strom.AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={"max.message.bytes": "1000"})])[topic].result(20)
    admin.close()
    reports: list[tuple[Any, Any]] = []
    producer = client.Producer({"bootstrap.servers": bootstrap, "compression.type": "none"})
    producer.produce(topic, b"x" * 5000, on_delivery=lambda err, msg: reports.append((err, msg)))
    producer.flush(30)
    ((err, msg),) = reports
    assert err is not None
    assert (msg.topic(), msg.partition()) == (topic, 0)


@pytest.mark.parametrize("client", CLIENTS)
def test_error_delivery_report_before_any_partition(client: Any) -> None:
    """No broker answers: the report still names the topic; its partition is None (confluent-kafka's
    Message.partition() for RD_KAFKA_PARTITION_UA: none was chosen)."""
    from strom.testing.broker import free_port

    reports: list[tuple[Any, Any]] = []
    producer = client.Producer(
        {"bootstrap.servers": f"127.0.0.1:{free_port()}", "message.timeout.ms": 1500, "error_cb": lambda e: None}
        if client is ck
        else {
            "bootstrap.servers": f"127.0.0.1:{free_port()}",
            "delivery.timeout.ms": 1500,
            "request.timeout.ms": 1000,
            "error_cb": lambda e: None,
        }
    )
    producer.produce("nowhere", b"v", on_delivery=lambda err, msg: reports.append((err, msg)))
    producer.flush(20)
    ((err, msg),) = reports
    assert err is not None
    assert (msg.topic(), msg.partition(), msg.offset()) == ("nowhere", None, None)
    assert _code(err) == -192  # _MSG_TIMED_OUT, after message.timeout.ms (not max.block.ms)
    producer.produce("nowhere", b"v", partition=2, on_delivery=lambda err, msg: reports.append((err, msg)))
    producer.flush(20)
    assert reports[1][1].partition() == 2  # the partition produce() named


@pytest.mark.parametrize("client", CLIENTS)
def test_all_brokers_down_is_reported_once_at_once(client: Any) -> None:
    """librdkafka's _ALL_BROKERS_DOWN reaches error_cb once, at once, not per retry (Strom: 590 calls in 60 s)."""
    from strom.testing.broker import free_port

    errors: list[tuple[float, int, str]] = []
    start = time.monotonic()
    conf = {
        "bootstrap.servers": f"127.0.0.1:{free_port()}",
        "error_cb": lambda e: errors.append((time.monotonic() - start, _code(e), str(e))),
    }
    producer = client.Producer(conf)
    producer.produce("nowhere", b"v")
    while time.monotonic() - start < 4:
        producer.poll(0.2)
    down = [e for e in errors if e[1] == -187]  # _ALL_BROKERS_DOWN
    assert len(down) == 1 and down[0][0] < 2.5, errors
    if client is strom:
        assert len(errors) == 2, errors  # and the connection failure (_TRANSPORT) once, not per reconnect


def _http_responder() -> tuple[socket.socket, int]:
    """A port that answers anything with an HTTP 400, as a web server or proxy does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


def test_a_port_that_speaks_http_is_named() -> None:
    listener, port = _http_responder()
    errors: list[str] = []
    producer = strom.Producer({"bootstrap.servers": f"127.0.0.1:{port}", "error_cb": lambda e: errors.append(str(e))})
    producer.produce("t", b"v")
    deadline = time.monotonic() + 10
    while not errors and time.monotonic() < deadline:
        producer.poll(0.2)
    listener.close()
    assert errors
    assert "received an invalid response size 1213486160 (looks like HTTP): is this a Kafka broker?" in errors[0]


def _accept_and_close() -> tuple[socket.socket, int, list[float]]:
    """A port that accepts each connection and closes it at once; the list gets each accept's time."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[float] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(time.monotonic())
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1], accepted


def test_a_dead_broker_is_redialled_with_exponential_backoff() -> None:
    """reconnect.backoff.ms=100 doubling up to reconnect.backoff.max.ms=1000 (jitter -25%..+50%): at most 8
    connection attempts in 3 s, as librdkafka's backoff against a refusing port (Strom dialled every
    retry.backoff.ms: ~30). Strom only: librdkafka redials a port that accepts and closes without backoff."""
    listener, port, accepted = _accept_and_close()
    producer = strom.Producer(
        {
            "bootstrap.servers": f"127.0.0.1:{port}",
            "reconnect.backoff.ms": 100,
            "reconnect.backoff.max.ms": 1000,
            "error_cb": lambda e: None,
        }
    )
    producer.produce("t", b"v")
    start = time.monotonic()
    while time.monotonic() - start < 3:
        producer.poll(0.2)
    attempts = len(accepted)
    listener.close()
    producer.purge()
    producer.flush(0)
    assert 3 <= attempts <= 8, accepted


def test_consumer_started_before_its_broker_keeps_polling() -> None:
    """Brokers down: poll() returns None and error_cb hears _ALL_BROKERS_DOWN once (as with librdkafka) instead
    of poll() raising; once the broker is up, the consumer joins and gets the records."""
    from strom.testing.broker import free_port

    port = free_port()
    errors: list[Any] = []
    consumer = strom.Consumer(
        {
            "bootstrap.servers": f"127.0.0.1:{port}",
            "group.id": "early",
            "auto.offset.reset": "earliest",
            "error_cb": errors.append,
        }
    )
    consumer.subscribe(["early"])
    start = time.monotonic()
    while time.monotonic() - start < 2:
        assert consumer.poll(0.2) is None
    assert [_code(e) for e in errors] == [-195, -187]
    broker = BrokerProcess(port=port).start()
    try:
        _create_and_fill(broker.bootstrap, "early", 10)
        records, _, _ = _consume(consumer, 10, 60)
        assert len(records) == 10
    finally:
        consumer.close()
        broker.close()
