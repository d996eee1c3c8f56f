"""Types of strom.protocol.schema.describe_cluster, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 60
VERSIONS: Final = "0-1"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeClusterRequest(Message):
    """API key 60, versions 0-1, flexible versions 0+."""

    include_cluster_authorized_operations: bool = False
    """Versions 0+."""
    endpoint_type: int = 1
    """Versions 1+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeClusterResponse(Message):
    """API key 60, versions 0-1, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    error_message: str | None = None
    """Versions 0+; nullable in 0+."""
    endpoint_type: int = 1
    """Versions 1+."""
    cluster_id: str = ""
    """Versions 0+."""
    controller_id: int = -1
    """Versions 0+."""
    brokers: list[DescribeClusterBroker] = ...
    """Versions 0+."""
    cluster_authorized_operations: int = -2147483648
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeClusterBroker(Struct):
    """A struct of DescribeClusterResponse."""

    broker_id: int = 0
    """Versions 0+."""
    host: str = ""
    """Versions 0+."""
    port: int = 0
    """Versions 0+."""
    rack: str | None = None
    """Versions 0+; nullable in 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
