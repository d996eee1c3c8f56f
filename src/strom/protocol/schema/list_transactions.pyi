"""Types of strom.protocol.schema.list_transactions, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 66
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ListTransactionsRequest(Message):
    """API key 66, versions 0-1, flexible versions 0+."""

    state_filters: list[str] = ...
    """Versions 0+."""
    producer_id_filters: list[int] = ...
    """Versions 0+."""
    duration_filter: int = -1
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListTransactionsResponse(Message):
    """API key 66, versions 0-1, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_state_filters: list[str] = ...
    """Versions 0+."""
    transaction_states: list[TransactionState] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionState(Struct):
    """A struct of ListTransactionsResponse."""

    transactional_id: str = ""
    """Versions 0+."""
    producer_id: int = 0
    """Versions 0+."""
    transaction_state: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
