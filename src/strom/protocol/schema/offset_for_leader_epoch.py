"""OffsetForLeaderEpoch (API key 23): field tables written from Kafka's public message specs."""

from strom.protocol.compiler import F, define_message

API_KEY = 23
VERSIONS = "0-4"
FLEXIBLE = "4+"

define_message(
    globals(),
    "OffsetForLeaderEpochRequest",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("replica_id", "int32", "3+", default="-2"),
        F(
            "topics",
            "[]OffsetForLeaderTopic",
            fields=[
                F("topic", "string"),
                F(
                    "partitions",
                    "[]OffsetForLeaderPartition",
                    fields=[F("partition", "int32"), F("current_leader_epoch", "int32", "2+", default="-1"), F("leader_epoch", "int32")],
                ),
            ],
        ),
    ],
)

define_message(
    globals(),
    "OffsetForLeaderEpochResponse",
    API_KEY,
    VERSIONS,
    FLEXIBLE,
    [
        F("throttle_time_ms", "int32", "2+"),
        F(
            "topics",
            "[]OffsetForLeaderTopicResult",
            fields=[
                F("topic", "string"),
                F(
                    "partitions",
                    "[]EpochEndOffset",
                    fields=[
                        F("error_code", "int16"),
                        F("partition", "int32"),
                        F("leader_epoch", "int32", "1+", default="-1"),
                        F("end_offset", "int64", default="-1"),
                    ],
                ),
            ],
        ),
    ],
)
