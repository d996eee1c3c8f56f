"""Types of strom.protocol.schema.update_features, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 57
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateFeaturesRequest(Message):
    """API key 57, versions 0-1, flexible versions 0+."""

    timeout_ms: int = 60000
    """Versions 0+."""
    feature_updates: list[FeatureUpdateKey] = ...
    """Versions 0+."""
    validate_only: bool = False
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureUpdateKey(Struct):
    """A struct of UpdateFeaturesRequest."""

    feature: str = ""
    """Versions 0+."""
    max_version_level: int = 0
    """Versions 0+."""
    allow_downgrade: bool = False
    """Versions 0."""
    upgrade_type: int = 1
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateFeaturesResponse(Message):
    """API key 57, versions 0-1, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    results: list[UpdatableFeatureResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatableFeatureResult(Struct):
    """A struct of UpdateFeaturesResponse."""

    feature: str = ""
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
