"""Types of strom.protocol.schema.delete_records, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 21
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRecordsRequest(Message):
    """API key 21, versions 0-2, flexible versions 2+."""

    topics: list[DeleteRecordsTopic] = ...
    """Versions 0+."""
    timeout_ms: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRecordsTopic(Struct):
    """A struct of DeleteRecordsRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[DeleteRecordsPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRecordsPartition(Struct):
    """A struct of DeleteRecordsRequest."""

    partition_index: int = 0
    """Versions 0+."""
    offset: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRecordsResponse(Message):
    """API key 21, versions 0-2, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    topics: list[DeleteRecordsTopicResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRecordsTopicResult(Struct):
    """A struct of DeleteRecordsResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[DeleteRecordsPartitionResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRecordsPartitionResult(Struct):
    """A struct of DeleteRecordsResponse."""

    partition_index: int = 0
    """Versions 0+."""
    low_watermark: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
