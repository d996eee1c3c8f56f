"""Types of strom.protocol.schema.join_group, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct
from strom.protocol.primitives import Buffer

API_KEY: Final = 11
VERSIONS: Final = "0-9"
FLEXIBLE: Final = "6+"

@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupRequest(Message):
    """API key 11, versions 0-9, flexible versions 6+."""

    group_id: str = ""
    """Versions 0+."""
    session_timeout_ms: int = 0
    """Versions 0+."""
    rebalance_timeout_ms: int = -1
    """Versions 1+."""
    member_id: str = ""
    """Versions 0+."""
    group_instance_id: str | None = None
    """Versions 5+; nullable in 5+."""
    protocol_type: str = ""
    """Versions 0+."""
    protocols: list[JoinGroupRequestProtocol] = ...
    """Versions 0+."""
    reason: str | None = None
    """Versions 8+; nullable in 8+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupRequestProtocol(Struct):
    """A struct of JoinGroupRequest."""

    name: str = ""
    """Versions 0+."""
    metadata: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupResponse(Message):
    """API key 11, versions 0-9, flexible versions 6+."""

    throttle_time_ms: int = 0
    """Versions 2+."""
    error_code: int = 0
    """Versions 0+."""
    generation_id: int = -1
    """Versions 0+."""
    protocol_type: str | None = None
    """Versions 7+; nullable in 7+."""
    protocol_name: str | None = ""
    """Versions 0+; nullable in 7+."""
    leader: str = ""
    """Versions 0+."""
    skip_assignment: bool = False
    """Versions 9+."""
    member_id: str = ""
    """Versions 0+."""
    members: list[JoinGroupResponseMember] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class JoinGroupResponseMember(Struct):
    """A struct of JoinGroupResponse."""

    member_id: str = ""
    """Versions 0+."""
    group_instance_id: str | None = None
    """Versions 5+; nullable in 5+."""
    metadata: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
