"""CreatePartitions (API key 37): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 37
VERSIONS = "0-3"
FLEXIBLE = "2+"

define_message(
    globals(),
    "CreatePartitionsRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F(
            "topics",
            "[]CreatePartitionsTopic",
            fields=[
                F("name", "string"),
                F("count", "int32"),
                F("assignments", "[]CreatePartitionsAssignment", nullable="0+", fields=[F("broker_ids", "[]int32")]),
            ],
        ),
        F("timeout_ms", "int32"),
        F("validate_only", "bool"),
    ],
)

define_message(
    globals(),
    "CreatePartitionsResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32"),
        F(
            "results",
            "[]CreatePartitionsTopicResult",
            fields=[F("name", "string"), F("error_code", "int16"), F("error_message", "string", nullable="0+", default="null")],
        ),
    ],
)
