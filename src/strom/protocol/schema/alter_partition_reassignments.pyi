"""Types of strom.protocol.schema.alter_partition_reassignments, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 45
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterPartitionReassignmentsRequest(Message):
    """API key 45, versions 0, flexible versions 0+."""

    timeout_ms: int = 60000
    """Versions 0+."""
    topics: list[ReassignableTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReassignableTopic(Struct):
    """A struct of AlterPartitionReassignmentsRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[ReassignablePartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReassignablePartition(Struct):
    """A struct of AlterPartitionReassignmentsRequest."""

    partition_index: int = 0
    """Versions 0+."""
    replicas: list[int] | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterPartitionReassignmentsResponse(Message):
    """API key 45, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    responses: list[ReassignableTopicResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReassignableTopicResponse(Struct):
    """A struct of AlterPartitionReassignmentsResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[ReassignablePartitionResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReassignablePartitionResponse(Struct):
    """A struct of AlterPartitionReassignmentsResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
