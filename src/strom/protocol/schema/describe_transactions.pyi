"""Types of strom.protocol.schema.describe_transactions, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 65
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTransactionsRequest(Message):
    """API key 65, versions 0, flexible versions 0+."""

    transactional_ids: list[str] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTransactionsResponse(Message):
    """API key 65, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    transaction_states: list[TransactionState] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionState(Struct):
    """A struct of DescribeTransactionsResponse."""

    error_code: int = 0
    """Versions 0+."""
    transactional_id: str = ""
    """Versions 0+."""
    transaction_state: str = ""
    """Versions 0+."""
    transaction_timeout_ms: int = 0
    """Versions 0+."""
    transaction_start_time_ms: int = 0
    """Versions 0+."""
    producer_id: int = 0
    """Versions 0+."""
    producer_epoch: int = 0
    """Versions 0+."""
    topics: list[TopicData] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class TopicData(Struct):
    """A struct of DescribeTransactionsResponse."""

    topic: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
