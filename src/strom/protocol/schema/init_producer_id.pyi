"""Types of strom.protocol.schema.init_producer_id, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message

API_KEY: Final = 22
VERSIONS: Final = "0-5"
FLEXIBLE: Final = "2+"

@dataclass(frozen=True, slots=True, kw_only=True)
class InitProducerIdRequest(Message):
    """API key 22, versions 0-5, flexible versions 2+."""

    transactional_id: str | None = ""
    """Versions 0+; nullable in 0+."""
    transaction_timeout_ms: int = 0
    """Versions 0+."""
    producer_id: int = -1
    """Versions 3+."""
    producer_epoch: int = -1
    """Versions 3+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class InitProducerIdResponse(Message):
    """API key 22, versions 0-5, flexible versions 2+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    producer_id: int = -1
    """Versions 0+."""
    producer_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
