"""Types of strom.protocol.schema.alter_replica_log_dirs, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 34
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterReplicaLogDirsRequest(Message):
    """API key 34, versions 0-2, flexible versions 2+."""

    dirs: list[AlterReplicaLogDir] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterReplicaLogDir(Struct):
    """A struct of AlterReplicaLogDirsRequest."""

    path: str = ""
    """Versions 0+."""
    topics: list[AlterReplicaLogDirTopic] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterReplicaLogDirTopic(Struct):
    """A struct of AlterReplicaLogDirsRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterReplicaLogDirsResponse(Message):
    """API key 34, versions 0-2, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    results: list[AlterReplicaLogDirTopicResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterReplicaLogDirTopicResult(Struct):
    """A struct of AlterReplicaLogDirsResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partitions: list[AlterReplicaLogDirPartitionResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterReplicaLogDirPartitionResult(Struct):
    """A struct of AlterReplicaLogDirsResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
