"""Types of strom.protocol.schema.describe_log_dirs, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 35
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeLogDirsRequest(Message):
    """API key 35, versions 0-4, flexible versions 2+."""

    topics: list[DescribableLogDirTopic] | None = ...
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribableLogDirTopic(Struct):
    """A struct of DescribeLogDirsRequest."""

    topic: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeLogDirsResponse(Message):
    """API key 35, versions 0-4, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 3+."""
    results: list[DescribeLogDirsResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeLogDirsResult(Struct):
    """A struct of DescribeLogDirsResponse."""

    error_code: int = 0
    """Versions 0+."""
    log_dir: str = ""
    """Versions 0+."""
    topics: list[DescribeLogDirsTopic] = ...
    """Versions 0+."""
    total_bytes: int = -1
    """Versions 4+."""
    usable_bytes: int = -1
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeLogDirsTopic(Struct):
    """A struct of DescribeLogDirsResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[DescribeLogDirsPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeLogDirsPartition(Struct):
    """A struct of DescribeLogDirsResponse."""

    partition_index: int = 0
    """Versions 0+."""
    partition_size: int = 0
    """Versions 0+."""
    offset_lag: int = 0
    """Versions 0+."""
    is_future_key: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
