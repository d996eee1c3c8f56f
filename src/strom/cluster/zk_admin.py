"""Topic administration in ZooKeeper mode (what a Kafka 2.8 broker's AdminManager does with AdminZkClient).

Any broker may create, delete or grow a topic by writing ZooKeeper; the controller reacts and tells every
broker through LeaderAndIsr and UpdateMetadata. Every call blocks on ZooKeeper: callers on the event loop
run them in the executor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from strom.cluster import zk_data as zd
from strom.cluster.controller_assignment import assign_replicas, validate_assignment
from strom.cluster.metadata import TopicState
from strom.cluster.topic_admin import MAX_PARTITIONS, Properties, validated_configs
from strom.cluster.zk_store import ZkMetadataStore
from strom.cluster.zookeeper import ZkClient, zk_errors_as
from strom.protocol.errors import ErrorCode, KafkaError
from strom.storage.config import LogConfig

log = logging.getLogger("kafka.server.ZkAdminManager")


class ZkAdminManager:
    blocking = True

    def __init__(
        self,
        zk: ZkClient,
        store: ZkMetadataStore,
        config: Properties,
        default_log_config: Callable[[], LogConfig],
        broker_epoch: Callable[[], int],
    ) -> None:
        self.zk = zk
        self.store = store
        self.config = config
        self.default_log_config = default_log_config
        self._broker_epoch = broker_epoch

    @property
    def broker_epoch(self) -> int:
        return self._broker_epoch()

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def live_brokers(self) -> dict[int, str | None]:
        """Live broker id -> rack, from the UpdateMetadata cache (ZooKeeper itself before the first one arrives)."""
        if self.store.live_brokers:
            return {b.broker_id: b.rack for b in self.store.live_brokers.values()}
        out: dict[int, str | None] = {}
        for name in self.zk.children(zd.BROKER_IDS):
            got = self.zk.get(zd.broker_path(int(name)))
            if got is not None:
                out[int(name)] = zd.BrokerInfo.decode(int(name), got[0]).rack
        return out

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
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
        if self.store.topic_exists(name):
            raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        live = self.live_brokers()
        if assignment:
            validate_assignment(assignment, set(live))
        else:
            if num_partitions == -1:
                num_partitions = int(self.config["num.partitions"])
            if replication_factor == -1:
                replication_factor = int(self.config["default.replication.factor"])
            if num_partitions > MAX_PARTITIONS:
                raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions is too large.")
            assignment = assign_replicas(live, num_partitions, replication_factor)
        clean = validated_configs(configs, self.default_log_config())
        if validate_only:
            return None
        state = self.store.create_topic(name, assignment, clean, internal)
        log.info("Creating topic %s with configuration %s and initial partition assignment %s", name, clean, assignment)
        return state

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def add_partitions(self, name: str, count: int, validate_only: bool, assignment: list[list[int]] | None = None) -> None:
        got = self.zk.get(zd.topic_path(name))
        if got is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist.")
        current = zd.TopicAssignment.decode(got[0])
        existing = len(current.partitions)
        if count <= existing:
            raise KafkaError(ErrorCode.INVALID_PARTITIONS, f"Topic currently has {existing} partitions, {count} would not be an increase.")
        if count > MAX_PARTITIONS:  # as for a new topic: a count in the millions would build millions of assignments
            raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Number of partitions is too large.")
        live = self.live_brokers()
        if assignment is not None:
            if len(assignment) != count - existing:
                raise KafkaError(
                    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
                    f"Increasing the number of partitions by {count - existing} but {len(assignment)} assignments provided.",
                )
            new = {existing + i: list(r) for i, r in enumerate(assignment)}
            validate_assignment(new, set(live), start=existing)
        else:
            rf = len(current.partitions.get(0, [])) or 1
            new = assign_replicas(live, count - existing, rf, start_partition=existing)
        if not validate_only:
            self.store.add_partitions(name, new)

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def delete_topic(self, name: str) -> None:
        if not self.store.topic_exists(name):
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if not self.config["delete.topic.enable"]:
            raise KafkaError(ErrorCode.TOPIC_DELETION_DISABLED)
        self.store.delete_topic(name)
