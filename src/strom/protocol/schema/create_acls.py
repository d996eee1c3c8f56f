"""CreateAcls (API key 30): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 30
VERSIONS = "0-3"
FLEXIBLE = "2+"

define_message(
    globals(),
    "CreateAclsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "creations",
            "[]AclCreation",
            fields=[
                F("resource_type", "int8"),
                F("resource_name", "string"),
                F("resource_pattern_type", "int8", "1+", default="3"),
                F("principal", "string"),
                F("host", "string"),
                F("operation", "int8"),
                F("permission_type", "int8"),
            ],
        ),
    ],
)

define_message(
    globals(),
    "CreateAclsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("results", "[]AclCreationResult", fields=[F("error_code", "int16"), F("error_message", "string", nullable="0+")]),
    ],
)
