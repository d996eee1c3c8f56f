"""Types of strom.protocol.schema.list_client_metrics_resources, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message, Struct

API_KEY: Final = 74
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class ListClientMetricsResourcesRequest(Message):
    """API key 74, versions 0, flexible versions 0+."""

    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ListClientMetricsResourcesResponse(Message):
    """API key 74, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    client_metrics_resources: list[ClientMetricsResource] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class ClientMetricsResource(Struct):
    """A struct of ListClientMetricsResourcesResponse."""

    name: str = ""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
