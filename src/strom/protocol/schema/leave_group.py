"""LeaveGroup (API key 13): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 13
VERSIONS = "0-5"
FLEXIBLE = "4+"

define_message(
    globals(),
    "LeaveGroupRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string"),
        F("member_id", "string", "0-2"),
        F(
            "members",
            "[]MemberIdentity",
            "3+",
            fields=[
                F("member_id", "string"),
                F("group_instance_id", "string", nullable="3+", default="null"),
                F("reason", "string", "5+", nullable="5+", default="null"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "LeaveGroupResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
        F(
            "members",
            "[]MemberResponse",
            "3+",
            fields=[F("member_id", "string"), F("group_instance_id", "string", nullable="3+", default="null"), F("error_code", "int16")],
        ),
    ],
)
