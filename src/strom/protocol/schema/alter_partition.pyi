"""Types of strom.protocol.schema.alter_partition, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 56
VERSIONS: Final = "0-3"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterPartitionRequest(Message):
    """API key 56, versions 0-3, flexible versions 0+."""

    broker_id: int = 0
    """Versions 0+."""
    broker_epoch: int = -1
    """Versions 0+."""
    topics: list[TopicData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicData(Struct):
    """A struct of AlterPartitionRequest."""

    topic_name: str = ""
    """Versions 0-1."""
    topic_id: uuid.UUID = ...
    """Versions 2+."""
    partitions: list[PartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionData(Struct):
    """A struct of AlterPartitionRequest."""

    partition_index: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    new_isr: list[int] = ...
    """Versions 0-2."""
    new_isr_with_epochs: list[BrokerState] = ...
    """Versions 3+."""
    leader_recovery_state: int = 0
    """Versions 1+."""
    partition_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerState(Struct):
    """A struct of AlterPartitionRequest."""

    broker_id: int = 0
    """Versions 3+."""
    broker_epoch: int = -1
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterPartitionResponse(Message):
    """API key 56, versions 0-3, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    topics: list[AlterPartitionResponseTopicData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterPartitionResponseTopicData(Struct):
    """A struct of AlterPartitionResponse."""

    topic_name: str = ""
    """Versions 0-1."""
    topic_id: uuid.UUID = ...
    """Versions 2+."""
    partitions: list[AlterPartitionResponsePartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterPartitionResponsePartitionData(Struct):
    """A struct of AlterPartitionResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    isr: list[int] = ...
    """Versions 0+."""
    leader_recovery_state: int = 0
    """Versions 1+."""
    partition_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

AlterIsrRequest = AlterPartitionRequest

AlterIsrResponse = AlterPartitionResponse
