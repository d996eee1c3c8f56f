"""Types of strom.protocol.schema.list_partition_reassignments, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 46
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ListPartitionReassignmentsRequest(Message):
    """API key 46, versions 0, flexible versions 0+."""

    timeout_ms: int = 60000
    """Versions 0+."""
    topics: list[ListPartitionReassignmentsTopics] | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListPartitionReassignmentsTopics(Struct):
    """A struct of ListPartitionReassignmentsRequest."""

    name: str = ""
    """Versions 0+."""
    partition_indexes: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListPartitionReassignmentsResponse(Message):
    """API key 46, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    topics: list[OngoingTopicReassignment] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OngoingTopicReassignment(Struct):
    """A struct of ListPartitionReassignmentsResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[OngoingPartitionReassignment] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OngoingPartitionReassignment(Struct):
    """A struct of ListPartitionReassignmentsResponse."""

    partition_index: int = 0
    """Versions 0+."""
    replicas: list[int] = ...
    """Versions 0+."""
    adding_replicas: list[int] = ...
    """Versions 0+."""
    removing_replicas: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
