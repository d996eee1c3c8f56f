"""Kafka 2.8's ZooKeeper layout: znode paths and the JSON inside them (pure: no kazoo, no IO).

What an operator sees with `zookeeper-shell` must look like Kafka's, so every encoder here writes the
same keys and versions as Kafka 2.8's ZkData, and every decoder accepts what Kafka 2.8 itself writes.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

BROKER_IDS = "/brokers/ids"
BROKER_TOPICS = "/brokers/topics"
BROKER_SEQID = "/brokers/seqid"
CONTROLLER = "/controller"
CONTROLLER_EPOCH = "/controller_epoch"
CLUSTER_ID = "/cluster/id"
CONFIG_TOPICS = "/config/topics"
CONFIG_CHANGES = "/config/changes"
CONFIG_BROKERS = "/config/brokers"
DEFAULT_BROKER_ENTITY = "<default>"  # /config/brokers/<default>: the cluster-wide dynamic broker defaults
DELETE_TOPICS = "/admin/delete_topics"
REASSIGN_PARTITIONS = "/admin/reassign_partitions"
PREFERRED_REPLICA_ELECTION = "/admin/preferred_replica_election"
ISR_CHANGE_NOTIFICATION = "/isr_change_notification"
LOG_DIR_EVENT_NOTIFICATION = "/log_dir_event_notification"
PRODUCER_ID_BLOCK = "/latest_producer_id_block"

# Persistent paths every Kafka 2.8 broker creates at start-up (KafkaZkClient.createTopLevelPaths).
PERSISTENT_PATHS = (
    "/consumers",
    BROKER_IDS,
    BROKER_TOPICS,
    CONFIG_CHANGES,
    CONFIG_TOPICS,
    "/config/clients",
    "/config/users",
    CONFIG_BROKERS,
    "/config/ips",
    DELETE_TOPICS,
    BROKER_SEQID,
    ISR_CHANGE_NOTIFICATION,
    PRODUCER_ID_BLOCK,
    LOG_DIR_EVENT_NOTIFICATION,
)

LEADER_DURING_DELETE = -2  # UpdateMetadata leader that tells brokers a topic is being deleted
NO_LEADER = -1
PRODUCER_ID_BLOCK_SIZE = 1000


def broker_path(broker_id: int) -> str:
    return f"{BROKER_IDS}/{broker_id}"


def topic_path(topic: str) -> str:
    return f"{BROKER_TOPICS}/{topic}"


def partitions_path(topic: str) -> str:
    return f"{BROKER_TOPICS}/{topic}/partitions"


def partition_state_path(topic: str, partition: int) -> str:
    return f"{BROKER_TOPICS}/{topic}/partitions/{partition}/state"


def topic_config_path(topic: str) -> str:
    return f"{CONFIG_TOPICS}/{topic}"


def broker_config_path(entity: str) -> str:
    """entity: a broker id or DEFAULT_BROKER_ENTITY."""
    return f"{CONFIG_BROKERS}/{entity}"


def delete_topic_path(topic: str) -> str:
    return f"{DELETE_TOPICS}/{topic}"


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _loads(data: bytes | None) -> Any:
    if not data:
        return None
    return json.loads(data.decode())


def now_ms_string() -> str:
    return str(int(time.time() * 1000))


# ---- /brokers/ids/<id> ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListenerEndpoint:
    """One advertised listener of a registered broker, with its security protocol."""

    listener: str
    host: str
    port: int
    security_protocol: str = "PLAINTEXT"


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    """A registered broker. `host`/`port`/`listener` are the endpoint other brokers reach it on (its
    inter-broker listener when decoded for one, else the first); `endpoints` are all its listeners."""

    broker_id: int
    host: str
    port: int
    listener: str = "PLAINTEXT"
    rack: str | None = None
    epoch: int = -1  # czxid of the registration znode: Kafka's broker epoch
    endpoints: tuple[ListenerEndpoint, ...] = ()

    def all_endpoints(self) -> tuple[ListenerEndpoint, ...]:
        return self.endpoints or (ListenerEndpoint(self.listener, self.host, self.port),)

    def encode(self) -> bytes:
        """Kafka 2.8's /brokers/ids/<id> JSON (version 5): every endpoint with its protocol; host/port are
        the PLAINTEXT endpoint's (null/-1 without one), as Kafka writes them for pre-0.10 readers."""
        endpoints = self.all_endpoints()
        plaintext = next((e for e in endpoints if e.security_protocol == "PLAINTEXT"), None)
        data: dict[str, Any] = {
            "features": {},
            "listener_security_protocol_map": {e.listener: e.security_protocol for e in endpoints},
            "endpoints": [f"{e.listener}://{_host_text(e.host)}:{e.port}" for e in endpoints],
            "jmx_port": -1,
            "port": plaintext.port if plaintext else -1,
            "host": plaintext.host if plaintext else None,
            "version": 5,
            "timestamp": now_ms_string(),
        }
        if self.rack is not None:
            data["rack"] = self.rack
        return _dumps(data)

    @staticmethod
    def decode(broker_id: int, data: bytes, epoch: int = -1, listener_name: str | None = None) -> BrokerInfo:
        """The registration; host/port/listener of the endpoint called `listener_name` (the reader's
        inter-broker listener), else of the first endpoint."""
        obj = _loads(data) or {}
        protocols = obj.get("listener_security_protocol_map") or {}
        endpoints = []
        for text in obj.get("endpoints", []):
            name, _, rest = text.partition("://")
            h, _, p = rest.rpartition(":")
            endpoints.append(ListenerEndpoint(name, h.strip("[]"), int(p), protocols.get(name, name)))
        if not endpoints:  # a pre-0.10 registration: host and port only
            endpoints.append(ListenerEndpoint("PLAINTEXT", obj.get("host") or "", int(obj.get("port", -1))))
        chosen = next((e for e in endpoints if e.listener == listener_name), endpoints[0])
        return BrokerInfo(broker_id, chosen.host, chosen.port, chosen.listener, obj.get("rack"), epoch, tuple(endpoints))


