"""SyncGroup (API key 14): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 14
VERSIONS = "0-5"
FLEXIBLE = "4+"

define_message(
    globals(),
    "SyncGroupRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string"),
        F("generation_id", "int32"),
        F("member_id", "string"),
        F("group_instance_id", "string", "3+", nullable="3+", default="null"),
        F("protocol_type", "string", "5+", nullable="5+", default="null"),
        F("protocol_name", "string", "5+", nullable="5+", default="null"),
        F("assignments", "[]SyncGroupRequestAssignment", fields=[F("member_id", "string"), F("assignment", "bytes")]),
    ],
)

define_message(
    globals(),
    "SyncGroupResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
        F("protocol_type", "string", "5+", nullable="5+", default="null"),
        F("protocol_name", "string", "5+", nullable="5+", default="null"),
        F("assignment", "bytes"),
    ],
)
