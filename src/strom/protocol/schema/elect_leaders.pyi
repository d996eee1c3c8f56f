"""Types of strom.protocol.schema.elect_leaders, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 43
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ElectLeadersRequest(Message):
    """API key 43, versions 0-2, flexible versions 2+."""

    election_type: int = 0
    """Versions 1+."""
    topic_partitions: list[TopicPartitions] | None = ...
    """Versions 0+; nullable in 0+."""
    timeout_ms: int = 60000
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicPartitions(Struct):
    """A struct of ElectLeadersRequest."""

    topic: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ElectLeadersResponse(Message):
    """API key 43, versions 0-2, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 1+."""
    replica_election_results: list[ReplicaElectionResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaElectionResult(Struct):
    """A struct of ElectLeadersResponse."""

    topic: str = ""
    """Versions 0+."""
    partition_result: list[PartitionResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionResult(Struct):
    """A struct of ElectLeadersResponse."""

    partition_id: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
