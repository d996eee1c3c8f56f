"""RenewDelegationToken (API key 39): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 39
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "RenewDelegationTokenRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("hmac", "bytes"),
        F("renew_period_ms", "int64"),
    ],
)

define_message(
    globals(),
    "RenewDelegationTokenResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("expiry_timestamp_ms", "int64"),
        F("throttle_time_ms", "int32"),
    ],
)
