"""Client quotas with real clients: confluent-kafka producers and consumers held to their byte rates, told so
through throttle_time_ms (their throttle_cb), and the quota APIs on the wire.

A client pushing as fast as it can gets a burst, then a trickle, in a cycle of quota.window.num windows (the
rate is measured over the live samples, at least num - 1 windows; when the burst's sample expires the next
burst goes through), exactly as against Apache Kafka: rates are measured over whole cycles. The module's
broker uses quota.window.num=2 (2 s cycles); bench/quota_bench.py measures Kafka's default 11 x 1 s.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from strom.protocol.errors import ErrorCode
from strom.protocol.schema.alter_client_quotas import AlterClientQuotasRequest, EntityData, EntryData, OpData
from strom.protocol.schema.describe_client_quotas import ComponentData, DescribeClientQuotasRequest
from strom.protocol.schema.metadata import MetadataRequest
from strom.testing.broker import BrokerProcess, free_port
from strom.transport.connection import BrokerConnection

QUOTA = 1024 * 1024  # 1 MiB/s
VALUE = b"x" * 1000


@pytest.fixture(scope="module")
def broker() -> Iterator[BrokerProcess]:
    b = BrokerProcess(overrides={"quota.window.num": "2"}).start()
    yield b
    b.close()


def send(broker: BrokerProcess, request, version: int = 1):
    async def run():
        conn = BrokerConnection("127.0.0.1", broker.port)
        await conn.connect()
        try:
            return await conn.send(request, version=version)
        finally:
            conn.close()

    return asyncio.run(run())


def set_quota(broker: BrokerProcess, entity: dict[str, str | None], key: str, value: float | None) -> None:
    op = OpData(key=key, value=value or 0.0, remove=value is None)
    components = [EntityData(entity_type=t, entity_name=n) for t, n in entity.items()]
    response = send(broker, AlterClientQuotasRequest(entries=[EntryData(entity=components, ops=[op])]))
    assert [e.error_code for e in response.entries] == [0], response


def make_topic(bootstrap: str) -> str:
    topic = f"quota-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    return topic


def produce_for(
    bootstrap: str, topic: str, client_id: str, seconds: float, warmup: float = 0.0, extra: dict[str, str] | None = None
) -> tuple[float, list[int]]:
    """Produces as fast as it can for warmup + seconds; (value bytes acknowledged per second after the
    warm-up, throttle times seen). The warm-up skips the start, where a new sensor's rate is taken over at
    least quota.window.num - 1 windows and a first burst goes through unthrottled, as in Kafka."""
    throttles: list[int] = []
    acked = [0]

    def on_delivery(err, msg) -> None:
        if err is None:
            acked[0] += len(msg.value())

    producer = ck.Producer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": client_id,
            "linger.ms": 5,
            "queue.buffering.max.messages": 2000,
            "batch.size": 65536,
            "throttle_cb": lambda event: throttles.append(event.throttle_time),
            **(extra or {}),
        }
    )
    start = time.monotonic()
    counted_from = acked_at_start = None
    while time.monotonic() - start < warmup + seconds:
        if counted_from is None and time.monotonic() - start >= warmup:
            counted_from, acked_at_start = time.monotonic(), acked[0]
        try:
            producer.produce(topic, VALUE, on_delivery=on_delivery)
        except BufferError:
            producer.poll(0.01)
        producer.poll(0)
    assert counted_from is not None and acked_at_start is not None
    rate = (acked[0] - acked_at_start) / (time.monotonic() - counted_from)
    producer.purge()
    producer.flush(10)
    return rate, throttles


def test_producer_held_to_its_byte_rate(broker: BrokerProcess) -> None:
    topic = make_topic(broker.bootstrap)
    set_quota(broker, {"client-id": "quota-producer"}, "producer_byte_rate", QUOTA)
    rate, throttles = produce_for(broker.bootstrap, topic, "quota-producer", 4)
    assert throttles and max(throttles) > 0, "no throttle_time_ms reached the producer"
    assert rate == pytest.approx(QUOTA, rel=0.10)
    # another client id has no quota
    free_rate, free_throttles = produce_for(broker.bootstrap, topic, "unlimited-producer", 2)
    assert free_rate > 2 * QUOTA and not any(free_throttles)


def consume_for(bootstrap: str, topic: str, client_id: str, seconds: float) -> tuple[float, list[float]]:
    """Consumes from the start of `topic` for `seconds` after the first record; (value bytes per second,
    throttle times seen)."""
    throttles: list[float] = []
    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": client_id,
            "group.id": f"g-{topic}-{client_id}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.max.bytes": 65536,  # fetches much smaller than a window's quota, as the producer's batches
            "message.max.bytes": 65536,
            "max.partition.fetch.bytes": 65536,
            "throttle_cb": lambda event: throttles.append(event.throttle_time),
        }
    )
    consumer.subscribe([topic])
    received = 0
    start: float | None = None
    try:
        while start is None or time.monotonic() - start < seconds:
            msg = consumer.poll(0.1)
            if msg is None or msg.error():
                continue
            if start is None:
                start = time.monotonic()
            received += len(msg.value())
        return received / (time.monotonic() - start), throttles
    finally:
        consumer.close()


def fill(bootstrap: str, topic: str, records: int) -> None:
    producer = ck.Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for _ in range(records):
        producer.produce(topic, VALUE)
        producer.poll(0)
    producer.flush(60)


@pytest.mark.slow
def test_producer_quota_over_two_cycles_of_default_windows() -> None:
    """Kafka's default windows (11 x 1 s): over 22 s (two burst-and-pause cycles) within 10 % of the quota;
    Apache Kafka 3.9 measured 1.024 x with the same client (docs/PERFORMANCE.md)."""
    with BrokerProcess() as default_windows:
        topic = make_topic(default_windows.bootstrap)
        set_quota(default_windows, {"client-id": "slow-producer"}, "producer_byte_rate", QUOTA)
        rate, throttles = produce_for(default_windows.bootstrap, topic, "slow-producer", 22)
    assert throttles and max(throttles) > 0
    assert rate == pytest.approx(QUOTA, rel=0.10)


def test_request_percentage_throttles_any_api(broker: BrokerProcess) -> None:
    """request_percentage counts handler time of every API (here Metadata) and answers with throttle_time_ms."""
    set_quota(broker, {"client-id": "busy-admin"}, "request_percentage", 0.001)

    async def run() -> list[int]:
        conn = BrokerConnection("127.0.0.1", broker.port, client_id="busy-admin")
        await conn.connect()
        try:
            return [(await conn.send(MetadataRequest(topics=None), version=9)).throttle_time_ms for _ in range(5)]
        finally:
            conn.close()

    throttles = asyncio.run(run())
    assert max(throttles) > 0, throttles
    assert max(throttles) <= 1000  # a request quota throttles for at most one window

    async def old_client() -> list[tuple[int, float]]:
        """Metadata v5 predates KIP-219: the throttled answer itself comes late."""
        conn = BrokerConnection("127.0.0.1", broker.port, client_id="busy-admin")
        await conn.connect()
        try:
            out = []
            for _ in range(3):
                started = time.monotonic()
                response = await conn.send(MetadataRequest(topics=None), version=5)
                out.append((response.throttle_time_ms, time.monotonic() - started))
            return out
        finally:
            conn.close()

    timed = asyncio.run(old_client())
    set_quota(broker, {"client-id": "busy-admin"}, "request_percentage", None)
    first_ms, first_wait = timed[0]  # a new connection: no earlier mute delays it; the sensor is over its quota
    assert first_ms > 0 and first_wait >= first_ms / 1000 * 0.9, timed


def test_consumer_held_to_its_byte_rate(broker: BrokerProcess) -> None:
    topic = make_topic(broker.bootstrap)
    fill(broker.bootstrap, topic, 8_000)
    set_quota(broker, {"user": None, "client-id": "quota-consumer"}, "consumer_byte_rate", QUOTA)
    rate, throttles = consume_for(broker.bootstrap, topic, "quota-consumer", 4)
    assert throttles and max(throttles) > 0, "no throttle_time_ms reached the consumer"
    # A throttled fetch is answered empty and its bytes taken back, and the throttle time counts them: a
    # consumer gets somewhat less than its quota. Apache Kafka 3.9, same client and settings: 0.785 x quota
    # (Strom 0.783); unthrottled this consumer reads > 10 x quota.
    assert 0.70 * QUOTA <= rate <= 1.10 * QUOTA


def test_describe_and_alter_on_the_wire(broker: BrokerProcess) -> None:
    set_quota(broker, {"user": "wire-user"}, "request_percentage", 12.5)
    set_quota(broker, {"user": "wire-user", "client-id": None}, "producer_byte_rate", 2048)
    exact = send(broker, DescribeClientQuotasRequest(components=[ComponentData(entity_type="user", match_type=0, match="wire-user")]))
    described = {
        tuple((e.entity_type, e.entity_name) for e in entry.entity): {v.key: v.value for v in entry.values} for entry in exact.entries
    }
    assert described == {
        (("user", "wire-user"),): {"request_percentage": 12.5},
        (("user", "wire-user"), ("client-id", None)): {"producer_byte_rate": 2048.0},
    }
    strict = send(
        broker, DescribeClientQuotasRequest(components=[ComponentData(entity_type="user", match_type=0, match="wire-user")], strict=True)
    )
    assert len(strict.entries) == 1
    bad = send(
        broker,
        AlterClientQuotasRequest(
            entries=[
                EntryData(entity=[EntityData(entity_type="user", entity_name="wire-user")], ops=[OpData(key="bogus", value=1.0)]),
                EntryData(entity=[EntityData(entity_type="user", entity_name="x")], ops=[OpData(key="producer_byte_rate", value=1.5)]),
                EntryData(entity=[], ops=[OpData(key="producer_byte_rate", value=1.0)]),
            ],
            validate_only=True,
        ),
    )
    assert [e.error_code for e in bad.entries] == [ErrorCode.INVALID_REQUEST] * 3
    assert bad.entries[0].error_message == "Invalid configuration key bogus"
    unknown = send(broker, DescribeClientQuotasRequest(components=[ComponentData(entity_type="group", match_type=2)]))
    assert unknown.error_code == ErrorCode.UNSUPPORTED_VERSION and unknown.entries is None
    set_quota(broker, {"user": "wire-user"}, "request_percentage", None)
    set_quota(broker, {"user": "wire-user", "client-id": None}, "producer_byte_rate", None)
    gone = send(broker, DescribeClientQuotasRequest(components=[ComponentData(entity_type="user", match_type=0, match="wire-user")]))
    assert gone.entries == []


def test_user_quotas_follow_the_authenticated_principal() -> None:
    """users/alice applies to a SASL/PLAIN connection as alice, users/ANONYMOUS to a PLAINTEXT one (Kafka's
    principal names), and neither to the other."""
    plain, sasl = free_port(), free_port()
    jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'
    overrides = {
        "listeners": f"PLAINTEXT://127.0.0.1:{plain},SASL_PLAINTEXT://127.0.0.1:{sasl}",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
        "quota.window.num": "2",
    }
    alice = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-secret"}
    with BrokerProcess(port=plain, overrides=overrides) as b:
        topic = make_topic(b.bootstrap)
        set_quota(b, {"user": "alice"}, "producer_byte_rate", QUOTA)
        _, alice_throttles = produce_for(f"127.0.0.1:{sasl}", topic, "same-client", 3, extra=alice)
        _, anonymous_throttles = produce_for(b.bootstrap, topic, "same-client", 2)
        assert any(alice_throttles) and not any(anonymous_throttles)
        set_quota(b, {"user": "ANONYMOUS"}, "producer_byte_rate", QUOTA)
        _, anonymous_throttles = produce_for(b.bootstrap, topic, "same-client", 3)
        assert any(anonymous_throttles)
