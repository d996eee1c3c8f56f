"""Cluster metadata: topics (ids, partitions, replica assignment, configs), dynamic broker configs.

`MetadataStore` is what the broker reads and writes; it has two implementations. The embedded
`LocalMetadataStore` (here) keeps everything in one JSON file under the first log dir, written atomically
(tmp + fsync + rename); `ZkMetadataStore` (zk_store.py) writes ZooKeeper and reads the controller's
UpdateMetadata cache. The partition model has what replication needs -- leader, leader epoch, replicas, ISR.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote

METADATA_FILE = "__strom_cluster_metadata.json"


@dataclass(slots=True)
class PartitionState:
    partition: int
    replicas: list[int]
    isr: list[int]
    leader: int
    leader_epoch: int = 0
    partition_epoch: int = 0


@dataclass(slots=True)
class TopicState:
    name: str
    topic_id: str
    partitions: dict[int, PartitionState]
    configs: dict[str, str] = field(default_factory=dict)
    internal: bool = False

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(self.topic_id)


@dataclass(frozen=True, slots=True)
class BrokerEndpoint:
    """A live broker: `host`/`port` are its inter-broker listener's address (replication, AlterIsr);
    `listeners` every advertised (listener name, host, port), so clients get the listener they came on."""

    broker_id: int
    host: str
    port: int
    rack: str | None
    listeners: tuple[tuple[str, str, int], ...] = ()

    def endpoint_for(self, listener_name: str) -> tuple[str, int] | None:
        """The address of the broker's listener called `listener_name`; None when it has no such listener
        (Kafka leaves such a broker out of the answer). Without listener names known, the one address."""
        if not self.listeners:
            return self.host, self.port
        for name, host, port in self.listeners:
            if name == listener_name:
                return host, port
        return None


# ---- client/user entities: /config/users/<user>, /config/clients/<id>, /config/users/<user>/clients/<id> ----

DEFAULT_ENTITY = "<default>"
"""The name of a default entity (`--entity-default`), as Kafka's ConfigEntityName.Default: a real name is
stored sanitized, so a user literally called "<default>" is "%3Cdefault%3E" in a path."""


def sanitize(name: str) -> str:
    """Kafka's Sanitizer.sanitize: URL-encoding (Java's URLEncoder) with spaces as %20 and '*' as %2A, so any
    principal or client id is one znode name."""
    return quote(name, safe="-._").replace("~", "%7E")


def desanitize(name: str) -> str:
    return unquote(name)


@dataclass(frozen=True, slots=True)
class ConfigEntity:
    """A user, a client id, or both (Kafka's quota/SCRAM config entities). None leaves a part out;
    DEFAULT_ENTITY is the default user or client id. Names are as the client sent them (unsanitized)."""

    user: str | None = None
    client_id: str | None = None

    def __post_init__(self) -> None:
        if self.user is None and self.client_id is None:
            raise ValueError("a config entity names a user, a client id or both")

    @property
    def path(self) -> str:
        """Kafka's entity path: "users/alice", "clients/c1", "users/alice/clients/<default>" (the znode
        under /config, and the entity_path of a /config/changes notification)."""
        parts = []
        if self.user is not None:
            parts.append("users/" + _entity_name(self.user))
        if self.client_id is not None:
            parts.append("clients/" + _entity_name(self.client_id))
        return "/".join(parts)

    @property
    def entity_type(self) -> str:
        """The entity's type: users, clients, or users/clients (both parts)."""
        if self.user is not None and self.client_id is not None:
            return "users/clients"
        return "users" if self.user is not None else "clients"

    @classmethod
    def from_path(cls, path: str) -> ConfigEntity:
        """The inverse of `path`; ValueError for a path that is not a user/client entity."""
        bits = path.strip("/").split("/")
        if len(bits) == 2 and bits[0] in ("users", "clients"):
            name = _entity_from_name(bits[1])
            return cls(user=name) if bits[0] == "users" else cls(client_id=name)
        if len(bits) == 4 and bits[0] == "users" and bits[2] == "clients":
            return cls(_entity_from_name(bits[1]), _entity_from_name(bits[3]))
        raise ValueError(f"not a user or client entity path: {path!r}")


def apply_alteration(current: dict[str, str], set: dict[str, str], delete: list[str]) -> dict[str, str]:
    """An entity's configs after an alteration: deletions first, then the keys set."""
    out = dict(current)
    for key in delete:
        out.pop(key, None)
    out.update(set)
    return out


def _entity_name(name: str) -> str:
    return name if name == DEFAULT_ENTITY else sanitize(name)


def _entity_from_name(name: str) -> str:
    return name if name == DEFAULT_ENTITY else desanitize(name)


class PartitionLeadershipView(Protocol):
    """One partition's leadership as the controller's LeaderAndIsr and UpdateMetadata requests carry it
    (each version names its struct class differently; these fields are common to all)."""

    @property
    def partition_index(self) -> int: ...
    @property
    def leader(self) -> int: ...
    @property
    def leader_epoch(self) -> int: ...
    @property
    def isr(self) -> list[int]: ...
    @property
    def replicas(self) -> list[int]: ...


