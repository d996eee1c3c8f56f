"""Types of strom.protocol.schema.describe_client_quotas, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 48
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "1+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeClientQuotasRequest(Message):
    """API key 48, versions 0-1, flexible versions 1+."""

    components: list[ComponentData] = ...
    """Versions 0+."""
    strict: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentData(Struct):
    """A struct of DescribeClientQuotasRequest."""

    entity_type: str = ""
    """Versions 0+."""
    match_type: int = 0
    """Versions 0+."""
    match: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeClientQuotasResponse(Message):
    """API key 48, versions 0-1, flexible versions 1+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    entries: list[EntryData] | None = ...
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EntryData(Struct):
    """A struct of DescribeClientQuotasResponse."""

    entity: list[EntityData] = ...
    """Versions 0+."""
    values: list[ValueData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EntityData(Struct):
    """A struct of DescribeClientQuotasResponse."""

    entity_type: str = ""
    """Versions 0+."""
    entity_name: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ValueData(Struct):
    """A struct of DescribeClientQuotasResponse."""

    key: str = ""
    """Versions 0+."""
    value: float = 0.0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
