"""Types of strom.protocol.schema.get_telemetry_subscriptions, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message

API_KEY: Final = 71
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class GetTelemetrySubscriptionsRequest(Message):
    """API key 71, versions 0, flexible versions 0+."""

    client_instance_id: uuid.UUID = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class GetTelemetrySubscriptionsResponse(Message):
    """API key 71, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    client_instance_id: uuid.UUID = ...
    """Versions 0+."""
    subscription_id: int = 0
    """Versions 0+."""
    accepted_compression_types: list[int] = ...
    """Versions 0+."""
    push_interval_ms: int = 0
    """Versions 0+."""
    telemetry_max_bytes: int = 0
    """Versions 0+."""
    delta_temporality: bool = False
    """Versions 0+."""
    requested_metrics: list[str] = ...
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
