"""Types of strom.protocol.schema.alter_client_quotas, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 49
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "1+"

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterClientQuotasRequest(Message):
    """API key 49, versions 0-1, flexible versions 1+."""

    entries: list[EntryData] = ...
    """Versions 0+."""
    validate_only: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EntryData(Struct):
    """A struct of AlterClientQuotasRequest."""

    entity: list[EntityData] = ...
    """Versions 0+."""
    ops: list[OpData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EntityData(Struct):
    """A struct of AlterClientQuotasRequest."""

    entity_type: str = ""
    """Versions 0+."""
    entity_name: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class OpData(Struct):
    """A struct of AlterClientQuotasRequest."""

    key: str = ""
    """Versions 0+."""
    value: float = 0.0
    """Versions 0+."""
    remove: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterClientQuotasResponse(Message):
    """API key 49, versions 0-1, flexible versions 1+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    entries: list[AlterClientQuotasResponseEntryData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterClientQuotasResponseEntryData(Struct):
    """A struct of AlterClientQuotasResponse."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    entity: list[AlterClientQuotasResponseEntityData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AlterClientQuotasResponseEntityData(Struct):
    """A struct of AlterClientQuotasResponse."""

    entity_type: str = ""
    """Versions 0+."""
    entity_name: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
