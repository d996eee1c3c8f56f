"""Types of strom.protocol.schema.push_telemetry, generated from its field tables: do not edit.

Regenerate with `python -m strom.protocol.stubgen`."""

import uuid
from dataclasses import dataclass
from typing import Final

from strom.protocol.compiler import Message
from strom.protocol.primitives import Buffer

API_KEY: Final = 72
VERSIONS: Final = "0-0"
FLEXIBLE: Final = "0+"

@dataclass(frozen=True, slots=True, kw_only=True)
class PushTelemetryRequest(Message):
    """API key 72, versions 0, flexible versions 0+."""

    client_instance_id: uuid.UUID = ...
    """Versions 0+."""
    subscription_id: int = 0
    """Versions 0+."""
    terminating: bool = False
    """Versions 0+."""
    compression_type: int = 0
    """Versions 0+."""
    metrics: Buffer = b""
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""

@dataclass(frozen=True, slots=True, kw_only=True)
class PushTelemetryResponse(Message):
    """API key 72, versions 0, flexible versions 0+."""

    throttle_time_ms: int = 0
    """Versions 0+."""
    error_code: int = 0
    """Versions 0+."""
    unknown_tagged_fields: dict[int, bytes] = ...
    """Tagged fields this version does not define, by tag: kept to re-encode them."""
