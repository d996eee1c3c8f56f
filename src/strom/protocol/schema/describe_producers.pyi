"""Types of strom.protocol.schema.describe_producers, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 61
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeProducersRequest(Message):
    """API key 61, versions 0, flexible versions 0+."""

    topics: list[TopicRequest] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicRequest(Struct):
    """A struct of DescribeProducersRequest."""

    name: str = ""
    """Versions 0+."""
    partition_indexes: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeProducersResponse(Message):
    """API key 61, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    topics: list[TopicResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicResponse(Struct):
    """A struct of DescribeProducersResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[PartitionResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionResponse(Struct):
    """A struct of DescribeProducersResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    active_producers: list[ProducerState] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerState(Struct):
    """A struct of DescribeProducersResponse."""

    producer_id: int = 0
    """Versions 0+."""
    producer_epoch: int = 0
    """Versions 0+."""
    last_sequence: int = -1
    """Versions 0+."""
    last_timestamp: int = -1
    """Versions 0+."""
    coordinator_epoch: int = 0
    """Versions 0+."""
    current_txn_start_offset: int = -1
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
