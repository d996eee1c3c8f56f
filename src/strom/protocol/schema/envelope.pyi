"""Types of strom.protocol.schema.envelope, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message
from strom.protocol.primitives import Buffer

API_KEY: Final = 58
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeRequest(Message):
    """API key 58, versions 0, flexible versions 0+."""

    request_data: Buffer = b""
    """Versions 0+."""
    request_principal: Buffer | None = None
    """Versions 0+; nullable in 0+."""
    client_host_address: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeResponse(Message):
    """API key 58, versions 0, flexible versions 0+."""

    response_data: Buffer | None = None
    """Versions 0+; nullable in 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
