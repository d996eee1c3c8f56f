"""Types of strom.protocol.schema.describe_delegation_token, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct
from strom.protocol.primitives import Buffer

API_KEY: Final = 41
VERSIONS: Final = "0-3"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeDelegationTokenRequest(Message):
    """API key 41, versions 0-3, flexible versions 2+."""

    owners: list[DescribeDelegationTokenOwner] | None = ...
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeDelegationTokenOwner(Struct):
    """A struct of DescribeDelegationTokenRequest."""

    principal_type: str = ""
    """Versions 0+."""
    principal_name: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeDelegationTokenResponse(Message):
    """API key 41, versions 0-3, flexible versions 2+."""

    error_code: int = 0
    """Versions 0+."""
    tokens: list[DescribedDelegationToken] = ...
    """Versions 0+."""
    throttle_time_ms: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribedDelegationToken(Struct):
    """A struct of DescribeDelegationTokenResponse."""

    principal_type: str = ""
    """Versions 0+."""
    principal_name: str = ""
    """Versions 0+."""
    token_requester_principal_type: str = ""
    """Versions 3+."""
    token_requester_principal_name: str = ""
    """Versions 3+."""
    issue_timestamp: int = 0
    """Versions 0+."""
    expiry_timestamp: int = 0
    """Versions 0+."""
    max_timestamp: int = 0
    """Versions 0+."""
    token_id: str = ""
    """Versions 0+."""
    hmac: Buffer = b""
    """Versions 0+."""
    renewers: list[DescribedDelegationTokenRenewer] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribedDelegationTokenRenewer(Struct):
    """A struct of DescribeDelegationTokenResponse."""

    principal_type: str = ""
    """Versions 0+."""
    principal_name: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
