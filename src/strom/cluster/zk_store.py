"""The broker's MetadataStore in ZooKeeper mode: writes go to ZooKeeper, reads come from the UpdateMetadata cache.

One of the two MetadataStore implementations (the other is the embedded LocalMetadataStore). As in Kafka 2.8,
any broker may create, delete or grow a topic by writing ZooKeeper; the controller reacts and tells every
broker through UpdateMetadata, which lands in `topics`, `live_brokers` and `controller_id` here.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Protocol

from strom.cluster import zk_data as zd
from strom.cluster.metadata import BrokerEndpoint, PartitionLeadershipView, PartitionState, TopicState, _new_cluster_id
from strom.cluster.zookeeper import ZkBadVersion, ZkClient, ZkNodeExists, ZkNoNode, zk_errors_as
from strom.protocol.errors import ErrorCode, KafkaError

log = logging.getLogger("kafka.server.MetadataCache")

INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})

__all__ = ["BrokerEndpoint", "ZkMetadataStore"]  # BrokerEndpoint: UpdateMetadata builds them from here


class PartitionStateView(PartitionLeadershipView, Protocol):
    """One partition of an UpdateMetadata request (v0-4 and v5+ name the struct differently)."""

    @property
    def zk_version(self) -> int: ...


class ZkMetadataStore:
    def __init__(self, zk: ZkClient, broker_id: int, cluster_id: str | None = None) -> None:
        self.zk = zk
        self.broker_id = broker_id
        self.cluster_id = cluster_id or ""
        self.topics: dict[str, TopicState] = {}
        # dynamic broker configs (kafka-configs --entity-type brokers): cluster default and this broker's own
        self.dynamic_default_configs: dict[str, str] = {}
        self.dynamic_broker_configs: dict[str, str] = {}
        self.live_brokers: dict[int, BrokerEndpoint] = {}
        self.controller_id = -1
        self.controller_epoch = -1
        self._pid_next = 0
        self._pid_end = -1
        self._lock = threading.Lock()
        self._pid_lock = threading.Lock()  # held while a block is claimed from ZooKeeper: not the cache's lock

    # ---- start-up (blocking, in an executor) ------------------------------------------------------------

    def load_cluster_id(self) -> str:
        """Kafka 2.8: the first broker creates /cluster/id; a broker whose meta.properties disagrees refuses to start."""
        got = self.zk.get(zd.CLUSTER_ID)
        if got is None:
            candidate = self.cluster_id or _new_cluster_id()
            try:
                self.zk.create(zd.CLUSTER_ID, zd.encode_cluster_id(candidate))
            except ZkNodeExists:
                pass
            got = self.zk.get(zd.CLUSTER_ID)
        assert got is not None
        stored = zd.decode_cluster_id(got[0])
        if self.cluster_id and self.cluster_id != stored:
            raise OSError(f"The Cluster ID {stored} doesn't match stored clusterId Some({self.cluster_id}) in meta.properties")
        self.cluster_id = stored
        return stored

    def topic_configs_from_zk(self, topic: str) -> dict[str, str]:
        got = self.zk.get(zd.topic_config_path(topic))
        return zd.decode_topic_config(got[0]) if got else {}

    # ---- the UpdateMetadata cache ---------------------------------------------------------------------------

    def apply_update_metadata(
        self,
        controller_id: int,
        controller_epoch: int,
        brokers: list[BrokerEndpoint],
        partitions: list[tuple[str, str | None, PartitionStateView]],
        configs: dict[str, dict[str, str]],
    ) -> bool:
        """partitions: (topic, topic id, partition state); configs: configs of topics new to this cache.
        Returns False (and changes nothing) for a request from an older controller."""
        with self._lock:
            if controller_epoch < self.controller_epoch:
                return False
            self.controller_epoch = controller_epoch
            self.controller_id = controller_id
            self.live_brokers = {b.broker_id: b for b in brokers}
            for topic, topic_id, p in partitions:
                if p.leader == zd.LEADER_DURING_DELETE:
                    state = self.topics.get(topic)
                    if state is not None:
                        state.partitions.pop(p.partition_index, None)
                        if not state.partitions:
                            del self.topics[topic]
                    continue
                state = self.topics.get(topic)
                if state is None or (topic_id and state.topic_id != topic_id):
                    state = TopicState(topic, topic_id or str(uuid.uuid4()), {}, configs.get(topic, {}), topic in INTERNAL_TOPICS)
                    self.topics[topic] = state
                state.partitions[p.partition_index] = PartitionState(
                    p.partition_index, list(p.replicas), list(p.isr), p.leader, p.leader_epoch, p.zk_version
                )
            return True

    # ---- writes: ZooKeeper, as a Kafka 2.8 broker does (AdminZkClient) ---------------------------------------

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def topic_exists(self, name: str) -> bool:
        return self.zk.exists(zd.topic_path(name)) is not None

    def create_topic(self, name: str, assignment: dict[int, list[int]], configs: dict[str, str], internal: bool = False) -> TopicState:
        topic_id = str(uuid.uuid4())
        self.zk.create(zd.topic_config_path(name), zd.encode_topic_config(configs)) if not self.zk.exists(
            zd.topic_config_path(name)
        ) else self.zk.set(zd.topic_config_path(name), zd.encode_topic_config(configs))
        try:
            self.zk.create(zd.topic_path(name), zd.TopicAssignment(topic_id, dict(assignment)).encode())
        except ZkNodeExists:
            raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.") from None
        with self._lock:
            # provisional until the controller's UpdateMetadata: no leader yet (Metadata answers LEADER_NOT_AVAILABLE).
            # This runs in the executor while the loop may be iterating `topics`: replace the dict, never mutate it.
            parts = {p: PartitionState(p, list(r), list(r), -1) for p, r in assignment.items()}
            state = TopicState(name, topic_id, parts, dict(configs), internal or name in INTERNAL_TOPICS)
            if name not in self.topics:
                self.topics = {**self.topics, name: state}
            return self.topics[name]

    def delete_topic(self, name: str) -> None:
        try:
            self.zk.create(zd.delete_topic_path(name))
        except ZkNodeExists:
            pass

    def add_partitions(self, name: str, assignment: dict[int, list[int]]) -> None:
        got = self.zk.get(zd.topic_path(name))
        if got is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"The topic '{name}' does not exist.")
        current = zd.TopicAssignment.decode(got[0])
        if set(assignment) & set(current.partitions):
            raise KafkaError(ErrorCode.INVALID_PARTITIONS, "Partitions already exist.")
        current.partitions.update(assignment)
        try:
            self.zk.set(zd.topic_path(name), current.encode(), version=got[1].version)
        except ZkBadVersion:
            raise KafkaError(ErrorCode.REASSIGNMENT_IN_PROGRESS, "The topic changed concurrently; retry.") from None
        with self._lock:
            state = self.topics.get(name)
            if state is not None:  # (executor thread: a new dict, as in create_topic)
                added = {p: PartitionState(p, list(r), list(r), -1) for p, r in assignment.items() if p not in state.partitions}
                state.partitions = {**state.partitions, **added}

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def set_topic_configs(self, name: str, configs: dict[str, str]) -> None:
        """/config/topics/<t> plus a /config/changes notification, so every broker reloads it."""
        self.zk.set(zd.topic_config_path(name), zd.encode_topic_config(configs))
        self.zk.create(zd.CONFIG_CHANGES + "/config_change_", zd.encode_config_change(f"topics/{name}"), sequence=True)
        with self._lock:
            if name in self.topics:
                self.topics[name].configs = dict(configs)

    # ---- dynamic broker configs: /config/brokers/<id> and /config/brokers/<default>, as Kafka 2.8 -------------

    @property
    def broker_configs(self) -> dict[str, str]:
        """The dynamic configs in force on this broker: its own override the cluster defaults."""
        return {**self.dynamic_default_configs, **self.dynamic_broker_configs}

    def broker_entity(self, resource_name: str) -> str:
        """A BROKER config resource's znode name: "" is the cluster default."""
        return zd.DEFAULT_BROKER_ENTITY if resource_name == "" else resource_name

    def dynamic_configs_of(self, entity: str) -> dict[str, str]:
        return dict(self.dynamic_default_configs if entity == zd.DEFAULT_BROKER_ENTITY else self.dynamic_broker_configs)

    def dynamic_config_layers(self, per_broker: bool) -> list[tuple[dict[str, str], bool]]:
        """This broker's own (/config/brokers/<id>), then the cluster default (/config/brokers/<default>)."""
        own = [(self.dynamic_broker_configs, False)] if per_broker else []
        return own + [(self.dynamic_default_configs, True)]

    def set_dynamic_configs(self, entity: str, configs: dict[str, str]) -> None:
        """Replaces (never mutates) the dict: readers on the loop may be iterating the old one."""
        if entity == zd.DEFAULT_BROKER_ENTITY:
            self.dynamic_default_configs = dict(configs)
        elif entity == str(self.broker_id):
            self.dynamic_broker_configs = dict(configs)

    def read_broker_configs(self, entity: str) -> dict[str, str]:
        got = self.zk.get(zd.broker_config_path(entity))
        return zd.decode_topic_config(got[0]) if got else {}

    def load_broker_configs(self) -> None:
        """At start-up (blocking): the dynamic configs stored for the cluster and for this broker."""
        for entity in (zd.DEFAULT_BROKER_ENTITY, str(self.broker_id)):
            self.set_dynamic_configs(entity, self.read_broker_configs(entity))

    @zk_errors_as(ErrorCode.REQUEST_TIMED_OUT)
    def write_broker_configs(self, entity: str, configs: dict[str, str]) -> None:
        """Kafka's AdminZkClient.changeBrokerConfig: the entity's znode (same JSON as a topic's) plus a
        /config/changes notification, so every broker concerned reloads it. Blocking: run in the executor."""
        path = zd.broker_config_path(entity)
        data = zd.encode_topic_config(configs)
        try:
            self.zk.set(path, data)
        except ZkNoNode:
            try:
                self.zk.create(path, data)
            except ZkNodeExists:
                self.zk.set(path, data)
        self.zk.create(zd.CONFIG_CHANGES + "/config_change_", zd.encode_config_change(f"brokers/{entity}"), sequence=True)
        self.set_dynamic_configs(entity, configs)

    @zk_errors_as(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    def allocate_producer_id(self) -> int:
        """Producer ids come in blocks claimed from /latest_producer_id_block, so no two brokers hand out the same id."""
        with self._pid_lock:
            if self._pid_next > self._pid_end:
                self._pid_next, self._pid_end = self._claim_producer_id_block()
            pid = self._pid_next
            self._pid_next += 1
            return pid

    def _claim_producer_id_block(self) -> tuple[int, int]:
        while True:
            got = self.zk.get(zd.PRODUCER_ID_BLOCK)
            if got is None:
                self.zk.ensure_path(zd.PRODUCER_ID_BLOCK)
                continue
            start, end = zd.next_producer_id_block(got[0])
            try:
                self.zk.set(zd.PRODUCER_ID_BLOCK, zd.encode_producer_id_block(self.broker_id, start, end), version=got[1].version)
            except ZkBadVersion:
                continue
            log.info(
                "Acquired new producerId block (brokerId:%d,blockStartProducerId:%d,blockEndProducerId:%d)", self.broker_id, start, end
            )
            return start, end
