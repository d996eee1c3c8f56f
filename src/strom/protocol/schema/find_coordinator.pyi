"""Types of strom.protocol.schema.find_coordinator, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 10
VERSIONS: Final = "0-6"
FLEXIBLE: Final = "3+"

@dataclass(frozen=True, slots=True, kw_only=True)
class FindCoordinatorRequest(Message):
    """API key 10, versions 0-6, flexible versions 3+."""

    key: str = ""
    """Versions 0-3."""
    key_type: int = 0
    """Versions 1+."""
    coordinator_keys: list[str] = ...
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FindCoordinatorResponse(Message):
    """API key 10, versions 0-6, flexible versions 3+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    error_code: int = 0
    """Versions 0-3."""
    error_message: str | None = None
    """Versions 1-3; nullable in 1-3."""
    node_id: int = 0
    """Versions 0-3."""
    host: str = ""
    """Versions 0-3."""
    port: int = 0
    """Versions 0-3."""
    coordinators: list[Coordinator] = ...
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class Coordinator(Struct):
    """A struct of FindCoordinatorResponse."""

    key: str = ""
    """Versions 0+."""
    node_id: int = 0
    """Versions 0+."""
    host: str = ""
    """Versions 0+."""
    port: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
