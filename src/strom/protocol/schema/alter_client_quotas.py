"""AlterClientQuotas (API key 49): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 49
VERSIONS = "0-1"
FLEXIBLE = "1+"

define_message(
    globals(),
    "AlterClientQuotasRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "entries",
            "[]EntryData",
            fields=[
                F(
                    "entity",
                    "[]EntityData",
                    fields=[
                        F("entity_type", "string"),
                        F("entity_name", "string", nullable="0+", default="null"),
                    ],
                ),
                F(
                    "ops",
                    "[]OpData",
                    fields=[
                        F("key", "string"),
                        F("value", "float64"),
                        F("remove", "bool"),
                    ],
                ),
            ],
        ),
        F("validate_only", "bool"),
    ],
)

define_message(
    globals(),
    "AlterClientQuotasResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "entries",
            "[]EntryData",
            fields=[
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+", default="null"),
                F(
                    "entity",
                    "[]EntityData",
                    fields=[
                        F("entity_type", "string"),
                        F("entity_name", "string", nullable="0+", default="null"),
                    ],
                ),
            ],
        ),
    ],
)
