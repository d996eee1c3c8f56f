"""Types of strom.protocol.schema.produce, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Records, Struct

API_KEY: Final = 0
VERSIONS: Final = "0-11"
FLEXIBLE: Final = "9+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceRequest(Message):
    """API key 0, versions 0-11, flexible versions 9+."""

    transactional_id: str | None = None
    """Versions 3+; nullable in 3+."""
    acks: int = 0
    """Versions 0+."""
    timeout_ms: int = 0
    """Versions 0+."""
    topic_data: list[TopicProduceData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicProduceData(Struct):
    """A struct of ProduceRequest."""

    name: str = ""
    """Versions 0+."""
    partition_data: list[PartitionProduceData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionProduceData(Struct):
    """A struct of ProduceRequest."""

    index: int = 0
    """Versions 0+."""
    records: Records | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceResponse(Message):
    """API key 0, versions 0-11, flexible versions 9+."""

    responses: list[TopicProduceResponse] = ...
    """Versions 0+."""
    throttle_time_ms: int = 0
    """Versions 1+."""
    node_endpoints: list[NodeEndpoint] = ...
    """Versions 10+; tagged (tag 0) in 10+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicProduceResponse(Struct):
    """A struct of ProduceResponse."""

    name: str = ""
    """Versions 0+."""
    partition_responses: list[PartitionProduceResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionProduceResponse(Struct):
    """A struct of ProduceResponse."""

    index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    base_offset: int = 0
    """Versions 0+."""
    log_append_time_ms: int = -1
    """Versions 2+."""
    log_start_offset: int = -1
    """Versions 5+."""
    record_errors: list[BatchIndexAndErrorMessage] = ...
    """Versions 8+."""
    error_message: str | None = None
    """Versions 8+; nullable in 8+."""
    current_leader: LeaderIdAndEpoch | None = None
    """Versions 10+; tagged (tag 0) in 10+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class BatchIndexAndErrorMessage(Struct):
    """A struct of ProduceResponse."""

    batch_index: int = 0
    """Versions 0+."""
    batch_index_error_message: str | None = None
    """Versions 0+; nullable in 8+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderIdAndEpoch(Struct):
    """A struct of ProduceResponse."""

    leader_id: int = -1
    """Versions 0+."""
    leader_epoch: int = -1
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class NodeEndpoint(Struct):
    """A struct of ProduceResponse."""

    node_id: int = 0
    """Versions 0+."""
    host: str = ""
    """Versions 0+."""
    port: int = 0
    """Versions 0+."""
    rack: str | None = None
    """Versions 0+; nullable in 10+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
