"""Types of strom.protocol.schema.begin_quorum_epoch, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 53
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "1+"

@dataclass(frozen=True, slots=True, kw_only=True)
class BeginQuorumEpochRequest(Message):
    """API key 53, versions 0-1, flexible versions 1+."""

    cluster_id: str | None = None
    """Versions 0+; nullable in 0+."""
    voter_id: int = -1
    """Versions 1+."""
    topics: list[TopicData] = ...
    """Versions 0+."""
    leader_endpoints: list[LeaderEndpoint] = ...
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicData(Struct):
    """A struct of BeginQuorumEpochRequest."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[PartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionData(Struct):
    """A struct of BeginQuorumEpochRequest."""

    partition_index: int = 0
    """Versions 0+."""
    voter_directory_id: uuid.UUID = ...
    """Versions 1+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderEndpoint(Struct):
    """A struct of BeginQuorumEpochRequest."""

    name: str = ""
    """Versions 1+."""
    host: str = ""
    """Versions 1+."""
    port: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class BeginQuorumEpochResponse(Message):
    """API key 53, versions 0-1, flexible versions 1+."""

    error_code: int = 0
    """Versions 0+."""
    topics: list[BeginQuorumEpochResponseTopicData] = ...
    """Versions 0+."""
    node_endpoints: list[NodeEndpoint] = ...
    """Versions 1+; tagged (tag 0) in 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class BeginQuorumEpochResponseTopicData(Struct):
    """A struct of BeginQuorumEpochResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[BeginQuorumEpochResponsePartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class BeginQuorumEpochResponsePartitionData(Struct):
    """A struct of BeginQuorumEpochResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class NodeEndpoint(Struct):
    """A struct of BeginQuorumEpochResponse."""

    node_id: int = 0
    """Versions 1+."""
    host: str = ""
    """Versions 1+."""
    port: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