class MetadataStore(Protocol):
    """The cluster metadata as one broker sees it: topics, live brokers, the controller, dynamic configs,
    and the writes a broker makes (topics, topic configs, producer ids). Writes of the ZooKeeper store block
    on ZooKeeper: callers on the event loop run them in the executor."""

    cluster_id: str
    topics: dict[str, TopicState]
    live_brokers: dict[int, BrokerEndpoint]
    controller_id: int

    @property
    def broker_configs(self) -> dict[str, str]:
        """The dynamic broker configs in force on this broker."""
        ...

    def create_topic(self, name: str, assignment: dict[int, list[int]], configs: dict[str, str], internal: bool = False) -> TopicState: ...

    def delete_topic(self, name: str) -> None: ...

    def add_partitions(self, name: str, assignment: dict[int, list[int]]) -> None: ...

    def set_topic_configs(self, name: str, configs: dict[str, str]) -> None: ...

    def allocate_producer_id(self) -> int: ...

    # dynamic broker configs (kafka-configs --entity-type brokers)

    def broker_entity(self, resource_name: str) -> str:
        """Where a BROKER config resource's dynamic configs are kept."""
        ...

    def dynamic_configs_of(self, entity: str) -> dict[str, str]: ...

    def dynamic_config_layers(self, per_broker: bool) -> list[tuple[dict[str, str], bool]]:
        """The layers of dynamic broker configs, highest precedence first, each with whether it is the
        cluster-wide default; per_broker False leaves this broker's own layer out."""
        ...

    def write_broker_configs(self, entity: str, configs: dict[str, str]) -> None: ...


class LocalMetadataStore:
    """Single-broker MetadataStore: the whole image in memory, persisted on each change. The broker is its
    own controller and knows no other broker."""

    def __init__(self, directory: Path, broker_id: int, cluster_id: str | None = None) -> None:
        self.path = Path(directory) / METADATA_FILE
        self.broker_id = broker_id
        self.controller_id = broker_id
        self.live_brokers: dict[int, BrokerEndpoint] = {}
        self.topics: dict[str, TopicState] = {}
        self.broker_configs: dict[str, str] = {}
        self.entity_configs: dict[str, dict[str, str]] = {}  # by ConfigEntity.path: user/client quotas, SCRAM
        self.cluster_id = cluster_id or ""
        self.next_producer_id = 0
        self.acls: list[dict[str, str]] = []  # the embedded authorizer's ACL bindings, one dict each
        self._lock = threading.Lock()
        self._load()
        if not self.cluster_id:
            self.cluster_id = _new_cluster_id()
            self._persist()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise OSError(f"cluster metadata file {self.path} is unreadable: {exc}") from None
        self.cluster_id = data.get("cluster_id", self.cluster_id)
        self.broker_configs = data.get("broker_configs", {})
        self.entity_configs = data.get("entity_configs", {})
        self.next_producer_id = data.get("next_producer_id", 0)
        self.acls = data.get("acls", [])
        for t in data.get("topics", []):
            parts = {int(p["partition"]): PartitionState(**p) for p in t["partitions"]}
            self.topics[t["name"]] = TopicState(t["name"], t["topic_id"], parts, t.get("configs", {}), t.get("internal", False))

    def _persist(self) -> None:
        data: dict[str, Any] = {
            "version": 1,
            "cluster_id": self.cluster_id,
            "broker_configs": self.broker_configs,
            "entity_configs": self.entity_configs,
            "next_producer_id": self.next_producer_id,
            "acls": self.acls,
            "topics": [
                {
                    "name": t.name,
                    "topic_id": t.topic_id,
                    "configs": t.configs,
                    "internal": t.internal,
                    "partitions": [asdict(p) for p in sorted(t.partitions.values(), key=lambda p: p.partition)],
                }
                for t in self.topics.values()
            ],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def set_acls(self, acls: list[dict[str, str]]) -> None:
        """Persists the embedded authorizer's ACL bindings (written whole: ACL changes are rare)."""
        with self._lock:
            self.acls = acls
            self._persist()

    # ---- topics ---------------------------------------------------------------------------------------

    def create_topic(self, name: str, assignment: dict[int, list[int]], configs: dict[str, str], internal: bool = False) -> TopicState:
        with self._lock:
            parts = {
                p: PartitionState(p, list(replicas), list(replicas), replicas[0] if replicas else -1) for p, replicas in assignment.items()
            }
            topic = TopicState(name, str(uuid.uuid4()), parts, dict(configs), internal)
            self.topics[name] = topic
            self._persist()
            return topic

    def delete_topic(self, name: str) -> None:
        with self._lock:
            self.topics.pop(name, None)
            self._persist()

    def add_partitions(self, name: str, assignment: dict[int, list[int]]) -> None:
        with self._lock:
            topic = self.topics[name]
            for p, replicas in assignment.items():
                topic.partitions[p] = PartitionState(p, list(replicas), list(replicas), replicas[0])
            self._persist()

    def set_topic_configs(self, name: str, configs: dict[str, str]) -> None:
        with self._lock:
            self.topics[name].configs = dict(configs)
            self._persist()

    def set_broker_configs(self, configs: dict[str, str]) -> None:
        with self._lock:
            self.broker_configs = dict(configs)
            self._persist()

    def set_entity_configs(self, path: str, configs: dict[str, str]) -> None:
        """A user's or client's configs (ConfigEntity.path); an empty map removes the entity."""
        with self._lock:
            if configs:
                self.entity_configs[path] = dict(configs)
            else:
                self.entity_configs.pop(path, None)
            self._persist()

    def allocate_producer_id(self) -> int:
        with self._lock:
            pid = self.next_producer_id
            self.next_producer_id += 1
            self._persist()
            return pid

    # ---- dynamic broker configs: one layer, the only broker's ----------------------------------------

    def broker_entity(self, resource_name: str) -> str:
        return resource_name

    def dynamic_configs_of(self, entity: str) -> dict[str, str]:
        return dict(self.broker_configs)

    def dynamic_config_layers(self, per_broker: bool) -> list[tuple[dict[str, str], bool]]:
        return [(self.broker_configs, False)]

    def write_broker_configs(self, entity: str, configs: dict[str, str]) -> None:
        self.set_broker_configs(configs)


def _new_cluster_id() -> str:
    """Kafka's cluster ids are 22-character URL-safe base64 UUIDs."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
