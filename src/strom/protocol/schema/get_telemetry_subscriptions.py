"""GetTelemetrySubscriptions (API key 71): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 71
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "GetTelemetrySubscriptionsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("client_instance_id", "uuid"),
    ],
)

define_message(
    globals(),
    "GetTelemetrySubscriptionsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("client_instance_id", "uuid"),
        F("subscription_id", "int32"),
        F("accepted_compression_types", "[]int8"),
        F("push_interval_ms", "int32"),
        F("telemetry_max_bytes", "int32"),
        F("delta_temporality", "bool"),
        F("requested_metrics", "[]string"),
    ],
)
