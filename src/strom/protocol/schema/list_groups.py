"""ListGroups (API key 16): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 16
VERSIONS = "0-5"
FLEXIBLE = "3+"

define_message(
    globals(),
    "ListGroupsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("states_filter", "[]string", "4+"),
        F("types_filter", "[]string", "5+"),
    ],
)

define_message(
    globals(),
    "ListGroupsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
        F(
            "groups",
            "[]ListedGroup",
            fields=[
                F("group_id", "string"),
                F("protocol_type", "string"),
                F("group_state", "string", "4+"),
                F("group_type", "string", "5+"),
            ],
        ),
    ],
)
