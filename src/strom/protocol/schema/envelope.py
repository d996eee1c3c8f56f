"""Envelope (API key 58): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 58
VERSIONS = "0-0"
FLEXIBLE = "0+"

define_message(
    globals(),
    "EnvelopeRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("request_data", "bytes"),
        F("request_principal", "bytes", nullable="0+", default="null"),
        F("client_host_address", "bytes"),
    ],
)

define_message(
    globals(),
    "EnvelopeResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("response_data", "bytes", nullable="0+", default="null"),
        F("error_code", "int16"),
    ],
)
