"""Topic administration (what Kafka's AdminManager does): create, delete and grow topics, claim producer ids.

`AdminManager` has two implementations, one per mode: `LocalAdminManager` (here) for the embedded single
broker, which writes its LocalMetadataStore and opens or drops the partitions itself, and `ZkAdminManager`
(zk_admin.py), which writes ZooKeeper as a Kafka 2.8 broker does and leaves the partitions to the
controller's LeaderAndIsr / StopReplica.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

from strom.cluster.metadata import LocalMetadataStore, TopicState
from strom.protocol.errors import ErrorCode, KafkaError
from strom.storage.config import LogConfig

log = logging.getLogger("kafka.server.KafkaServer")

LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_LENGTH = 249
MAX_PARTITIONS = 100_000


class Properties(Protocol):
    """Broker configuration values by Kafka key (BrokerConfig)."""

    def __getitem__(self, key: str) -> Any: ...


class AdminManager(Protocol):
    """The topic-administration writes of one mode. `blocking`: the calls wait on ZooKeeper, so callers on
    the event loop run them in the executor."""

    @property
    def blocking(self) -> bool: ...

    @property
    def broker_epoch(self) -> int:
        """czxid of /brokers/ids/<id> in ZooKeeper mode (sent in AlterIsr, checked by the controller), else -1."""
        ...

    def live_brokers(self) -> dict[int, str | None]:
        """Live broker id -> rack."""
        ...

    def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: dict[str, str],
        assignment: dict[int, list[int]] | None = None,
        validate_only: bool = False,
        internal: bool = False,
    ) -> TopicState | None: ...

    def delete_topic(self, name: str) -> None: ...

    def add_partitions(self, name: str, count: int, validate_only: bool, assignment: list[list[int]] | None = None) -> None: ...


def validate_topic_name(name: str) -> None:
    if not name or name in (".", ".."):
        raise KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, f"Topic name '{name}' is illegal")
    if len(name) > MAX_TOPIC_LENGTH:
        raise KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, f"Topic name is longer than {MAX_TOPIC_LENGTH} characters")
    if not LEGAL_TOPIC.match(name):
        raise KafkaError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f"Topic name '{name}' is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'",
        )


def validated_configs(configs: dict[str, str], default_log_config: LogConfig) -> dict[str, str]:
    """A topic's configs without null values, checked against the broker's defaults (INVALID_CONFIG)."""
    clean = {k: v for k, v in configs.items() if v is not None}
    LogConfig.from_topic_configs(clean, default_log_config)
    return clean


class LocalAdminManager:
    """The embedded broker's topic administration: one broker holds every replica, so an assignment can
    only name it, and a topic's partitions open (or go) here as soon as the metadata file has it."""

    blocking = False
    broker_epoch = -1

    def __init__(
        self,
        broker_id: int,
        config: Properties,
        store: LocalMetadataStore,
        default_log_config: Callable[[], LogConfig],
        open_partition: Callable[[TopicState, int], object],
        remove_partition: Callable[[str, int], None],
    ) -> None:
        self.broker_id = broker_id
        self.config = config
        self.store = store
        self.default_log_config = default_log_config
        self.open_partition = open_partition
        self.remove_partition = remove_partition

    def live_brokers(self) -> dict[int, str | None]:
        return {self.broker_id: None}

    def create_topic(
        self,
        name: str,
        num_partitions: int,
        replication_factor: int,
        configs: dict[str, str],
        assignment: dict[int, list[int]] | None = None,
        validate_only: bool = False,
        internal: bool = False,
    ) -> TopicState | None:
        if name in self.store.topics:
            raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        if assignment:
            self._validate_assignment(assignment)
        else:
            assignment = self._default_assignment(num_partitions, replication_factor)
        clean = validated_configs(configs, self.default_log_config())
        if validate_only:
            return None
        topic = self.store.create_topic(name, assignment, clean, internal)
        for index in topic.partitions:
            self.open_partition(topic, index)
        log.info("Created topic %s with %d partition(s)", name, len(topic.partitions))
        return topic

    def _validate_assignment(self, assignment: dict[int, list[int]]) -> None:
        parts = sorted(assignment)
        if parts != list(range(len(parts))):
            raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "partitions must be numbered from 0 without gaps")
        for replicas in assignment.values():
            if not replicas or any(r != self.broker_id for r in replicas) or len(set(replicas)) != len(replicas):
                raise KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, f"Unknown broker(s) in replica assignment {replicas}.")

    def _default_assignment(self, num_partitions: int, replication_factor: int) -> dict[int, list[int]]:
        if num_partitions == -1:
            num_partitions = int(self.config["num.partitions"])
        if replication_factor == -1:
            replication_factor = int(self.config["default.replication.factor"])
        if num_partitions <= 0:
            raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
        if num_partitions > MAX_PARTITIONS:
            raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions is too large.")
        if replication_factor <= 0:
            raise KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.")
        if replication_factor > 1:
            raise KafkaError(
                ErrorCode.INVALID_REPLICATION_FACTOR,
                f"Replication factor: {replication_factor} larger than available brokers: 1.",
            )
        return {p: [self.broker_id] for p in range(num_partitions)}

    def delete_topic(self, name: str) -> None:
        topic = self.store.topics.get(name)
        if topic is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if not self.config["delete.topic.enable"]:
            raise KafkaError(ErrorCode.TOPIC_DELETION_DISABLED)
        self.store.delete_topic(name)
        for index in topic.partitions:
            self.remove_partition(name, index)
        log.info("Deleted topic %s", name)

    def add_partitions(self, name: str, count: int, validate_only: bool, assignment: list[list[int]] | None = None) -> None:
        topic = self.store.topics.get(name)
        if topic is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist.")
        current = len(topic.partitions)
        if count <= current:
            raise KafkaError(
                ErrorCode.INVALID_PARTITIONS,
                f"Topic currently has {current} partitions, {count} would not be an increase.",
            )
        if count > MAX_PARTITIONS:  # as for a new topic: a count in the millions would build millions of logs
            raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions is too large.")
        if validate_only:
            return
        self.store.add_partitions(name, {p: [self.broker_id] for p in range(current, count)})
        for index in range(current, count):
            self.open_partition(topic, index)
