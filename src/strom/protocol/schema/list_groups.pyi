"""Types of strom.protocol.schema.list_groups, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 16
VERSIONS: Final = "0-5"
FLEXIBLE: Final = "3+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ListGroupsRequest(Message):
    """API key 16, versions 0-5, flexible versions 3+."""

    states_filter: list[str] = ...
    """Versions 4+."""
    types_filter: list[str] = ...
    """Versions 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListGroupsResponse(Message):
    """API key 16, versions 0-5, flexible versions 3+."""

    throttle_time_ms: int = 0
    """Versions 1+."""
    error_code: int = 0
    """Versions 0+."""
    groups: list[ListedGroup] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListedGroup(Struct):
    """A struct of ListGroupsResponse."""

    group_id: str = ""
    """Versions 0+."""
    protocol_type: str = ""
    """Versions 0+."""
    group_state: str = ""
    """Versions 4+."""
    group_type: str = ""
    """Versions 5+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
