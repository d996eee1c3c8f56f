"""Types of strom.protocol.schema.controlled_shutdown, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 7
VERSIONS: Final = "0-3"
FLEXIBLE: Final = "3+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ControlledShutdownRequest(Message):
    """API key 7, versions 0-3, flexible versions 3+."""

    broker_id: int = 0
    """Versions 0+."""
    broker_epoch: int = -1
    """Versions 2+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ControlledShutdownResponse(Message):
    """API key 7, versions 0-3, flexible versions 3+."""

    error_code: int = 0
    """Versions 0+."""
    remaining_partitions: list[RemainingPartition] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class RemainingPartition(Struct):
    """A struct of ControlledShutdownResponse."""

    topic_name: str = ""
    """Versions 0+."""
    partition_index: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
