"""Types of strom.protocol.schema.alter_configs, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 33
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterConfigsRequest(Message):
    """API key 33, versions 0-2, flexible versions 2+."""

    resources: list[AlterConfigsResource] = ...
    """Versions 0+."""
    validate_only: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterConfigsResource(Struct):
    """A struct of AlterConfigsRequest."""

    resource_type: int = 0
    """Versions 0+."""
    resource_name: str = ""
    """Versions 0+."""
    configs: list[AlterableConfig] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterableConfig(Struct):
    """A struct of AlterConfigsRequest."""

    name: str = ""
    """Versions 0+."""
    value: str | None = ""
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterConfigsResponse(Message):
    """API key 33, versions 0-2, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    responses: list[AlterConfigsResourceResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterConfigsResourceResponse(Struct):
    """A struct of AlterConfigsResponse."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = ""
    """Versions 0+; nullable in 0+."""
    resource_type: int = 0
    """Versions 0+."""
    resource_name: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
