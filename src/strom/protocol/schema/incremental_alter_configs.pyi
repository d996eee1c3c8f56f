"""Types of strom.protocol.schema.incremental_alter_configs, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 44
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "1+"

@dataclass(frozen=True, slots=True, kw_only=True)
class IncrementalAlterConfigsRequest(Message):
    """API key 44, versions 0-1, flexible versions 1+."""

    resources: list[AlterConfigsResource] = ...
    """Versions 0+."""
    validate_only: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterConfigsResource(Struct):
    """A struct of IncrementalAlterConfigsRequest."""

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
    """A struct of IncrementalAlterConfigsRequest."""

    name: str = ""
    """Versions 0+."""
    config_operation: int = 0
    """Versions 0+."""
    value: str | None = ""
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class IncrementalAlterConfigsResponse(Message):
    """API key 44, versions 0-1, flexible versions 1+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    responses: list[AlterConfigsResourceResponse] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterConfigsResourceResponse(Struct):
    """A struct of IncrementalAlterConfigsResponse."""

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
