"""Types of strom.protocol.schema.txn_offset_commit, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 28
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "3+"

@dataclass(frozen=True, slots=True, kw_only=True)
class TxnOffsetCommitRequest(Message):
    """API key 28, versions 0-4, flexible versions 3+."""

    transactional_id: str = ""
    """Versions 0+."""
    group_id: str = ""
    """Versions 0+."""
    producer_id: int = 0
    """Versions 0+."""
    producer_epoch: int = 0
    """Versions 0+."""
    generation_id: int = -1
    """Versions 3+."""
    member_id: str = ""
    """Versions 3+."""
    group_instance_id: str | None = None
    """Versions 3+; nullable in 3+."""
    topics: list[TxnOffsetCommitRequestTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TxnOffsetCommitRequestTopic(Struct):
    """A struct of TxnOffsetCommitRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[TxnOffsetCommitRequestPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TxnOffsetCommitRequestPartition(Struct):
    """A struct of TxnOffsetCommitRequest."""

    partition_index: int = 0
    """Versions 0+."""
    committed_offset: int = 0
    """Versions 0+."""
    committed_leader_epoch: int = -1
    """Versions 2+."""
    committed_metadata: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TxnOffsetCommitResponse(Message):
    """API key 28, versions 0-4, flexible versions 3+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    topics: list[TxnOffsetCommitResponseTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TxnOffsetCommitResponseTopic(Struct):
    """A struct of TxnOffsetCommitResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[TxnOffsetCommitResponsePartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TxnOffsetCommitResponsePartition(Struct):
    """A struct of TxnOffsetCommitResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
