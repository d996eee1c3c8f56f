"""Types of strom.protocol.schema.leave_group, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 13
VERSIONS: Final = "0-5"
FLEXIBLE: Final = "4+"

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveGroupRequest(Message):
    """API key 13, versions 0-5, flexible versions 4+."""

    group_id: str = ""
    """Versions 0+."""
    member_id: str = ""
    """Versions 0-2."""
    members: list[MemberIdentity] = ...
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class MemberIdentity(Struct):
    """A struct of LeaveGroupRequest."""

    member_id: str = ""
    """Versions 0+."""
    group_instance_id: str | None = None
    """Versions 0+; nullable in 3+."""
    reason: str | None = None
    """Versions 5+; nullable in 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveGroupResponse(Message):
    """API key 13, versions 0-5, flexible versions 4+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    error_code: int = 0
    """Versions 0+."""
    members: list[MemberResponse] = ...
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class MemberResponse(Struct):
    """A struct of LeaveGroupResponse."""

    member_id: str = ""
    """Versions 0+."""
    group_instance_id: str | None = None
    """Versions 0+; nullable in 3+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
