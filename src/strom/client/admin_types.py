"""Request and result values of the admin client, shaped as confluent-kafka's admin module."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strom.client.types import TopicPartition
from strom.protocol.errors import KafkaError


@dataclass(frozen=True, slots=True)
class NewTopic:
    topic: str
    num_partitions: int = -1
    replication_factor: int = -1
    config: dict[str, str] | None = None
    replica_assignment: dict[int, list[int]] | list[list[int]] | None = None


@dataclass(frozen=True, slots=True)
class NewPartitions:
    topic: str
    new_total_count: int
    replica_assignment: list[list[int]] | None = None


class ResourceType(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    BROKER = 4
    TRANSACTIONAL_ID = 5
    BROKER_LOGGER = 8


class AlterConfigOpType(enum.IntEnum):
    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


class ConfigSource(enum.IntEnum):
    UNKNOWN_CONFIG = 0
    DYNAMIC_TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    DYNAMIC_BROKER_LOGGER_CONFIG = 6
    GROUP_CONFIG = 8


@dataclass(slots=True)
class ConfigEntry:
    name: str
    value: str | None
    source: int = ConfigSource.UNKNOWN_CONFIG
    is_read_only: bool = False
    is_default: bool = False
    is_sensitive: bool = False
    synonyms: dict[str, ConfigEntry] = field(default_factory=dict)
    incremental_operation: AlterConfigOpType | None = None


class ConfigResource:
    """A topic or broker whose configs are described or altered."""

    def __init__(
        self,
        restype: ResourceType | int | str,
        name: str,
        set_config: dict[str, str] | None = None,
        incremental_configs: list[ConfigEntry] | None = None,
    ) -> None:
        if isinstance(restype, str):
            restype = ResourceType[restype.upper()]
        self.restype = ResourceType(restype)
        self.name = name
        self.set_config_dict = dict(set_config or {})
        self.incremental_configs = list(incremental_configs or [])

    def set_config(self, name: str, value: str) -> None:
        self.set_config_dict[name] = value

    def add_incremental_config(self, entry: ConfigEntry) -> None:
        self.incremental_configs.append(entry)

    def __hash__(self) -> int:
        return hash((self.restype, self.name))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigResource) and (self.restype, self.name) == (other.restype, other.name)

    def __repr__(self) -> str:
        return f"ConfigResource({self.restype.name}, {self.name!r})"


@dataclass(frozen=True, slots=True)
class Node:
    id: int
    host: str
    port: int
    rack: str | None = None


@dataclass(frozen=True, slots=True)
class PartitionMetadata:
    id: int
    leader: int
    replicas: list[int]
    isrs: list[int]
    error: KafkaError | None = None


@dataclass(frozen=True, slots=True)
class TopicMetadata:
    topic: str
    partitions: dict[int, PartitionMetadata]
    error: KafkaError | None = None
    is_internal: bool = False
    topic_id: Any = None


@dataclass(frozen=True, slots=True)
class ClusterMetadata:
    cluster_id: str | None
    controller_id: int
    brokers: dict[int, Node]
    topics: dict[str, TopicMetadata]


@dataclass(frozen=True, slots=True)
class TopicDescription:
    name: str
    topic_id: Any
    is_internal: bool
    partitions: list[PartitionMetadata]


@dataclass(frozen=True, slots=True)
class DescribeClusterResult:
    cluster_id: str | None
    controller: Node | None
    nodes: list[Node]


@dataclass(frozen=True, slots=True)
class ConsumerGroupListing:
    group_id: str
    is_simple_consumer_group: bool
    state: str | None = None
    protocol_type: str = ""


@dataclass(frozen=True, slots=True)
class ListConsumerGroupsResult:
    valid: list[ConsumerGroupListing]
    errors: list[KafkaError]


@dataclass(frozen=True, slots=True)
class MemberAssignment:
    topic_partitions: list[TopicPartition]


@dataclass(frozen=True, slots=True)
class MemberDescription:
    member_id: str
    client_id: str
    host: str
    assignment: MemberAssignment
    group_instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConsumerGroupDescription:
    group_id: str
    is_simple_consumer_group: bool
    members: list[MemberDescription]
    partition_assignor: str
    state: str
    coordinator: Node | None


@dataclass(slots=True)
class ConsumerGroupTopicPartitions:
    group_id: str
    topic_partitions: list[TopicPartition] | None = None


@dataclass(frozen=True, slots=True)
class DeletedRecords:
    low_watermark: int


# ---- ACLs (confluent-kafka's AclBinding API; the wire ids are Kafka's) ----------------------------------


class ResourcePatternType(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class AclOperation(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12


class AclPermissionType(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


_E = TypeVar("_E", bound=enum.IntEnum)


def _enum_of(kind: type[_E], value: Any) -> _E:
    """An enum member from the member, its name (any case) or its id, as confluent-kafka accepts them."""
    if isinstance(value, str):
        try:
            return kind[value.upper()]
        except KeyError:
            raise ValueError(f"unknown {kind.__name__} {value!r}") from None
    return kind(value)


class AclBinding:
    """One ACL: who (principal, host) may or may not (permission_type) do what (operation) on which
    resources (restype, name, resource_pattern_type). ResourceType.BROKER is Kafka's CLUSTER resource."""

    _nullable = False

    def __init__(
        self,
        restype: ResourceType | int | str,
        name: str | None,
        resource_pattern_type: ResourcePatternType | int | str,
        principal: str | None,
        host: str | None,
        operation: AclOperation | int | str,
        permission_type: AclPermissionType | int | str,
    ) -> None:
        self.restype = _enum_of(ResourceType, restype)
        self.name = name
        self.resource_pattern_type = _enum_of(ResourcePatternType, resource_pattern_type)
        self.principal = principal
        self.host = host
        self.operation = _enum_of(AclOperation, operation)
        self.permission_type = _enum_of(AclPermissionType, permission_type)
        if not self._nullable:
            for label, value in (("name", name), ("principal", principal), ("host", host)):
                if value is None:
                    raise ValueError(f"{type(self).__name__}: {label} must not be None")

    def _key(self) -> tuple[Any, ...]:
        return (self.restype, self.name, self.resource_pattern_type, self.principal, self.host, self.operation, self.permission_type)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AclBinding) and type(other) is type(self) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: AclBinding) -> bool:
        return tuple(str(x) for x in self._key()) < tuple(str(x) for x in other._key())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(restype={self.restype.name},name={self.name},"
            f"resource_pattern_type={self.resource_pattern_type.name},principal={self.principal},host={self.host},"
            f"operation={self.operation.name},permission_type={self.permission_type.name})"
        )


class AclBindingFilter(AclBinding):
    """Selects ACLs for describe_acls / delete_acls: None matches any name, principal or host; the ANY
    enums match any value; pattern type MATCH selects every pattern that applies to the named resource."""

    _nullable = True
