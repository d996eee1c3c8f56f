"""Types of strom.protocol.schema.offset_commit, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 8
VERSIONS: Final = "0-9"
FLEXIBLE: Final = "8+"

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitRequest(Message):
    """API key 8, versions 0-9, flexible versions 8+."""

    group_id: str = ""
    """Versions 0+."""
    generation_id_or_member_epoch: int = -1
    """Versions 1+."""
    member_id: str = ""
    """Versions 1+."""
    group_instance_id: str | None = None
    """Versions 7+; nullable in 7+."""
    retention_time_ms: int = -1
    """Versions 2-4."""
    topics: list[OffsetCommitRequestTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitRequestTopic(Struct):
    """A struct of OffsetCommitRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[OffsetCommitRequestPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitRequestPartition(Struct):
    """A struct of OffsetCommitRequest."""

    partition_index: int = 0
    """Versions 0+."""
    committed_offset: int = 0
    """Versions 0+."""
    committed_leader_epoch: int = -1
    """Versions 6+."""
    commit_timestamp: int = -1
    """Versions 1."""
    committed_metadata: str | None = ""
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitResponse(Message):
    """API key 8, versions 0-9, flexible versions 8+."""

    throttle_time_ms: int = 0
    """Versions 3+."""
    topics: list[OffsetCommitResponseTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitResponseTopic(Struct):
    """A struct of OffsetCommitResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[OffsetCommitResponsePartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetCommitResponsePartition(Struct):
    """A struct of OffsetCommitResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
