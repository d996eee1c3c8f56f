"""PushTelemetry (API key 72): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 72
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "PushTelemetryRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("client_instance_id", "uuid"),
        F("subscription_id", "int32"),
        F("terminating", "bool"),
        F("compression_type", "int8"),
        F("metrics", "bytes"),
    ],
)

define_message(
    globals(),
    "PushTelemetryResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
    ],
)
