"""Types of strom.protocol.schema.expire_delegation_token, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message
from strom.protocol.primitives import Buffer

API_KEY: Final = 40
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireDelegationTokenRequest(Message):
    """API key 40, versions 0-2, flexible versions 2+."""

    hmac: Buffer = b""
    """Versions 0+."""
    expiry_time_period_ms: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireDelegationTokenResponse(Message):
    """API key 40, versions 0-2, flexible versions 2+."""

    error_code: int = 0
    """Versions 0+."""
    expiry_timestamp_ms: int = 0
    """Versions 0+."""
    throttle_time_ms: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
