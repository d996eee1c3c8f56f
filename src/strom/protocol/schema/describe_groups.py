"""DescribeGroups (API key 15): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 15
VERSIONS = "0-5"
FLEXIBLE = "5+"

define_message(
    globals(),
    "DescribeGroupsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("groups", "[]string"),
        F("include_authorized_operations", "bool", "3+"),
    ],
)

define_message(
    globals(),
    "DescribeGroupsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F(
            "groups",
            "[]DescribedGroup",
            fields=[
                F("error_code", "int16"),
                F("group_id", "string"),
                F("group_state", "string"),
                F("protocol_type", "string"),
                F("protocol_data", "string"),
                F(
                    "members",
                    "[]DescribedGroupMember",
                    fields=[
                        F("member_id", "string"),
                        F("group_instance_id", "string", "4+", nullable="4+", default="null"),
                        F("client_id", "string"),
                        F("client_host", "string"),
                        F("member_metadata", "bytes"),
                        F("member_assignment", "bytes"),
                    ],
                ),
                F("authorized_operations", "int32", "3+", default="-2147483648"),
            ],
        ),
    ],
)
