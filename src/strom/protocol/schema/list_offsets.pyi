"""Types of strom.protocol.schema.list_offsets, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 2
VERSIONS: Final = "0-9"
FLEXIBLE: Final = "6+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsRequest(Message):
    """API key 2, versions 0-9, flexible versions 6+."""

    replica_id: int = 0
    """Versions 0+."""
    isolation_level: int = 0
    """Versions 2+."""
    topics: list[ListOffsetsTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsTopic(Struct):
    """A struct of ListOffsetsRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[ListOffsetsPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsPartition(Struct):
    """A struct of ListOffsetsRequest."""

    partition_index: int = 0
    """Versions 0+."""
    current_leader_epoch: int = -1
    """Versions 4+."""
    timestamp: int = 0
    """Versions 0+."""
    max_num_offsets: int = 1
    """Versions 0."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsResponse(Message):
    """API key 2, versions 0-9, flexible versions 6+."""

    throttle_time_ms: int = 0
    """Versions 2+."""
    topics: list[ListOffsetsTopicResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsTopicResponse(Struct):
    """A struct of ListOffsetsResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[ListOffsetsPartitionResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListOffsetsPartitionResponse(Struct):
    """A struct of ListOffsetsResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    old_style_offsets: list[int] = ...
    """Versions 0."""
    timestamp: int = -1
    """Versions 1+."""
    offset: int = -1
    """Versions 1+."""
    leader_epoch: int = -1
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
