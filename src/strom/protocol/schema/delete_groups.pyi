"""Types of strom.protocol.schema.delete_groups, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 42
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteGroupsRequest(Message):
    """API key 42, versions 0-2, flexible versions 2+."""

    groups_names: list[str] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteGroupsResponse(Message):
    """API key 42, versions 0-2, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    results: list[DeletableGroupResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeletableGroupResult(Struct):
    """A struct of DeleteGroupsResponse."""

    group_id: str = ""
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