def _host_text(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# ---- /controller, /controller_epoch, /cluster/id ---------------------------------------------------


def encode_controller(broker_id: int) -> bytes:
    return _dumps({"version": 1, "brokerid": broker_id, "timestamp": now_ms_string()})


def decode_controller(data: bytes | None) -> int:
    obj = _loads(data)
    if isinstance(obj, int):  # very old format: the id alone
        return obj
    return int(obj["brokerid"]) if obj else -1


def encode_cluster_id(cluster_id: str) -> bytes:
    return _dumps({"version": "1", "id": cluster_id})


def decode_cluster_id(data: bytes) -> str:
    return str(_loads(data)["id"])


# ---- /brokers/topics/<t> ---------------------------------------------------------------------------


@dataclass(slots=True)
class TopicAssignment:
    """The topic znode: replica assignment per partition, reassignment in flight (KIP-455), topic id (KIP-516)."""

    topic_id: str  # canonical UUID string, as TopicState keeps it
    partitions: dict[int, list[int]]
    adding: dict[int, list[int]] = field(default_factory=dict)
    removing: dict[int, list[int]] = field(default_factory=dict)

    def encode(self) -> bytes:
        return _dumps(
            {
                "version": 3,
                "topic_id": topic_id_to_zk(self.topic_id),
                "partitions": {str(p): r for p, r in sorted(self.partitions.items())},
                "adding_replicas": {str(p): r for p, r in sorted(self.adding.items())},
                "removing_replicas": {str(p): r for p, r in sorted(self.removing.items())},
            }
        )

    @staticmethod
    def decode(data: bytes) -> TopicAssignment:
        obj = _loads(data) or {}
        raw_id = obj.get("topic_id")
        topic_id = topic_id_from_zk(raw_id) if raw_id else str(uuid.uuid4())
        return TopicAssignment(
            topic_id,
            {int(p): list(r) for p, r in obj.get("partitions", {}).items()},
            {int(p): list(r) for p, r in (obj.get("adding_replicas") or {}).items()},
            {int(p): list(r) for p, r in (obj.get("removing_replicas") or {}).items()},
        )


def topic_id_to_zk(topic_id: str) -> str:
    """Kafka writes topic ids in ZooKeeper as URL-safe base64 without padding (Uuid.toString)."""
    return base64.urlsafe_b64encode(uuid.UUID(topic_id).bytes).decode().rstrip("=")


def topic_id_from_zk(text: str) -> str:
    try:
        return str(uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))))
    except ValueError:
        return str(uuid.UUID(text))


