"""Types of strom.protocol.schema.fetch_snapshot, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Records, Struct

API_KEY: Final = 59
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchSnapshotRequest(Message):
    """API key 59, versions 0-1, flexible versions 0+."""

    cluster_id: str | None = None
    """Versions 0+; tagged (tag 0) in 0+; nullable in 0+."""
    replica_id: int = -1
    """Versions 0+."""
    max_bytes: int = 2147483647
    """Versions 0+."""
    topics: list[TopicSnapshot] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicSnapshot(Struct):
    """A struct of FetchSnapshotRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[PartitionSnapshot] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PartitionSnapshot(Struct):
    """A struct of FetchSnapshotRequest."""

    partition: int = 0
    """Versions 0+."""
    current_leader_epoch: int = 0
    """Versions 0+."""
    snapshot_id: SnapshotId | None = None
    """Versions 0+."""
    position: int = 0
    """Versions 0+."""
    replica_directory_id: uuid.UUID = ...
    """Versions 1+; tagged (tag 0) in 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotId(Struct):
    """A struct of FetchSnapshotRequest."""

    end_offset: int = 0
    """Versions 0+."""
    epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchSnapshotResponse(Message):
    """API key 59, versions 0-1, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    topics: list[FetchSnapshotResponseTopicSnapshot] = ...
    """Versions 0+."""
    node_endpoints: list[NodeEndpoint] = ...
    """Versions 1+; tagged (tag 0) in 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchSnapshotResponseTopicSnapshot(Struct):
    """A struct of FetchSnapshotResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[FetchSnapshotResponsePartitionSnapshot] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchSnapshotResponsePartitionSnapshot(Struct):
    """A struct of FetchSnapshotResponse."""

    index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    snapshot_id: FetchSnapshotResponseSnapshotId | None = None
    """Versions 0+."""
    current_leader: LeaderIdAndEpoch | None = None
    """Versions 0+; tagged (tag 0) in 0+."""
    size: int = 0
    """Versions 0+."""
    position: int = 0
    """Versions 0+."""
    unaligned_records: Records | None = None
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FetchSnapshotResponseSnapshotId(Struct):
    """A struct of FetchSnapshotResponse."""

    end_offset: int = 0
    """Versions 0+."""
    epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderIdAndEpoch(Struct):
    """A struct of FetchSnapshotResponse."""

    leader_id: int = 0
    """Versions 0+."""
    leader_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class NodeEndpoint(Struct):
    """A struct of FetchSnapshotResponse."""

    node_id: int = 0
    """Versions 1+."""
    host: str = ""
    """Versions 1+."""
    port: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
