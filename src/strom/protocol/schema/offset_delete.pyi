"""Types of strom.protocol.schema.offset_delete, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 47
VERSIONS: Final = "0"
FLEXIBLE: Final = "none"

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetDeleteRequest(Message):
    """API key 47, versions 0, flexible versions none."""

    group_id: str = ""
    """Versions 0+."""
    topics: list[OffsetDeleteRequestTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetDeleteRequestTopic(Struct):
    """A struct of OffsetDeleteRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[OffsetDeleteRequestPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetDeleteRequestPartition(Struct):
    """A struct of OffsetDeleteRequest."""

    partition_index: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetDeleteResponse(Message):
    """API key 47, versions 0, flexible versions none."""

    error_code: int = 0
    """Versions 0+."""
    throttle_time_ms: int = 0
    """Versions 0+."""
    topics: list[OffsetDeleteResponseTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetDeleteResponseTopic(Struct):
    """A struct of OffsetDeleteResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[OffsetDeleteResponsePartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetDeleteResponsePartition(Struct):
    """A struct of OffsetDeleteResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