# ---- /brokers/topics/<t>/partitions/<p>/state -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaderIsr:
    """A partition's leader and ISR as the controller wrote them; zk_version is the partition epoch."""

    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    controller_epoch: int
    zk_version: int = 0

    def encode(self) -> bytes:
        return _dumps(
            {
                "controller_epoch": self.controller_epoch,
                "leader": self.leader,
                "version": 1,
                "leader_epoch": self.leader_epoch,
                "isr": list(self.isr),
            }
        )

    @staticmethod
    def decode(data: bytes, zk_version: int = 0) -> LeaderIsr:
        obj = _loads(data)
        return LeaderIsr(int(obj["leader"]), int(obj["leader_epoch"]), tuple(obj["isr"]), int(obj["controller_epoch"]), zk_version)


# ---- /config/topics/<t>, /config/changes ------------------------------------------------------------


def encode_topic_config(configs: dict[str, str]) -> bytes:
    return _dumps({"version": 1, "config": dict(sorted(configs.items()))})


def decode_topic_config(data: bytes | None) -> dict[str, str]:
    obj = _loads(data)
    return {str(k): str(v) for k, v in (obj or {}).get("config", {}).items()}


def encode_config_change(entity_path: str) -> bytes:
    return _dumps({"version": 2, "entity_path": entity_path})


def decode_config_change(data: bytes | None) -> str | None:
    obj = _loads(data)
    return str(obj["entity_path"]) if obj and "entity_path" in obj else None


# ---- /log_dir_event_notification --------------------------------------------------------------------

LOG_DIR_EVENT_PREFIX = "log_dir_event_"  # persistent sequential children: log_dir_event_0000000000
LOG_DIR_FAILURE_EVENT = 1


def encode_log_dir_event(broker_id: int) -> bytes:
    """Kafka's LogDirEventNotificationSequenceZNode: a broker saw one of its log dirs fail."""
    return _dumps({"version": 1, "broker": broker_id, "event": LOG_DIR_FAILURE_EVENT})


def decode_log_dir_event(data: bytes | None) -> int | None:
    """The broker id of a log dir event (None for an unreadable one)."""
    try:
        obj = _loads(data)
    except ValueError:
        return None
    return int(obj["broker"]) if isinstance(obj, dict) and isinstance(obj.get("broker"), int) else None


# ---- /latest_producer_id_block ----------------------------------------------------------------------


def encode_producer_id_block(broker_id: int, start: int, end: int) -> bytes:
    return _dumps({"version": 1, "broker": broker_id, "block_start": str(start), "block_end": str(end)})


def next_producer_id_block(data: bytes | None) -> tuple[int, int]:
    """(first, last) of the next block after the one recorded in the znode."""
    obj = _loads(data)
    start = int(obj["block_end"]) + 1 if obj else 0
    return start, start + PRODUCER_ID_BLOCK_SIZE - 1


# ---- /admin/reassign_partitions (the legacy znode of kafka-reassign-partitions --zookeeper) ------------


def decode_legacy_reassignment(data: bytes | None) -> dict[tuple[str, int], list[int]]:
    obj = _loads(data) or {}
    return {(p["topic"], int(p["partition"])): list(p["replicas"]) for p in obj.get("partitions", [])}
