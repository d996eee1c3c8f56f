"""Types of strom.protocol.schema.api_versions, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 18
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "3+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ApiVersionsRequest(Message):
    """API key 18, versions 0-4, flexible versions 3+."""

    client_software_name: str = ""
    """Versions 3+."""
    client_software_version: str = ""
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ApiVersionsResponse(Message):
    """API key 18, versions 0-4, flexible versions 3+."""

    error_code: int = 0
    """Versions 0+."""
    api_keys: list[ApiVersion] = ...
    """Versions 0+."""
    throttle_time_ms: int = 0
    """Versions 1+."""
    supported_features: list[SupportedFeatureKey] = ...
    """Versions 3+; tagged (tag 0) in 3+."""
    finalized_features_epoch: int = -1
    """Versions 3+; tagged (tag 1) in 3+."""
    finalized_features: list[FinalizedFeatureKey] = ...
    """Versions 3+; tagged (tag 2) in 3+."""
    zk_migration_ready: bool = False
    """Versions 3+; tagged (tag 3) in 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ApiVersion(Struct):
    """A struct of ApiVersionsResponse."""

    api_key: int = 0
    """Versions 0+."""
    min_version: int = 0
    """Versions 0+."""
    max_version: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class SupportedFeatureKey(Struct):
    """A struct of ApiVersionsResponse."""

    name: str = ""
    """Versions 0+."""
    min_version: int = 0
    """Versions 0+."""
    max_version: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FinalizedFeatureKey(Struct):
    """A struct of ApiVersionsResponse."""

    name: str = ""
    """Versions 0+."""
    max_version_level: int = 0
    """Versions 0+."""
    min_version_level: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
