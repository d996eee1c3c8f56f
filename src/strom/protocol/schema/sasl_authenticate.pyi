"""Types of strom.protocol.schema.sasl_authenticate, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message
from strom.protocol.primitives import Buffer

API_KEY: Final = 36
VERSIONS: Final = "0-2"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class SaslAuthenticateRequest(Message):
    """API key 36, versions 0-2, flexible versions 2+."""

    auth_bytes: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class SaslAuthenticateResponse(Message):
    """API key 36, versions 0-2, flexible versions 2+."""

    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    auth_bytes: Buffer = b""
    """Versions 0+."""
    session_lifetime_ms: int = 0
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
