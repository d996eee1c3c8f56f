"""IncrementalAlterConfigs (API key 44): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 44
VERSIONS = "0-1"
FLEXIBLE = "1+"

define_message(
    globals(),
    "IncrementalAlterConfigsRequest",
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
                F(
                    "configs",
                    "[]AlterableConfig",
                    fields=[F("name", "string"), F("config_operation", "int8"), F("value", "string", nullable="0+")],
                ),
            ],
        ),
        F("validate_only", "bool"),
    ],
)

define_message(
    globals(),
    "IncrementalAlterConfigsResponse",
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
