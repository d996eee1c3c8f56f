"""ControlledShutdown (API key 7): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 7
VERSIONS = "0-3"
FLEXIBLE = "3+"

define_message(
    globals(),
    "ControlledShutdownRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("broker_id", "int32"),
        F("broker_epoch", "int64", "2+", default="-1"),
    ],
)

define_message(
    globals(),
    "ControlledShutdownResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("error_code", "int16"),
        F(
            "remaining_partitions",
            "[]RemainingPartition",
            fields=[
                F("topic_name", "string"),
                F("partition_index", "int32"),
            ],
        ),
    ],
)
