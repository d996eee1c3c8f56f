"""Types of strom.protocol.schema.metadata, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 3
VERSIONS: Final = "0-12"
FLEXIBLE: Final = "9+"

@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataRequest(Message):
    """API key 3, versions 0-12, flexible versions 9+."""

    topics: list[MetadataRequestTopic] | None = ...
    """Versions 0+; nullable in 1+."""
    allow_auto_topic_creation: bool = True
    """Versions 4+."""
    include_cluster_authorized_operations: bool = False
    """Versions 8-10."""
    include_topic_authorized_operations: bool = False
    """Versions 8+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataRequestTopic(Struct):
    """A struct of MetadataRequest."""

    topic_id: uuid.UUID = ...
    """Versions 10+."""
    name: str | None = ""
    """Versions 0+; nullable in 10+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponse(Message):
    """API key 3, versions 0-12, flexible versions 9+."""

    throttle_time_ms: int = 0
    """Versions 3+."""
    brokers: list[MetadataResponseBroker] = ...
    """Versions 0+."""
    cluster_id: str | None = None
    """Versions 2+; nullable in 2+."""
    controller_id: int = -1
    """Versions 1+."""
    topics: list[MetadataResponseTopic] = ...
    """Versions 0+."""
    cluster_authorized_operations: int = -2147483648
    """Versions 8-10."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponseBroker(Struct):
    """A struct of MetadataResponse."""

    node_id: int = 0
    """Versions 0+."""
    host: str = ""
    """Versions 0+."""
    port: int = 0
    """Versions 0+."""
    rack: str | None = None
    """Versions 1+; nullable in 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponseTopic(Struct):
    """A struct of MetadataResponse."""

    error_code: int = 0
    """Versions 0+."""
    name: str | None = ""
    """Versions 0+; nullable in 12+."""
    topic_id: uuid.UUID = ...
    """Versions 10+."""
    is_internal: bool = False
    """Versions 1+."""
    partitions: list[MetadataResponsePartition] = ...
    """Versions 0+."""
    topic_authorized_operations: int = -2147483648
    """Versions 8+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataResponsePartition(Struct):
    """A struct of MetadataResponse."""

    error_code: int = 0
    """Versions 0+."""
    partition_index: int = 0
    """Versions 0+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = -1
    """Versions 7+."""
    replica_nodes: list[int] = ...
    """Versions 0+."""
    isr_nodes: list[int] = ...
    """Versions 0+."""
    offline_replicas: list[int] = ...
    """Versions 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
