"""Types of strom.protocol.schema.add_partitions_to_txn, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 24
VERSIONS: Final = "0-5"
FLEXIBLE: Final = "3+"

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnRequest(Message):
    """API key 24, versions 0-5, flexible versions 3+."""

    transactions: list[AddPartitionsToTxnTransaction] = ...
    """Versions 4+."""
    v3_and_below_transactional_id: str = ""
    """Versions 0-3."""
    v3_and_below_producer_id: int = 0
    """Versions 0-3."""
    v3_and_below_producer_epoch: int = 0
    """Versions 0-3."""
    v3_and_below_topics: list[AddPartitionsToTxnRequestAddPartitionsToTxnTopic] = ...
    """Versions 0-3."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnTransaction(Struct):
    """A struct of AddPartitionsToTxnRequest."""

    transactional_id: str = ""
    """Versions 4+."""
    producer_id: int = 0
    """Versions 4+."""
    producer_epoch: int = 0
    """Versions 4+."""
    verify_only: bool = False
    """Versions 4+."""
    topics: list[AddPartitionsToTxnTopic] = ...
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnTopic(Struct):
    """A struct of AddPartitionsToTxnRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnRequestAddPartitionsToTxnTopic(Struct):
    """A struct of AddPartitionsToTxnRequest."""

    name: str = ""
    """Versions 0+."""
    partitions: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnResponse(Message):
    """API key 24, versions 0-5, flexible versions 3+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 4+."""
    results_by_transaction: list[AddPartitionsToTxnResult] = ...
    """Versions 4+."""
    results_by_topic_v3_and_below: list[AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult] = ...
    """Versions 0-3."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnResult(Struct):
    """A struct of AddPartitionsToTxnResponse."""

    transactional_id: str = ""
    """Versions 4+."""
    topic_results: list[AddPartitionsToTxnTopicResult] = ...
    """Versions 4+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnTopicResult(Struct):
    """A struct of AddPartitionsToTxnResponse."""

    name: str = ""
    """Versions 0+."""
    results_by_partition: list[AddPartitionsToTxnPartitionResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnPartitionResult(Struct):
    """A struct of AddPartitionsToTxnResponse."""

    partition_index: int = 0
    """Versions 0+."""
    partition_error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult(Struct):
    """A struct of AddPartitionsToTxnResponse."""

    name: str = ""
    """Versions 0+."""
    results_by_partition: list[AddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class AddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult(Struct):
    """A struct of AddPartitionsToTxnResponse."""

    partition_index: int = 0
    """Versions 0+."""
    partition_error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
