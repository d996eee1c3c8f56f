"""JoinGroup (API key 11): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 11
VERSIONS = "0-9"
FLEXIBLE = "6+"

define_message(
    globals(),
    "JoinGroupRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string"),
        F("session_timeout_ms", "int32"),
        F("rebalance_timeout_ms", "int32", "1+", default="-1"),
        F("member_id", "string"),
        F("group_instance_id", "string", "5+", nullable="5+", default="null"),
        F("protocol_type", "string"),
        F("protocols", "[]JoinGroupRequestProtocol", fields=[F("name", "string"), F("metadata", "bytes")]),
        F("reason", "string", "8+", nullable="8+", default="null"),
    ],
)

define_message(
    globals(),
    "JoinGroupResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "2+"),
        F("error_code", "int16"),
        F("generation_id", "int32", default="-1"),
        F("protocol_type", "string", "7+", nullable="7+", default="null"),
        F("protocol_name", "string", nullable="7+"),
        F("leader", "string"),
        F("skip_assignment", "bool", "9+"),
        F("member_id", "string"),
        F(
            "members",
            "[]JoinGroupResponseMember",
            fields=[
                F("member_id", "string"),
                F("group_instance_id", "string", "5+", nullable="5+", default="null"),
                F("metadata", "bytes"),
            ],
        ),
    ],
)
