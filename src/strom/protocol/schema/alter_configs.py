"""AlterConfigs (API key 33): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 33
VERSIONS = "0-2"
FLEXIBLE = "2+"

define_message(
    globals(),
    "AlterConfigsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "resources",
            "[]AlterConfigsResource",
            fields=[
                F("resource_type", "int8"),
                F("resource_name", "string"),
                F("configs", "[]AlterableConfig", fields=[F("name", "string"), F("value", "string", nullable="0+")]),
            ],
        ),
        F("validate_only", "bool"),
    ],
)

define_message(
    globals(),
    "AlterConfigsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "responses",
            "[]AlterConfigsResourceResponse",
            fields=[
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+"),
                F("resource_type", "int8"),
                F("resource_name", "string"),
            ],
        ),
    ],
)
