"""Types of strom.protocol.schema.write_txn_markers, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 27
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "1+"

@dataclass(frozen=True, slots=True, kw_only=True)
class WriteTxnMarkersRequest(Message):
    """API key 27, versions 0-1, flexible versions 1+."""

    markers: list[WritableTxnMarker] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class WritableTxnMarker(Struct):
    """A struct of WriteTxnMarkersRequest."""

    producer_id: int = 0
    """Versions 0+."""
    producer_epoch: int = 0
    """Versions 0+."""
    transaction_result: bool = False
    """Versions 0+."""
    topics: list[WritableTxnMarkerTopic] = ...
    """Versions 0+."""
    coordinator_epoch: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class WritableTxnMarkerTopic(Struct):
    """A struct of WriteTxnMarkersRequest."""

    name: str = ""
    """Versions 0+."""
    partition_indexes: list[int] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class WriteTxnMarkersResponse(Message):
    """API key 27, versions 0-1, flexible versions 1+."""

    markers: list[WritableTxnMarkerResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class WritableTxnMarkerResult(Struct):
    """A struct of WriteTxnMarkersResponse."""

    producer_id: int = 0
    """Versions 0+."""
    topics: list[WritableTxnMarkerTopicResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class WritableTxnMarkerTopicResult(Struct):
    """A struct of WriteTxnMarkersResponse."""

    name: str = ""
    """Versions 0+."""
    partitions: list[WritableTxnMarkerPartitionResult] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class WritableTxnMarkerPartitionResult(Struct):
    """A struct of WriteTxnMarkersResponse."""

    partition_index: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
