"""DescribeConfigs (API key 32): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 32
VERSIONS = "0-4"
FLEXIBLE = "4+"

define_message(
    globals(),
    "DescribeConfigsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "resources",
            "[]DescribeConfigsResource",
            fields=[F("resource_type", "int8"), F("resource_name", "string"), F("configuration_keys", "[]string", nullable="0+")],
        ),
        F("include_synonyms", "bool", "1+"),
        F("include_documentation", "bool", "3+"),
    ],
)

define_message(
    globals(),
    "DescribeConfigsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "results",
            "[]DescribeConfigsResult",
            fields=[
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+"),
                F("resource_type", "int8"),
                F("resource_name", "string"),
                F(
                    "configs",
                    "[]DescribeConfigsResourceResult",
                    fields=[
                        F("name", "string"),
                        F("value", "string", nullable="0+"),
                        F("read_only", "bool"),
                        F("is_default", "bool", "0-0"),
                        F("config_source", "int8", "1+", default="-1"),
                        F("is_sensitive", "bool"),
                        F(
                            "synonyms",
                            "[]DescribeConfigsSynonym",
                            "1+",
                            fields=[F("name", "string"), F("value", "string", nullable="0+"), F("source", "int8")],
                        ),
                        F("config_type", "int8", "3+"),
                        F("documentation", "string", "3+", nullable="0+"),
                    ],
                ),
            ],
        ),
    ],
)
