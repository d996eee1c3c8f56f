"""DescribeClientQuotas (API key 48): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 48
VERSIONS = "0-1"
FLEXIBLE = "1+"

define_message(
    globals(),
    "DescribeClientQuotasRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "components",
            "[]ComponentData",
            fields=[
                F("entity_type", "string"),
                F("match_type", "int8"),
                F("match", "string", nullable="0+", default="null"),
            ],
        ),
        F("strict", "bool"),
    ],
)

define_message(
    globals(),
    "DescribeClientQuotasResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+", default="null"),
        F(
            "entries",
            "[]EntryData",
            nullable="0+",
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
                    "values",
                    "[]ValueData",
                    fields=[
                        F("key", "string"),
                        F("value", "float64"),
                    ],
                ),
            ],
        ),
    ],
)
