"""Types of strom.protocol.schema.create_acls, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 30
VERSIONS: Final = "0-3"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAclsRequest(Message):
    """API key 30, versions 0-3, flexible versions 2+."""

    creations: list[AclCreation] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AclCreation(Struct):
    """A struct of CreateAclsRequest."""

    resource_type: int = 0
    """Versions 0+."""
    resource_name: str = ""
    """Versions 0+."""
    resource_pattern_type: int = 3
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

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAclsResponse(Message):
    """API key 30, versions 0-3, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    results: list[AclCreationResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AclCreationResult(Struct):
    """A struct of CreateAclsResponse."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = ""
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
