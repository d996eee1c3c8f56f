"""Types of strom.protocol.schema.sasl_handshake, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message

API_KEY: Final = 17
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "none"

@dataclass(frozen=True, slots=True, kw_only=True)
class SaslHandshakeRequest(Message):
    """API key 17, versions 0-1, flexible versions none."""

    mechanism: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class SaslHandshakeResponse(Message):
    """API key 17, versions 0-1, flexible versions none."""

    error_code: int = 0
    """Versions 0+."""
    mechanisms: list[str] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
