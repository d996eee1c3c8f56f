"""Types of strom.protocol.schema.fetch, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Records, Struct

API_KEY: Final = 1
VERSIONS: Final = "0-17"
FLEXIBLE: Final = "12+"

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchRequest(Message):
    """API key 1, versions 0-17, flexible versions 12+."""

    cluster_id: str | None = None
    """Versions 12+; tagged (tag 0) in 12+; nullable in 12+."""
    replica_id: int = -1
    """Versions 0-14."""
    replica_state: ReplicaState | None = None
    """Versions 15+; tagged (tag 1) in 15+."""
    max_wait_ms: int = 0
    """Versions 0+."""
    min_bytes: int = 0
    """Versions 0+."""
    max_bytes: int = 2147483647
    """Versions 3+."""
    isolation_level: int = 0
    """Versions 4+."""
    session_id: int = 0
    """Versions 7+."""
    session_epoch: int = -1
    """Versions 7+."""
    topics: list[FetchTopic] = ...
    """Versions 0+."""
    forgotten_topics_data: list[ForgottenTopic] = ...
    """Versions 7+."""
    rack_id: str = ""
    """Versions 11+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaState(Struct):
    """A struct of FetchRequest."""

    replica_id: int = -1
    """Versions 0+."""
    replica_epoch: int = -1
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchTopic(Struct):
    """A struct of FetchRequest."""

    topic: str = ""
    """Versions 0-12."""
    topic_id: uuid.UUID = ...
    """Versions 13+."""
    partitions: list[FetchPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPartition(Struct):
    """A struct of FetchRequest."""

    partition: int = 0
    """Versions 0+."""
    current_leader_epoch: int = -1
    """Versions 9+."""
    fetch_offset: int = 0
    """Versions 0+."""
    last_fetched_epoch: int = -1
    """Versions 12+."""
    log_start_offset: int = -1
    """Versions 5+."""
    partition_max_bytes: int = 0
    """Versions 0+."""
    replica_directory_id: uuid.UUID = ...
    """Versions 17+; tagged (tag 0) in 17+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ForgottenTopic(Struct):
    """A struct of FetchRequest."""

    topic: str = ""
    """Versions 7-12."""
    topic_id: uuid.UUID = ...
    """Versions 13+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResponse(Message):
    """API key 1, versions 0-17, flexible versions 12+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    error_code: int = 0
    """Versions 7+."""
    session_id: int = 0
    """Versions 7+."""
    responses: list[FetchableTopicResponse] = ...
    """Versions 0+."""
    node_endpoints: list[NodeEndpoint] = ...
    """Versions 16+; tagged (tag 0) in 16+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchableTopicResponse(Struct):
    """A struct of FetchResponse."""

    topic: str = ""
    """Versions 0-12."""
    topic_id: uuid.UUID = ...
    """Versions 13+."""
    partitions: list[PartitionData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionData(Struct):
    """A struct of FetchResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    high_watermark: int = 0
    """Versions 0+."""
    last_stable_offset: int = -1
    """Versions 4+."""
    log_start_offset: int = -1
    """Versions 5+."""
    diverging_epoch: EpochEndOffset | None = None
    """Versions 12+; tagged (tag 0) in 12+."""
    current_leader: LeaderIdAndEpoch | None = None
    """Versions 12+; tagged (tag 1) in 12+."""
    snapshot_id: SnapshotId | None = None
    """Versions 12+; tagged (tag 2) in 12+."""
    aborted_transactions: list[AbortedTransaction] | None = ...
    """Versions 4+; nullable in 4+."""
    preferred_read_replica: int = -1
    """Versions 11+."""
    records: Records | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EpochEndOffset(Struct):
    """A struct of FetchResponse."""

    epoch: int = -1
    """Versions 0+."""
    end_offset: int = -1
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderIdAndEpoch(Struct):
    """A struct of FetchResponse."""

    leader_id: int = -1
    """Versions 0+."""
    leader_epoch: int = -1
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotId(Struct):
    """A struct of FetchResponse."""

    end_offset: int = -1
    """Versions 0+."""
    epoch: int = -1
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AbortedTransaction(Struct):
    """A struct of FetchResponse."""

    producer_id: int = 0
    """Versions 0+."""
    first_offset: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class NodeEndpoint(Struct):
    """A struct of FetchResponse."""

    node_id: int = 0
    """Versions 0+."""
    host: str = ""
    """Versions 0+."""
    port: int = 0
    """Versions 0+."""
    rack: str | None = None
    """Versions 0+; nullable in 16+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
