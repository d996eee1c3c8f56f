"""OffsetDelete (API key 47): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 47
VERSIONS = "0"
FLEXIBLE = "none"

define_message(
    globals(),
    "OffsetDeleteRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("group_id", "string"),
        F(
            "topics",
            "[]OffsetDeleteRequestTopic",
            fields=[F("name", "string"), F("partitions", "[]OffsetDeleteRequestPartition", fields=[F("partition_index", "int32")])],
        ),
    ],
)

define_message(
    globals(),
    "OffsetDeleteResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F("throttle_time_ms", "int32"),
        F(
            "topics",
            "[]OffsetDeleteResponseTopic",
            fields=[
                F("name", "string"),
                F("partitions", "[]OffsetDeleteResponsePartition", fields=[F("partition_index", "int32"), F("error_code", "int16")]),
            ],
        ),
    ],
)
