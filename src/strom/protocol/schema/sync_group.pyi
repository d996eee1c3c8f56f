"""Types of strom.protocol.schema.sync_group, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct
from strom.protocol.primitives import Buffer

API_KEY: Final = 14
VERSIONS: Final = "0-5"
FLEXIBLE: Final = "4+"

@dataclass(frozen=True, slots=True, kw_only=True)
class SyncGroupRequest(Message):
    """API key 14, versions 0-5, flexible versions 4+."""

    group_id: str = ""
    """Versions 0+."""
    generation_id: int = 0
    """Versions 0+."""
    member_id: str = ""
    """Versions 0+."""
    group_instance_id: str | None = None
    """Versions 3+; nullable in 3+."""
    protocol_type: str | None = None
    """Versions 5+; nullable in 5+."""
    protocol_name: str | None = None
    """Versions 5+; nullable in 5+."""
    assignments: list[SyncGroupRequestAssignment] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class SyncGroupRequestAssignment(Struct):
    """A struct of SyncGroupRequest."""

    member_id: str = ""
    """Versions 0+."""
    assignment: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class SyncGroupResponse(Message):
    """API key 14, versions 0-5, flexible versions 4+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    error_code: int = 0
    """Versions 0+."""
    protocol_type: str | None = None
    """Versions 5+; nullable in 5+."""
    protocol_name: str | None = None
    """Versions 5+; nullable in 5+."""
    assignment: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
