"""Types of strom.protocol.schema.end_quorum_epoch, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 54
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "1+"

@dataclass(frozen=True, slots=True, kw_only=True)
class EndQuorumEpochRequest(Message):
    """API key 54, versions 0-1, flexible versions 1+."""

    cluster_id: str | None = None
    """Versions 0+; nullable in 0+."""
    topics: list[TopicData] = ...
    """Versions 0+."""
    leader_endpoints: list[LeaderEndpoint] = ...
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicData(Struct):
    """A struct of EndQuorumEpochRequest."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[PartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionData(Struct):
    """A struct of EndQuorumEpochRequest."""

    partition_index: int = 0
    """Versions 0+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    preferred_successors: list[int] = ...
    """Versions 0."""
    preferred_candidates: list[ReplicaInfo] = ...
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaInfo(Struct):
    """A struct of EndQuorumEpochRequest."""

    candidate_id: int = 0
    """Versions 1+."""
    candidate_directory_id: uuid.UUID = ...
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderEndpoint(Struct):
    """A struct of EndQuorumEpochRequest."""

    name: str = ""
    """Versions 1+."""
    host: str = ""
    """Versions 1+."""
    port: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EndQuorumEpochResponse(Message):
    """API key 54, versions 0-1, flexible versions 1+."""

    error_code: int = 0
    """Versions 0+."""
    topics: list[EndQuorumEpochResponseTopicData] = ...
    """Versions 0+."""
    node_endpoints: list[NodeEndpoint] = ...
    """Versions 1+; tagged (tag 0) in 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EndQuorumEpochResponseTopicData(Struct):
    """A struct of EndQuorumEpochResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[EndQuorumEpochResponsePartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EndQuorumEpochResponsePartitionData(Struct):
    """A struct of EndQuorumEpochResponse."""

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
    """A struct of EndQuorumEpochResponse."""

    node_id: int = 0
    """Versions 1+."""
    host: str = ""
    """Versions 1+."""
    port: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
