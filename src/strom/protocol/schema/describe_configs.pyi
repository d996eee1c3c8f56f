"""Types of strom.protocol.schema.describe_configs, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 32
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "4+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeConfigsRequest(Message):
    """API key 32, versions 0-4, flexible versions 4+."""

    resources: list[DescribeConfigsResource] = ...
    """Versions 0+."""
    include_synonyms: bool = False
    """Versions 1+."""
    include_documentation: bool = False
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeConfigsResource(Struct):
    """A struct of DescribeConfigsRequest."""

    resource_type: int = 0
    """Versions 0+."""
    resource_name: str = ""
    """Versions 0+."""
    configuration_keys: list[str] | None = ...
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeConfigsResponse(Message):
    """API key 32, versions 0-4, flexible versions 4+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    results: list[DescribeConfigsResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeConfigsResult(Struct):
    """A struct of DescribeConfigsResponse."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = ""
    """Versions 0+; nullable in 0+."""
    resource_type: int = 0
    """Versions 0+."""
    resource_name: str = ""
    """Versions 0+."""
    configs: list[DescribeConfigsResourceResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeConfigsResourceResult(Struct):
    """A struct of DescribeConfigsResponse."""

    name: str = ""
    """Versions 0+."""
    value: str | None = ""
    """Versions 0+; nullable in 0+."""
    read_only: bool = False
    """Versions 0+."""
    is_default: bool = False
    """Versions 0."""
    config_source: int = -1
    """Versions 1+."""
    is_sensitive: bool = False
    """Versions 0+."""
    synonyms: list[DescribeConfigsSynonym] = ...
    """Versions 1+."""
    config_type: int = 0
    """Versions 3+."""
    documentation: str | None = ""
    """Versions 3+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeConfigsSynonym(Struct):
    """A struct of DescribeConfigsResponse."""

    name: str = ""
    """Versions 0+."""
    value: str | None = ""
    """Versions 0+; nullable in 0+."""
    source: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
