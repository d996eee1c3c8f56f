"""DeleteGroups (API key 42): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 42
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "DeleteGroupsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("groups_names", "[]string"),
    ],
)

define_message(
    globals(),
    "DeleteGroupsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("results", "[]DeletableGroupResult", fields=[F("group_id", "string"), F("error_code", "int16")]),
    ],
)
