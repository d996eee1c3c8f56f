"""Types of strom.protocol.schema.consumer_group_describe, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 69
VERSIONS: Final = "0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupDescribeRequest(Message):
    """API key 69, versions 0, flexible versions 0+."""

    group_ids: list[str] = ...
    """Versions 0+."""
    include_authorized_operations: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupDescribeResponse(Message):
    """API key 69, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    groups: list[ConsumerGroupDescribedGroup] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupDescribedGroup(Struct):
    """A struct of ConsumerGroupDescribeResponse."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    group_id: str = ""
    """Versions 0+."""
    group_state: str = ""
    """Versions 0+."""
    group_epoch: int = 0
    """Versions 0+."""
    assignment_epoch: int = 0
    """Versions 0+."""
    assignor_name: str = ""
    """Versions 0+."""
    members: list[ConsumerGroupDescribedMember] = ...
    """Versions 0+."""
    authorized_operations: int = -2147483648
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupDescribedMember(Struct):
    """A struct of ConsumerGroupDescribeResponse."""

    member_id: str = ""
    """Versions 0+."""
    instance_id: str | None = None
    """Versions 0+; nullable in 0+."""
    rack_id: str | None = None
    """Versions 0+; nullable in 0+."""
    member_epoch: int = 0
    """Versions 0+."""
    client_id: str = ""
    """Versions 0+."""
    client_host: str = ""
    """Versions 0+."""
    subscribed_topic_names: list[str] = ...
    """Versions 0+."""
    subscribed_topic_regex: str | None = None
    """Versions 0+; nullable in 0+."""
    assignment: ConsumerGroupMemberAssignment | None = None
    """Versions 0+."""
    target_assignment: ConsumerGroupTargetAssignment | None = None
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupMemberAssignment(Struct):
    """A struct of ConsumerGroupDescribeResponse."""

    topic_partitions: list[ConsumerGroupAssignedTopicPartitions] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupAssignedTopicPartitions(Struct):
    """A struct of ConsumerGroupDescribeResponse."""

    topic_id: uuid.UUID = ...
    """Versions 0+."""
    topic_name: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupTargetAssignment(Struct):
    """A struct of ConsumerGroupDescribeResponse."""

    topic_partitions: list[ConsumerGroupTargetTopicPartitions] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerGroupTargetTopicPartitions(Struct):
    """A struct of ConsumerGroupDescribeResponse."""

    topic_id: uuid.UUID = ...
    """Versions 0+."""
    topic_name: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
