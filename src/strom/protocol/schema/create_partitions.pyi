"""Types of strom.protocol.schema.create_partitions, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 37
VERSIONS: Final = "0-3"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePartitionsRequest(Message):
    """API key 37, versions 0-3, flexible versions 2+."""

    topics: list[CreatePartitionsTopic] = ...
    """Versions 0+."""
    timeout_ms: int = 0
    """Versions 0+."""
    validate_only: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePartitionsTopic(Struct):
    """A struct of CreatePartitionsRequest."""

    name: str = ""
    """Versions 0+."""
    count: int = 0
    """Versions 0+."""
    assignments: list[CreatePartitionsAssignment] | None = ...
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePartitionsAssignment(Struct):
    """A struct of CreatePartitionsRequest."""

    broker_ids: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePartitionsResponse(Message):
    """API key 37, versions 0-3, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    results: list[CreatePartitionsTopicResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePartitionsTopicResult(Struct):
    """A struct of CreatePartitionsResponse."""

    name: str = ""
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
