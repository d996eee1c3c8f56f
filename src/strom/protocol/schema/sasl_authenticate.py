"""SaslAuthenticate (API key 36): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 36
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "SaslAuthenticateRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("auth_bytes", "bytes"),
    ],
)

define_message(
    globals(),
    "SaslAuthenticateResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F("auth_bytes", "bytes"),
        F("session_lifetime_ms", "int64", "1+", default="0"),
    ],
)
