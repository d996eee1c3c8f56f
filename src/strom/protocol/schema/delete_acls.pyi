"""Types of strom.protocol.schema.delete_acls, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 31
VERSIONS: Final = "0-3"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAclsRequest(Message):
    """API key 31, versions 0-3, flexible versions 2+."""

    filters: list[DeleteAclsFilter] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAclsFilter(Struct):
    """A struct of DeleteAclsRequest."""

    resource_type_filter: int = 0
    """Versions 0+."""
    resource_name_filter: str | None = ""
    """Versions 0+; nullable in 0+."""
    pattern_type_filter: int = 3
    """Versions 1+."""
    principal_filter: str | None = ""
    """Versions 0+; nullable in 0+."""
    host_filter: str | None = ""
    """Versions 0+; nullable in 0+."""
    operation: int = 0
    """Versions 0+."""
    permission_type: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAclsResponse(Message):
    """API key 31, versions 0-3, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    filter_results: list[DeleteAclsFilterResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAclsFilterResult(Struct):
    """A struct of DeleteAclsResponse."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = ""
    """Versions 0+; nullable in 0+."""
    matching_acls: list[DeleteAclsMatchingAcl] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAclsMatchingAcl(Struct):
    """A struct of DeleteAclsResponse."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = ""
    """Versions 0+; nullable in 0+."""
    resource_type: int = 0
    """Versions 0+."""
    resource_name: str = ""
    """Versions 0+."""
    pattern_type: int = 3
    """Versions 1+."""
    principal: str = ""
    """Versions 0+."""
    host: str = ""
    """Versions 0+."""
    operation: int = 0
    """Versions 0+."""
    permission_type: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
