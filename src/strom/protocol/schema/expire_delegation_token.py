"""ExpireDelegationToken (API key 40): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 40
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "ExpireDelegationTokenRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("hmac", "bytes"),
        F("expiry_time_period_ms", "int64"),
    ],
)

define_message(
    globals(),
    "ExpireDelegationTokenResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("expiry_timestamp_ms", "int64"),
        F("throttle_time_ms", "int32"),
    ],
)
