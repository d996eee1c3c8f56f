"""SaslHandshake (API key 17): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 17
VERSIONS = "0-1"
FLEXIBLE = "none"

define_message(
    globals(),
    "SaslHandshakeRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("mechanism", "string"),
    ],
)

define_message(
    globals(),
    "SaslHandshakeResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("mechanisms", "[]string"),
    ],
)
