"""Types of strom.protocol.schema.leader_and_isr, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 4
VERSIONS: Final = "0-7"
FLEXIBLE: Final = "4+"

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrRequest(Message):
    """API key 4, versions 0-7, flexible versions 4+."""

    controller_id: int = 0
    """Versions 0+."""
    is_kraft_controller: bool = False
    """Versions 7+."""
    controller_epoch: int = 0
    """Versions 0+."""
    broker_epoch: int = -1
    """Versions 2+."""
    type: int = 0
    """Versions 5+."""
    ungrouped_partition_states: list[LeaderAndIsrPartitionState] = ...
    """Versions 0-1."""
    topic_states: list[LeaderAndIsrTopicState] = ...
    """Versions 2+."""
    live_leaders: list[LeaderAndIsrLiveLeader] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrPartitionState(Struct):
    """A struct of LeaderAndIsrRequest."""

    topic_name: str = ""
    """Versions 0-1."""
    partition_index: int = 0
    """Versions 0+."""
    controller_epoch: int = 0
    """Versions 0+."""
    leader: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    isr: list[int] = ...
    """Versions 0+."""
    partition_epoch: int = 0
    """Versions 0+."""
    replicas: list[int] = ...
    """Versions 0+."""
    adding_replicas: list[int] = ...
    """Versions 3+."""
    removing_replicas: list[int] = ...
    """Versions 3+."""
    is_new: bool = False
    """Versions 1+."""
    leader_recovery_state: int = 0
    """Versions 6+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrTopicState(Struct):
    """A struct of LeaderAndIsrRequest."""

    topic_name: str = ""
    """Versions 2+."""
    topic_id: uuid.UUID = ...
    """Versions 5+."""
    partition_states: list[LeaderAndIsrRequestLeaderAndIsrPartitionState] = ...
    """Versions 2+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrRequestLeaderAndIsrPartitionState(Struct):
    """A struct of LeaderAndIsrRequest."""

    topic_name: str = ""
    """Versions 0-1."""
    partition_index: int = 0
    """Versions 0+."""
    controller_epoch: int = 0
    """Versions 0+."""
    leader: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    isr: list[int] = ...
    """Versions 0+."""
    partition_epoch: int = 0
    """Versions 0+."""
    replicas: list[int] = ...
    """Versions 0+."""
    adding_replicas: list[int] = ...
    """Versions 3+."""
    removing_replicas: list[int] = ...
    """Versions 3+."""
    is_new: bool = False
    """Versions 1+."""
    leader_recovery_state: int = 0
    """Versions 6+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrLiveLeader(Struct):
    """A struct of LeaderAndIsrRequest."""

    broker_id: int = 0
    """Versions 0+."""
    host_name: str = ""
    """Versions 0+."""
    port: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrResponse(Message):
    """API key 4, versions 0-7, flexible versions 4+."""

    error_code: int = 0
    """Versions 0+."""
    partition_errors: list[LeaderAndIsrPartitionError] = ...
    """Versions 0-4."""
    topics: list[LeaderAndIsrTopicError] = ...
    """Versions 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrPartitionError(Struct):
    """A struct of LeaderAndIsrResponse."""

    topic_name: str = ""
    """Versions 0-4."""
    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrTopicError(Struct):
    """A struct of LeaderAndIsrResponse."""

    topic_id: uuid.UUID = ...
    """Versions 5+."""
    partition_errors: list[LeaderAndIsrResponseLeaderAndIsrPartitionError] = ...
    """Versions 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderAndIsrResponseLeaderAndIsrPartitionError(Struct):
    """A struct of LeaderAndIsrResponse."""

    topic_name: str = ""
    """Versions 0-4."""
    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
