"""StreamsConfig: Kafka Streams' defaults, validation, and the client configs derived from it."""

from __future__ import annotations

import pytest

from strom.client.config import ConfigError, resolve
from strom.streams.config import StreamsConfig

BASE = {"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"}


def test_defaults_are_kafka_streams_defaults() -> None:
    c = StreamsConfig(BASE)
    assert c.get("num.stream.threads") == 1
    assert c.get("num.standby.replicas") == 0
    assert c.get("commit.interval.ms") == 30000
    assert c.get("processing.guarantee") == "at_least_once"
    assert c.get("statestore.cache.max.bytes") == 10 * 1024 * 1024
    assert c.get("replication.factor") == -1
    assert c.get("state.dir").endswith("kafka-streams")
    assert not c.exactly_once


def test_required_keys_and_bad_values_are_rejected_with_kafka_messages() -> None:
    with pytest.raises(ConfigError, match='Missing required configuration "application.id" which has no default value.'):
        StreamsConfig({"bootstrap.servers": "x:1"})
    with pytest.raises(ConfigError, match="Invalid value exactly_twice for configuration processing.guarantee: String must be one of"):
        StreamsConfig({**BASE, "processing.guarantee": "exactly_twice"})
    with pytest.raises(ConfigError, match="Invalid value -1 for configuration num.standby.replicas: Value must be at least 0"):
        StreamsConfig({**BASE, "num.standby.replicas": -1})
    with pytest.raises(ConfigError, match="num.stream.threads"):
        StreamsConfig({**BASE, "num.stream.threads": "two"})


def test_exactly_once_changes_commit_interval_and_client_configs() -> None:
    c = StreamsConfig({**BASE, "processing.guarantee": "exactly_once_v2"})
    assert c.exactly_once and c.get("commit.interval.ms") == 100
    consumer = c.get_main_consumer_configs("app", "app-StreamThread-1-consumer")
    assert consumer["isolation.level"] == "read_committed"
    producer = c.get_producer_configs("app-StreamThread-1-producer", "app-pid-1")
    assert producer["transactional.id"] == "app-pid-1" and producer["enable.idempotence"] is True
    resolve("producer", producer)  # the derived configs are valid client configs
    resolve("consumer", consumer)
    with pytest.raises(ConfigError, match="isolation.level"):
        StreamsConfig({**BASE, "processing.guarantee": "exactly_once_v2", "consumer.isolation.level": "read_uncommitted"})
    assert StreamsConfig({**BASE, "processing.guarantee": "exactly_once_v2", "commit.interval.ms": 5}).get("commit.interval.ms") == 5


def test_prefixes_aim_keys_at_one_client_and_win_over_plain_keys() -> None:
    c = StreamsConfig(
        {
            **BASE,
            "max.poll.records": 10,
            "consumer.max.poll.records": 20,
            "main.consumer.max.poll.records": 30,
            "restore.consumer.fetch.max.bytes": 1000,
            "producer.linger.ms": 7,
            "admin.retries": 3,
            "acks": "all",
            "topic.min.insync.replicas": "2",
        }
    )
    main = c.get_main_consumer_configs("app", "cid")
    restore = c.get_restore_consumer_configs("rid")
    producer = c.get_producer_configs("pid")
    assert main["max.poll.records"] == 30 and main["group.id"] == "app" and main["auto.offset.reset"] == "earliest"
    assert main["enable.auto.commit"] is False
    assert restore["max.poll.records"] == 20 and restore["fetch.max.bytes"] == 1000 and "group.id" not in restore
    assert producer["linger.ms"] == 7 and producer["acks"] == "all" and "max.poll.records" not in producer
    assert "transactional.id" not in producer
    assert c.get_admin_configs("aid")["retries"] == 3
    assert "application.id" not in main and "num.stream.threads" not in producer
    assert c.topic_configs() == {"min.insync.replicas": "2"}
    for role, conf in (("consumer", main), ("consumer", restore), ("producer", producer), ("admin", c.get_admin_configs("a"))):
        resolve(role, conf)


def test_classes_are_resolved_from_instances_types_and_dotted_names() -> None:
    class Extractor:
        def extract(self, record: object, partition_time: int) -> int:
            return 1

    c = StreamsConfig({**BASE, "default.timestamp.extractor": Extractor})
    assert isinstance(c.default_timestamp_extractor(), Extractor)
    c = StreamsConfig({**BASE, "default.timestamp.extractor": "collections:OrderedDict"})
    assert type(c.default_timestamp_extractor()).__name__ == "OrderedDict"
    with pytest.raises(ConfigError, match="Class nowhere.Nothing could not be found."):
        StreamsConfig({**BASE, "default.key.serde": "nowhere.Nothing"}).default_key_serde()
    assert StreamsConfig(BASE).default_key_serde() is None
