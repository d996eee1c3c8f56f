"""ApiVersions (API key 18): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 18
VERSIONS = "0-4"
FLEXIBLE = "3+"

define_message(
    globals(),
    "ApiVersionsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("client_software_name", "string", "3+"),
        F("client_software_version", "string", "3+"),
    ],
)

define_message(
    globals(),
    "ApiVersionsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("api_keys", "[]ApiVersion", fields=[F("api_key", "int16"), F("min_version", "int16"), F("max_version", "int16")]),
        F("throttle_time_ms", "int32", "1+"),
        F(
            "supported_features",
            "[]SupportedFeatureKey",
            "3+",
            tag=0,
            fields=[F("name", "string"), F("min_version", "int16"), F("max_version", "int16")],
        ),
        F("finalized_features_epoch", "int64", "3+", tag=1, default="-1"),
        F(
            "finalized_features",
            "[]FinalizedFeatureKey",
            "3+",
            tag=2,
            fields=[F("name", "string"), F("max_version_level", "int16"), F("min_version_level", "int16")],
        ),
        F("zk_migration_ready", "bool", "3+", tag=3),
    ],
)
