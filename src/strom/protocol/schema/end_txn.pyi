"""Types of strom.protocol.schema.end_txn, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message

API_KEY: Final = 26
VERSIONS: Final = "0-4"
FLEXIBLE: Final = "3+"

@dataclass(frozen=True, slots=True, kw_only=True)
class EndTxnRequest(Message):
    """API key 26, versions 0-4, flexible versions 3+."""

    transactional_id: str = ""
    """Versions 0+."""
    producer_id: int = 0
    """Versions 0+."""
    producer_epoch: int = 0
    """Versions 0+."""
    committed: bool = False
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class EndTxnResponse(Message):
    """API key 26, versions 0-4, flexible versions 3+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
