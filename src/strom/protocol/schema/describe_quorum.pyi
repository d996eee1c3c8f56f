"""Types of strom.protocol.schema.describe_quorum, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 55
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeQuorumRequest(Message):
    """API key 55, versions 0-2, flexible versions 0+."""

    topics: list[TopicData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicData(Struct):
    """A struct of DescribeQuorumRequest."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[PartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionData(Struct):
    """A struct of DescribeQuorumRequest."""

    partition_index: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeQuorumResponse(Message):
    """API key 55, versions 0-2, flexible versions 0+."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 2+; nullable in 2+."""
    topics: list[DescribeQuorumResponseTopicData] = ...
    """Versions 0+."""
    nodes: list[Node] = ...
    """Versions 2+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeQuorumResponseTopicData(Struct):
    """A struct of DescribeQuorumResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[DescribeQuorumResponsePartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeQuorumResponsePartitionData(Struct):
    """A struct of DescribeQuorumResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 2+; nullable in 2+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    high_watermark: int = 0
    """Versions 0+."""
    current_voters: list[ReplicaState] = ...
    """Versions 0+."""
    observers: list[DescribeQuorumResponseReplicaState] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaState(Struct):
    """A struct of DescribeQuorumResponse."""

    replica_id: int = 0
    """Versions 0+."""
    replica_directory_id: uuid.UUID = ...
    """Versions 2+."""
    log_end_offset: int = 0
    """Versions 0+."""
    last_fetch_timestamp: int = -1
    """Versions 1+."""
    last_caught_up_timestamp: int = -1
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeQuorumResponseReplicaState(Struct):
    """A struct of DescribeQuorumResponse."""

    replica_id: int = 0
    """Versions 0+."""
    replica_directory_id: uuid.UUID = ...
    """Versions 2+."""
    log_end_offset: int = 0
    """Versions 0+."""
    last_fetch_timestamp: int = -1
    """Versions 1+."""
    last_caught_up_timestamp: int = -1
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class Node(Struct):
    """A struct of DescribeQuorumResponse."""

    node_id: int = 0
    """Versions 2+."""
    listeners: list[Listener] = ...
    """Versions 2+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class Listener(Struct):
    """A struct of DescribeQuorumResponse."""

    name: str = ""
    """Versions 2+."""
    host: str = ""
    """Versions 2+."""
    port: int = 0
    """Versions 2+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
