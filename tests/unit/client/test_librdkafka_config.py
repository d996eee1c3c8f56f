"""confluent-kafka's configuration keys (librdkafka's CONFIGURATION.md, security keys aside) are taken by Strom:
implemented, as an alias of the Kafka key, or with a one-time warning that they have no effect here."""

from __future__ import annotations

import logging

import pytest

from strom.client import librdkafka_config
from strom.client.config import ConfigError, resolve

BOOT = {"bootstrap.servers": "localhost:9092"}

# every non-security key librdkafka documents for both roles ('*'), then the consumer's and the producer's
GLOBAL_KEYS = """client.id metadata.broker.list bootstrap.servers message.max.bytes message.copy.max.bytes receive.message.max.bytes
max.in.flight.requests.per.connection max.in.flight metadata.recovery.strategy metadata.recovery.rebootstrap.trigger.ms
topic.metadata.refresh.interval.ms metadata.max.age.ms topic.metadata.refresh.fast.interval.ms topic.metadata.refresh.fast.cnt
topic.metadata.refresh.sparse topic.metadata.propagation.max.ms topic.blacklist debug socket.timeout.ms socket.blocking.max.ms
socket.send.buffer.bytes socket.receive.buffer.bytes socket.keepalive.enable socket.nagle.disable socket.max.fails
broker.address.ttl broker.address.family socket.connection.setup.timeout.ms connections.max.idle.ms reconnect.backoff.jitter.ms
reconnect.backoff.ms reconnect.backoff.max.ms statistics.interval.ms enabled_events error_cb throttle_cb stats_cb log_level
log.queue log.thread.name enable.random.seed log.connection.close internal.termination.signal api.version.request
api.version.request.timeout.ms api.version.fallback.ms broker.version.fallback allow.auto.create.topics plugin.library.paths
client.rack retry.backoff.ms retry.backoff.max.ms client.dns.lookup enable.metrics.push""".split()
CONSUMER_KEYS = """group.id group.instance.id partition.assignment.strategy session.timeout.ms heartbeat.interval.ms group.protocol.type
group.protocol group.remote.assignor coordinator.query.interval.ms max.poll.interval.ms enable.auto.commit auto.commit.interval.ms
enable.auto.offset.store queued.min.messages queued.max.messages.kbytes fetch.wait.max.ms fetch.queue.backoff.ms
fetch.message.max.bytes max.partition.fetch.bytes fetch.max.bytes fetch.min.bytes fetch.error.backoff.ms offset.store.method
isolation.level enable.partition.eof check.crcs auto.commit.enable auto.offset.reset offset.store.path
offset.store.sync.interval.ms consume.callback.max.messages""".split()
PRODUCER_KEYS = """transactional.id transaction.timeout.ms enable.idempotence enable.gapless.guarantee queue.buffering.max.messages
queue.buffering.max.kbytes queue.buffering.max.ms linger.ms message.send.max.retries retries queue.buffering.backpressure.threshold
compression.codec compression.type batch.num.messages batch.size delivery.report.only.error sticky.partitioning.linger.ms
request.required.acks acks request.timeout.ms message.timeout.ms delivery.timeout.ms queuing.strategy produce.offset.report
partitioner compression.level""".split()

# a valid value for the keys Strom checks; the rest take "1"
VALUES: dict[str, object] = {
    "client.id": "app",
    "metadata.broker.list": "localhost:9092",
    "bootstrap.servers": "localhost:9092",
    "message.max.bytes": 100000,
    "debug": "broker,msg",
    "socket.keepalive.enable": True,
    "allow.auto.create.topics": True,
    "error_cb": print,
    "stats_cb": print,
    "group.id": "g",
    "group.instance.id": "i",
    "partition.assignment.strategy": "range",
    "group.protocol": "consumer",
    "group.remote.assignor": "uniform",
    "enable.auto.commit": True,
    "isolation.level": "read_committed",
    "enable.partition.eof": True,
    "enable.auto.offset.store": False,
    "check.crcs": True,
    "auto.offset.reset": "smallest",
    "transactional.id": "t",
    "enable.idempotence": True,
    "compression.codec": "lz4",
    "compression.type": "lz4",
    "request.required.acks": "all",
    "acks": "all",
    "partitioner": "murmur2_random",
    "session.timeout.ms": 45000,
    "heartbeat.interval.ms": 3000,
    "message.timeout.ms": 300000,
    "delivery.timeout.ms": 300000,
    "transaction.timeout.ms": 60000,
}


@pytest.mark.parametrize(
    ("role", "key"), [("producer", k) for k in GLOBAL_KEYS + PRODUCER_KEYS] + [("consumer", k) for k in GLOBAL_KEYS + CONSUMER_KEYS]
)
def test_every_documented_key_is_taken(role: str, key: str) -> None:
    resolve(role, {**BOOT, key: VALUES.get(key, "1")})


def test_aliases_set_the_kafka_key() -> None:
    p = resolve(
        "producer",
        {**BOOT, "queue.buffering.max.ms": 50, "queue.buffering.max.kbytes": 1024, "message.max.bytes": 5000, "max.in.flight": 2},
    )
    assert (p["linger.ms"], p["buffer.memory"], p["max.request.size"], p["max.in.flight.requests.per.connection"]) == (50, 1048576, 5000, 2)
    assert resolve("producer", {**BOOT, "message.timeout.ms": 0})["delivery.timeout.ms"] == 2147483647  # 0: no timeout
    assert resolve("producer", {**BOOT, "message.timeout.ms": 10})["delivery.timeout.ms"] == 10  # no Java lower bound
    assert resolve("producer", {**BOOT, "linger.ms": 7, "queue.buffering.max.ms": 50})["linger.ms"] == 7  # the Kafka key wins
    c = resolve("consumer", {**BOOT, "fetch.wait.max.ms": 100, "fetch.message.max.bytes": 4096, "message.max.bytes": 90000000})
    assert (c["fetch.max.wait.ms"], c["max.partition.fetch.bytes"], c["fetch.max.bytes"]) == (100, 4096, 90000000)


def test_no_effect_keys_and_other_roles_keys_warn_once(caplog: pytest.LogCaptureFixture) -> None:
    librdkafka_config._warned.clear()
    with caplog.at_level(logging.WARNING, logger="strom.client.config"):
        for _ in range(3):
            resolve("consumer", {**BOOT, "queued.min.messages": 10, "linger.ms": 5})
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "configuration 'queued.min.messages' has no effect in Strom: one fetch per partition is buffered ahead",
        "configuration 'linger.ms' is a producer property and has no effect on a consumer",
    ]


def test_bad_values_and_unknown_keys_still_fail() -> None:
    with pytest.raises(ConfigError, match="did you mean 'queue.buffering.max.ms'"):
        resolve("producer", {**BOOT, "queue.buffering.max.mss": 5})
    with pytest.raises(ConfigError, match="'partitioner' must be one of"):
        resolve("producer", {**BOOT, "partitioner": "murmur"})
    with pytest.raises(ConfigError, match="'log_level' must be at least 0"):
        resolve("producer", {**BOOT, "log_level": -1})


def test_default_topic_config_is_flattened() -> None:
    c = resolve("consumer", {**BOOT, "default.topic.config": {"auto.offset.reset": "smallest"}})
    assert c["auto.offset.reset"] == "earliest"
    c = resolve("consumer", {**BOOT, "auto.offset.reset": "latest", "default.topic.config": {"auto.offset.reset": "smallest"}})
    assert c["auto.offset.reset"] == "latest"  # a top-level key wins, as in confluent-kafka
