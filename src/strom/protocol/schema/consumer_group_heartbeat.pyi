"""Types of strom.protocol.schema.consumer_group_heartbeat, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 68
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupHeartbeatRequest(Message):
    """API key 68, versions 0-1, flexible versions 0+."""

    group_id: str = ""
    """Versions 0+."""
    member_id: str = ""
    """Versions 0+."""
    member_epoch: int = 0
    """Versions 0+."""
    instance_id: str | None = None
    """Versions 0+; nullable in 0+."""
    rack_id: str | None = None
    """Versions 0+; nullable in 0+."""
    rebalance_timeout_ms: int = -1
    """Versions 0+."""
    subscribed_topic_names: list[str] | None = None
    """Versions 0+; nullable in 0+."""
    subscribed_topic_regex: str | None = None
    """Versions 1+; nullable in 1+."""
    server_assignor: str | None = None
    """Versions 0+; nullable in 0+."""
    topic_partitions: list[ConsumerGroupHeartbeatRequestTopicPartitions] | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupHeartbeatRequestTopicPartitions(Struct):
    """A struct of ConsumerGroupHeartbeatRequest."""

    topic_id: uuid.UUID = ...
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupHeartbeatResponse(Message):
    """API key 68, versions 0-1, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    member_id: str | None = None
    """Versions 0+; nullable in 0+."""
    member_epoch: int = 0
    """Versions 0+."""
    heartbeat_interval_ms: int = 0
    """Versions 0+."""
    assignment: ConsumerGroupHeartbeatAssignment | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupHeartbeatAssignment(Struct):
    """A struct of ConsumerGroupHeartbeatResponse."""

    topic_partitions: list[ConsumerGroupHeartbeatResponseTopicPartitions] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupHeartbeatResponseTopicPartitions(Struct):
    """A struct of ConsumerGroupHeartbeatResponse."""

    topic_id: uuid.UUID = ...
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
