"""Types of strom.protocol.schema.heartbeat, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message

API_KEY: Final = 12
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "4+"

@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatRequest(Message):
    """API key 12, versions 0-4, flexible versions 4+."""

    group_id: str = ""
    """Versions 0+."""
    generation_id: int = 0
    """Versions 0+."""
    member_id: str = ""
    """Versions 0+."""
    group_instance_id: str | None = None
    """Versions 3+; nullable in 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatResponse(Message):
    """API key 12, versions 0-4, flexible versions 4+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
