"""Heartbeat (API key 12): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 12
VERSIONS = "0-4"
FLEXIBLE = "4+"

define_message(
    globals(),
    "HeartbeatRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string"),
        F("generation_id", "int32"),
        F("member_id", "string"),
        F("group_instance_id", "string", "3+", nullable="3+", default="null"),
    ],
)

define_message(
    globals(),
    "HeartbeatResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
    ],
)
