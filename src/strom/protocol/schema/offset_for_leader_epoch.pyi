"""Types of strom.protocol.schema.offset_for_leader_epoch, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 23
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "4+"

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderEpochRequest(Message):
    """API key 23, versions 0-4, flexible versions 4+."""

    replica_id: int = -2
    """Versions 3+."""
    topics: list[OffsetForLeaderTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderTopic(Struct):
    """A struct of OffsetForLeaderEpochRequest."""

    topic: str = ""
    """Versions 0+."""
    partitions: list[OffsetForLeaderPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderPartition(Struct):
    """A struct of OffsetForLeaderEpochRequest."""

    partition: int = 0
    """Versions 0+."""
    current_leader_epoch: int = -1
    """Versions 2+."""
    leader_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderEpochResponse(Message):
    """API key 23, versions 0-4, flexible versions 4+."""

    throttle_time_ms: int = 0
    """Versions 2+."""
    topics: list[OffsetForLeaderTopicResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetForLeaderTopicResult(Struct):
    """A struct of OffsetForLeaderEpochResponse."""

    topic: str = ""
    """Versions 0+."""
    partitions: list[EpochEndOffset] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EpochEndOffset(Struct):
    """A struct of OffsetForLeaderEpochResponse."""

    error_code: int = 0
    """Versions 0+."""
    partition: int = 0
    """Versions 0+."""
    leader_epoch: int = -1
    """Versions 1+."""
    end_offset: int = -1
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
