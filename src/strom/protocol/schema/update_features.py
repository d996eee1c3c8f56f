"""UpdateFeatures (API key 57): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 57
VERSIONS = "0-1"
FLEXIBLE = "0+"

define_message(
    globals(),
    "UpdateFeaturesRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("timeout_ms", "int32", default="60000"),
        F(
            "feature_updates",
            "[]FeatureUpdateKey",
            fields=[
                F("feature", "string"),
                F("max_version_level", "int16"),
                F("allow_downgrade", "bool", "0"),
                F("upgrade_type", "int8", "1+", default="1"),
            ],
        ),
        F("validate_only", "bool", "1+", default="false"),
    ],
)

define_message(
    globals(),
    "UpdateFeaturesResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F(
            "results",
            "[]UpdatableFeatureResult",
            fields=[
                F("feature", "string"),
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+", default="null"),
            ],
        ),
    ],
)
