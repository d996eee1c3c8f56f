"""Types of strom.protocol.schema.stop_replica, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 5
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaRequest(Message):
    """API key 5, versions 0-4, flexible versions 2+."""

    controller_id: int = 0
    """Versions 0+."""
    is_kraft_controller: bool = False
    """Versions 4+."""
    controller_epoch: int = 0
    """Versions 0+."""
    broker_epoch: int = -1
    """Versions 1+."""
    delete_partitions: bool = False
    """Versions 0-2."""
    ungrouped_partitions: list[StopReplicaPartitionV0] = ...
    """Versions 0."""
    topics: list[StopReplicaTopicV1] = ...
    """Versions 1-2."""
    topic_states: list[StopReplicaTopicState] = ...
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaPartitionV0(Struct):
    """A struct of StopReplicaRequest."""

    topic_name: str = ""
    """Versions 0."""
    partition_index: int = 0
    """Versions 0."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaTopicV1(Struct):
    """A struct of StopReplicaRequest."""

    name: str = ""
    """Versions 1-2."""
    partition_indexes: list[int] = ...
    """Versions 1-2."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaTopicState(Struct):
    """A struct of StopReplicaRequest."""

    topic_name: str = ""
    """Versions 3+."""
    partition_states: list[StopReplicaPartitionState] = ...
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaPartitionState(Struct):
    """A struct of StopReplicaRequest."""

    partition_index: int = 0
    """Versions 3+."""
    leader_epoch: int = -1
    """Versions 3+."""
    delete_partition: bool = False
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaResponse(Message):
    """API key 5, versions 0-4, flexible versions 2+."""

    error_code: int = 0
    """Versions 0+."""
    partition_errors: list[StopReplicaPartitionError] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class StopReplicaPartitionError(Struct):
    """A struct of StopReplicaResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
