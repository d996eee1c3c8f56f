"""Types of strom.protocol.schema.offset_fetch, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 9
VERSIONS: Final = "0-9"
FLEXIBLE: Final = "6+"

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchRequest(Message):
    """API key 9, versions 0-9, flexible versions 6+."""

    group_id: str = ""
    """Versions 0-7."""
    topics: list[OffsetFetchRequestTopic] | None = ...
    """Versions 0-7; nullable in 2-7."""
    groups: list[OffsetFetchRequestGroup] = ...
    """Versions 8+."""
    require_stable: bool = False
    """Versions 7+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchRequestTopic(Struct):
    """A struct of OffsetFetchRequest."""

    name: str = ""
    """Versions 0+."""
    partition_indexes: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchRequestGroup(Struct):
    """A struct of OffsetFetchRequest."""

    group_id: str = ""
    """Versions 0+."""
    member_id: str | None = None
    """Versions 9+; nullable in 9+."""
    member_epoch: int = -1
    """Versions 9+."""
    topics: list[OffsetFetchRequestTopics] | None = ...
    """Versions 0+; nullable in 8+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchRequestTopics(Struct):
    """A struct of OffsetFetchRequest."""

    name: str = ""
    """Versions 0+."""
    partition_indexes: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponse(Message):
    """API key 9, versions 0-9, flexible versions 6+."""

    throttle_time_ms: int = 0
    """Versions 3+."""
    topics: list[OffsetFetchResponseTopic] = ...
    """Versions 0-7."""
    error_code: int = 0
    """Versions 2-7."""
    groups: list[OffsetFetchResponseGroup] = ...
    """Versions 8+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponseTopic(Struct):
    """A struct of OffsetFetchResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[OffsetFetchResponsePartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponsePartition(Struct):
    """A struct of OffsetFetchResponse."""

    partition_index: int = 0
    """Versions 0+."""
    committed_offset: int = 0
    """Versions 0+."""
    committed_leader_epoch: int = -1
    """Versions 5+."""
    metadata: str | None = ""
    """Versions 0+; nullable in 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponseGroup(Struct):
    """A struct of OffsetFetchResponse."""

    group_id: str = ""
    """Versions 0+."""
    topics: list[OffsetFetchResponseTopics] = ...
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponseTopics(Struct):
    """A struct of OffsetFetchResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[OffsetFetchResponsePartitions] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OffsetFetchResponsePartitions(Struct):
    """A struct of OffsetFetchResponse."""

    partition_index: int = 0
    """Versions 0+."""
    committed_offset: int = 0
    """Versions 0+."""
    committed_leader_epoch: int = -1
    """Versions 0+."""
    metadata: str | None = ""
    """Versions 0+; nullable in 8+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
