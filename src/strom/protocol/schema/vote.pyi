"""Types of strom.protocol.schema.vote, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 52
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class VoteRequest(Message):
    """API key 52, versions 0-1, flexible versions 0+."""

    cluster_id: str | None = None
    """Versions 0+; nullable in 0+."""
    voter_id: int = -1
    """Versions 1+."""
    topics: list[TopicData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicData(Struct):
    """A struct of VoteRequest."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[PartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionData(Struct):
    """A struct of VoteRequest."""

    partition_index: int = 0
    """Versions 0+."""
    candidate_epoch: int = 0
    """Versions 0+."""
    candidate_id: int = 0
    """Versions 0+."""
    candidate_directory_id: uuid.UUID = ...
    """Versions 1+."""
    voter_directory_id: uuid.UUID = ...
    """Versions 1+."""
    last_offset_epoch: int = 0
    """Versions 0+."""
    last_offset: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class VoteResponse(Message):
    """API key 52, versions 0-1, flexible versions 0+."""

    error_code: int = 0
    """Versions 0+."""
    topics: list[VoteResponseTopicData] = ...
    """Versions 0+."""
    node_endpoints: list[NodeEndpoint] = ...
    """Versions 1+; tagged (tag 0) in 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class VoteResponseTopicData(Struct):
    """A struct of VoteResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[VoteResponsePartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class VoteResponsePartitionData(Struct):
    """A struct of VoteResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    vote_granted: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class NodeEndpoint(Struct):
    """A struct of VoteResponse."""

    node_id: int = 0
    """Versions 1+."""
    host: str = ""
    """Versions 1+."""
    port: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
