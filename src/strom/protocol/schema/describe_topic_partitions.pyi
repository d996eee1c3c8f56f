"""Types of strom.protocol.schema.describe_topic_partitions, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 75
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTopicPartitionsRequest(Message):
    """API key 75, versions 0, flexible versions 0+."""

    topics: list[TopicRequest] = ...
    """Versions 0+."""
    response_partition_limit: int = 2000
    """Versions 0+."""
    cursor: Cursor | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicRequest(Struct):
    """A struct of DescribeTopicPartitionsRequest."""

    name: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class Cursor(Struct):
    """A struct of DescribeTopicPartitionsRequest."""

    topic_name: str = ""
    """Versions 0+."""
    partition_index: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTopicPartitionsResponse(Message):
    """API key 75, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    topics: list[DescribeTopicPartitionsResponseTopic] = ...
    """Versions 0+."""
    next_cursor: DescribeTopicPartitionsResponseCursor | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTopicPartitionsResponseTopic(Struct):
    """A struct of DescribeTopicPartitionsResponse."""

    error_code: int = 0
    """Versions 0+."""
    name: str | None = None
    """Versions 0+; nullable in 0+."""
    topic_id: uuid.UUID = ...
    """Versions 0+."""
    is_internal: bool = False
    """Versions 0+."""
    partitions: list[DescribeTopicPartitionsResponsePartition] = ...
    """Versions 0+."""
    topic_authorized_operations: int = -2147483648
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTopicPartitionsResponsePartition(Struct):
    """A struct of DescribeTopicPartitionsResponse."""

    error_code: int = 0
    """Versions 0+."""
    partition_index: int = 0
    """Versions 0+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = -1
    """Versions 0+."""
    replica_nodes: list[int] = ...
    """Versions 0+."""
    isr_nodes: list[int] = ...
    """Versions 0+."""
    eligible_leader_replicas: list[int] | None = None
    """Versions 0+; nullable in 0+."""
    last_known_elr: list[int] | None = None
    """Versions 0+; nullable in 0+."""
    offline_replicas: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTopicPartitionsResponseCursor(Struct):
    """A struct of DescribeTopicPartitionsResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partition_index: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
