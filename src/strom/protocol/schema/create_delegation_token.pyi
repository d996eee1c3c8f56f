"""Types of strom.protocol.schema.create_delegation_token, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct
from strom.protocol.primitives import Buffer

API_KEY: Final = 38
VERSIONS: Final = "0-3"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateDelegationTokenRequest(Message):
    """API key 38, versions 0-3, flexible versions 2+."""

    owner_principal_type: str | None = None
    """Versions 3+; nullable in 3+."""
    owner_principal_name: str | None = None
    """Versions 3+; nullable in 3+."""
    renewers: list[CreatableRenewers] = ...
    """Versions 0+."""
    max_lifetime_ms: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreatableRenewers(Struct):
    """A struct of CreateDelegationTokenRequest."""

    principal_type: str = ""
    """Versions 0+."""
    principal_name: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class CreateDelegationTokenResponse(Message):
    """API key 38, versions 0-3, flexible versions 2+."""

    error_code: int = 0
    """Versions 0+."""
    principal_type: str = ""
    """Versions 0+."""
    principal_name: str = ""
    """Versions 0+."""
    token_requester_principal_type: str = ""
    """Versions 3+."""
    token_requester_principal_name: str = ""
    """Versions 3+."""
    issue_timestamp_ms: int = 0
    """Versions 0+."""
    expiry_timestamp_ms: int = 0
    """Versions 0+."""
    max_timestamp_ms: int = 0
    """Versions 0+."""
    token_id: str = ""
    """Versions 0+."""
    hmac: Buffer = b""
    """Versions 0+."""
    throttle_time_ms: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
